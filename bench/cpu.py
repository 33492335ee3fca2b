"""Issue 21: web and PostgreSQL CPU per request of each main view, against a bare Django
floor served in the same run.

Starts the portal (gunicorn, 1 sync worker, DEBUG off, PostgreSQL, Redis) and a bare
Django app with the portal's session and authentication set-up (bench/_floor_django.py)
under a gunicorn of its own, signs in a teacher, an exams officer and a moderator, and
then, in rounds with the order rotated each round, sends each view a batch of sequential
requests, and the floor a batch before each view's. The CPU a batch cost is read from
the kernel's per-thread counters of the gunicorn worker and of the PostgreSQL backend
serving that worker's persistent connection, before and after the batch. Prints, per
view, the median of its batches' CPU per request, and its ratio to the floor's median
(a signed-in request to the bare app).

    .venv/bin/python bench/cpu.py                       # about 2 minutes
    .venv/bin/python bench/cpu.py --rounds 3 --requests 10
    .venv/bin/python bench/cpu.py --json cpu.json       # the figures as JSON as well

CPU time, not wall time: the machine's 2 cores are shared, and a process waiting for a
core spends no CPU. Compare the ratios between runs, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from math import nan
from pathlib import Path
from subprocess import Popen
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is wanted.
sys.path[:1] = [str(ROOT)]

from bench import _stack  # noqa: E402
from bench._stack import median  # noqa: E402
from bench.marks import Client, Owner, sign_in  # noqa: E402
from bench.upload import children, send_chunk, start_upload  # noqa: E402

DATABASE = "iamis_bench_cpu"
# Redis database 10: the other benchmarks use 9, the test suite 15.
REDIS_URL = "redis://127.0.0.1:6379/10"
CENTRE = 68999
TEACHER = "teacher.ab@bryn-glas.example"
OFFICER = "eo@bryn-glas.example"
MODERATOR = "moderator@example.org"
SHEET_SMALL = "3690U1"  # 25 candidates
SHEET_BIG = "3400U4"  # 350 candidates
SAMPLED = "3500UA"  # 20 candidates, e-submission: the samples, uploads, moderation
# Every server keeps one connection for the whole run, so the PostgreSQL backend found
# by its application_name is the one that served every request measured. Production
# reconnects each minute (DATABASE_CONN_MAX_AGE 60): a few ms once a minute, nothing
# per request, but a batch that straddled a reconnection would lose the old backend.
CONN_MAX_AGE = "3600"
FLOOR = "floor: signed in (session + user)"
# The declared size of the one upload that takes every chunk: the portal's limit.
UPLOAD_MIB = 1024


@dataclass
class Server:
    """One gunicorn master with one sync worker, and its database connection's name."""

    master: Popen[bytes]
    port: int
    application_name: str

    def worker(self) -> int:
        workers = children(self.master.pid)
        if len(workers) != 1:
            raise RuntimeError(f"{self.application_name}: workers {workers}")
        return workers[0]


@dataclass(frozen=True)
class Cost:
    """CPU per request of the gunicorn worker and of its PostgreSQL backend."""

    web: float
    pg: float


@dataclass
class Probe:
    """One view: `send` makes one request and returns its status."""

    name: str
    server: Server
    send: Callable[[], int]
    expected: int
    requests: int
    # CPU seconds per request of each batch.
    costs: list[Cost] = field(default_factory=list)
    measured: int = 0


# --- Set-up (Django in this process, before the servers start) --------------------------


@dataclass
class Fixture:
    small: str
    small_numbers: list[int]
    big: str
    sampled: str
    sampled_candidate: int


def make_fixture() -> Fixture:
    """3500UA filled, submitted and sampled (bench/upload.py's set-up); the 350-row sheet
    filled through `mark_save_cell` (bench/sampling.py's); the 25-row sheet is left
    for the mark saves to fill before they are measured."""
    from accounts.models import User
    from bench.sampling import fill
    from bench.upload import prepare_sample
    from centres.models import Centre
    from iamis.models import Entry, Unit

    sampled, candidate, _size, _entries = prepare_sample()
    centre = Centre.objects.get(number=CENTRE)
    big = Unit.objects.get(code=SHEET_BIG)
    fill(centre, big, User.objects.get(email=TEACHER), seed=21)
    small = Unit.objects.get(code=SHEET_SMALL)
    numbers = sorted(
        Entry.objects.filter(centre=centre, unit=small).values_list(
            "candidate__number", flat=True
        )
    )
    _stack.analyze()
    return Fixture(
        small=str(small.public_id),
        small_numbers=numbers,
        big=str(big.public_id),
        sampled=sampled,
        sampled_candidate=candidate,
    )


def touch_sheet(unit_id: str) -> None:
    """A mark of the sheet changes (its `updated_at`), as when a teacher saves, so the
    next PDF request fingerprints the rows and queues a new render. Done by this
    process, whose own database connection is not measured."""
    from django.utils import timezone

    from iamis.models import Mark

    first = Mark.objects.filter(unit__public_id=unit_id).order_by("pk")[:1]
    Mark.objects.filter(pk__in=first).update(updated_at=timezone.now())


# --- Servers ---------------------------------------------------------------------------


def start_servers(stack: _stack.Stack) -> tuple[Server, Server]:
    """The portal and the floor, each gunicorn with 1 sync worker, each with its own
    application_name on its database connection."""

    def env(name: str) -> dict[str, str]:
        return {
            # Django logs every 405 at WARNING; no view measured logs otherwise.
            "LOG_LEVEL": "ERROR",
            "DATABASE_URL": f"{stack.database_url}?application_name={name}",
            "DATABASE_CONN_MAX_AGE": CONN_MAX_AGE,
        }

    portal, floor = _stack.free_port(), _stack.free_port()
    portal_master = _stack.start_gunicorn(
        stack, portal, workers=1, extra_env=env("iamis-cpu-portal")
    )
    floor_master = _stack.start_gunicorn(
        stack,
        floor,
        workers=1,
        extra_env={
            **env("iamis-cpu-floor"),
            "DJANGO_SETTINGS_MODULE": "bench._floor_django",
        },
        app="bench._floor_django:application",
        name="gunicorn-floor",
        access_log="access-floor.log",
        ready_path="/hello/",
    )
    return (
        Server(portal_master, portal, "iamis-cpu-portal"),
        Server(floor_master, floor, "iamis-cpu-floor"),
    )


# --- Views -----------------------------------------------------------------------------


def get(client: Client, path: str) -> Callable[[], int]:
    return lambda: client.request("GET", path).status


def make_probes(
    portal: Server,
    floor: Server,
    fixture: Fixture,
    *,
    requests: int,
    chunk: int,
    problems: list[str],
) -> list[Probe]:
    """Signs the three people in and prepares what the views need (the mark saves'
    rows, an open upload); returns the views in the order of the report."""
    from portal.demo import DEMO_TOTP_SECRET

    teacher, officer, moderator = (Client(portal.port) for _ in range(3))
    sign_in(teacher, TEACHER, DEMO_TOTP_SECRET)
    sign_in(officer, OFFICER, DEMO_TOTP_SECRET)
    sign_in(moderator, MODERATOR, DEMO_TOTP_SECRET, home="/moderation/")
    # The floor reads the teacher's own session (same database and secret key).
    on_floor = Client(floor.port)
    on_floor.cookies = dict(teacher.cookies)

    owner = Owner(teacher, fixture.small, fixture.small_numbers)
    owner.open_sheet()
    # Every row saved once, so each measured save changes a mark that exists.
    for _ in fixture.small_numbers:
        owner.save_next("cpu")
    if owner.problems:
        raise RuntimeError("mark saves: " + "; ".join(owner.problems[:5]))

    def save() -> int:
        status = owner.save_next("cpu").status
        # A save answered 200 must also say "saved" with the next version.
        problems.extend(owner.problems)
        owner.problems.clear()
        return status

    def report() -> int:
        touch_sheet(fixture.big)
        return officer.request(
            "POST",
            f"/iamis/reports/units/{fixture.big}/pdf/",
            {"csrfmiddlewaretoken": officer.csrf},
        ).status

    # One open upload takes every chunk of the run, each at the offset the last left.
    session = start_upload(
        teacher,
        fixture.sampled,
        fixture.sampled_candidate,
        "evidence.bin",
        UPLOAD_MIB * 2**20,
    )
    data = os.urandom(chunk)
    offset = [0]

    def upload_chunk() -> int:
        answer = send_chunk(teacher, session["url"], offset[0], data)
        offset[0] += chunk
        return answer.status

    units = "/iamis/units"
    workspace = f"/moderation/centres/{CENTRE}/units/{fixture.sampled}/"
    anonymous = Client(floor.port, keep_cookies=False)
    # The 350-row sheet costs as much CPU as ~20 small requests: fewer of it keep the
    # run short.
    few = max(3, requests // 4)
    n = requests
    probes = [
        Probe("floor: hello, no middleware", floor, get(anonymous, "/hello/"), 200, n),
        Probe(FLOOR, floor, get(on_floor, "/signed-in/"), 200, n),
        Probe("trivial view (GET /i18n/setlang/, 405)", portal, get(teacher, "/i18n/setlang/"), 405, n),
        Probe("mark save (htmx POST)", portal, save, 200, n),
        Probe("IAMIS index", portal, get(teacher, "/iamis/"), 200, n),
        Probe("dashboard (exams officer)", portal, get(officer, "/iamis/dashboard/"), 200, n),
        Probe("marksheet, 25 rows", portal, get(teacher, f"{units}/{fixture.small}/?rows=all"), 200, n),
        Probe("marksheet, 350 rows", portal, get(teacher, f"{units}/{fixture.big}/?rows=all"), 200, few),
        Probe("samples page (20 candidates)", portal, get(teacher, f"{units}/{fixture.sampled}/samples/"), 200, n),
        Probe("moderator workspace", portal, get(moderator, workspace), 200, n),
        Probe("report request (PDF queued, 350 rows)", portal, report, 302, n),
        Probe(f"upload chunk ({chunk // 2**20} MiB)", portal, upload_chunk, 200, n),
    ]  # fmt: skip
    return probes


# --- The 350-row sheet's template, apart ----------------------------------------------


def template_share(fixture: Fixture, repeats: int = 8) -> tuple[float, float]:
    """The 350-row marksheet requested in this process (Django's test client, the
    portal's middleware and view), with the time inside the page template's render
    taken apart: returns (whole request, template) in CPU ms, medians of `repeats`.
    The rows' data is read and built by the view; the template puts out their markup."""
    from django.template.backends import django as backend
    from django.test import Client as InProcess

    from accounts.models import User

    spent = [0.0]
    render = backend.Template.render

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return render(self, *args, **kwargs)
        finally:
            spent[0] += time.process_time() - started

    client = InProcess(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=TEACHER))
    path = f"/iamis/units/{fixture.big}/?rows=all"
    wholes, templates = [], []
    with mock.patch.object(backend.Template, "render", timed):
        for attempt in range(repeats + 2):
            spent[0] = 0.0
            started = time.process_time()
            status = client.get(path).status_code
            if status != 200:
                raise RuntimeError(f"350-row sheet in this process: {status}")
            if attempt >= 2:  # the first two warm the caches
                wholes.append(time.process_time() - started)
                templates.append(spent[0])
    return 1000 * median(wholes), 1000 * median(templates)


# --- Measuring -------------------------------------------------------------------------


class Backends:
    """The PostgreSQL backend serving a server's connection, found by its
    application_name through a connection of this process's own."""

    def __init__(self, stack: _stack.Stack) -> None:
        import psycopg

        self.db_name = stack.db_name
        self.conn = psycopg.connect(
            stack.database_url, autocommit=True, application_name="iamis-cpu-bench"
        )

    def pid(self, server: Server) -> int:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (self.db_name, server.application_name),
        ).fetchall()
        if len(rows) != 1:
            raise RuntimeError(
                f"{server.application_name}: {len(rows)} database connections, "
                "expected its one persistent connection"
            )
        return int(rows[0][0])

    def close(self) -> None:
        self.conn.close()


def runnable(pid: int) -> bool:
    """Running or waiting for a core (state R), rather than asleep."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "R"
    except OSError:
        return False


def settled(pids: tuple[int, int]) -> tuple[float, float]:
    """The CPU counters of the worker and its backend once both are asleep and neither
    counter moved for 5 ms: a worker still finishing the last request (access log,
    closing the socket) after the client has its answer charges that request, not the
    next batch, also when it is waiting for a core."""
    now = (_stack.cpu_seconds(pids[0]), _stack.cpu_seconds(pids[1]))
    for _ in range(200):
        time.sleep(0.005)
        before, now = now, (_stack.cpu_seconds(pids[0]), _stack.cpu_seconds(pids[1]))
        if now == before and not any(runnable(pid) for pid in pids):
            break
    return now


def measure(probe: Probe, backends: Backends, problems: list[str]) -> None:
    """One batch of sequential requests: the probe's CPU per request."""
    pids = (probe.server.worker(), backends.pid(probe.server))
    web0, pg0 = settled(pids)
    for _ in range(probe.requests):
        status = probe.send()
        if status != probe.expected:
            problems.append(f"{probe.name}: {status}, expected {probe.expected}")
    web1, pg1 = settled(pids)
    if (probe.server.worker(), backends.pid(probe.server)) != pids:
        problems.append(f"{probe.name}: worker or connection replaced; batch dropped")
        return
    probe.costs.append(
        Cost((web1 - web0) / probe.requests, (pg1 - pg0) / probe.requests)
    )
    probe.measured += probe.requests


def run_rounds(
    probes: list[Probe], backends: Backends, rounds: int, problems: list[str]
) -> None:
    """Each round sends every view its batch, in an order rotated by one each round,
    and the floor a batch before each view's, so the floor is measured all through the
    run, under whatever else the machine was doing at the time."""
    floor = next(p for p in probes if p.name == FLOOR)
    for probe in probes:  # warm-up: first-request imports, templates, caches
        for _ in range(2):
            probe.send()
    views = [p for p in probes if p is not floor]
    for index in range(rounds):
        shift = index % len(views)
        for probe in views[shift:] + views[:shift]:
            measure(floor, backends, problems)
            measure(probe, backends, problems)


# --- Report ----------------------------------------------------------------------------


def results(probes: list[Probe]) -> list[dict[str, Any]]:
    """Per view, the median of its batches, and that over the median of the floor's
    batches. The floor's median rests on a batch per view per round; a ratio to the
    one floor batch next to the view was noisier (a batch of small requests varies
    by ~20% on a busy machine, and neighbouring batches did not vary together)."""
    floor = next(p for p in probes if p.name == FLOOR)
    floor_web = median([c.web for c in floor.costs])
    floor_pg = median([c.pg for c in floor.costs])
    rows = []
    for probe in probes:
        web = [c.web for c in probe.costs]
        pg = median([c.pg for c in probe.costs])
        rows.append(
            {
                "view": probe.name,
                "web_ms": median(web) * 1000,
                "pg_ms": pg * 1000,
                "web_ratio": median(web) / floor_web,
                "web_ratio_min": min(web, default=nan) / floor_web,
                "web_ratio_max": max(web, default=nan) / floor_web,
                "pg_ratio": pg / floor_pg if floor_pg else nan,
                "requests": probe.measured,
                "batches_web_ms": [round(c.web * 1000, 3) for c in probe.costs],
                "batches_pg_ms": [round(c.pg * 1000, 3) for c in probe.costs],
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'view':<40} {'web CPU':>9} {'PG CPU':>8} {'web x floor':>12} "
        f"{'(min-max)':>11} {'PG x floor':>11} {'requests':>9}"
    )
    for row in rows:
        spread = f"{row['web_ratio_min']:.1f}-{row['web_ratio_max']:.1f}"
        print(
            f"{row['view']:<40} {row['web_ms']:>6.2f} ms {row['pg_ms']:>5.2f} ms "
            f"{row['web_ratio']:>11.2f}x {spread:>11} {row['pg_ratio']:>10.2f}x "
            f"{row['requests']:>9}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds (10)")
    parser.add_argument(
        "--requests",
        type=int,
        default=20,
        help="sequential requests per view per round (20; the 350-row sheet a quarter)",
    )
    parser.add_argument(
        "--chunk-mib", type=int, default=1, help="upload chunk size in MiB (1)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.rounds < 1 or args.requests < 1 or not 1 <= args.chunk_mib <= 64:
        parser.error("--rounds and --requests at least 1, --chunk-mib 1-64")
    # One upload (at most 1 GiB) takes every chunk, the warm-up's two as well.
    if (args.rounds * args.requests + 2) * args.chunk_mib > UPLOAD_MIB:
        parser.error(
            f"--rounds x --requests x --chunk-mib must stay under {UPLOAD_MIB}"
        )

    began = time.perf_counter()
    _stack.install_signal_handlers()
    stack = _stack.make_stack(DATABASE, redis_url=REDIS_URL)
    media = stack.workdir / "media"
    stack.env["MEDIA_ROOT"] = str(media)
    print(f"bench/cpu.py: scratch folder {stack.workdir}")
    print(_stack.machine_load())
    _stack.build(stack)
    seeded = time.perf_counter()
    fixture = make_fixture()
    print(
        f"set-up: {SAMPLED} sampled, {SHEET_BIG} filled in "
        f"{time.perf_counter() - seeded:.1f} s"
    )
    _stack.close_db_connections()
    problems: list[str] = []
    backends = Backends(stack)
    try:
        portal, floor = start_servers(stack)
        print(
            "gunicorn: the portal and the floor (bench/_floor_django.py), 1 sync "
            "worker each, DEBUG off, PostgreSQL, one persistent connection each"
        )
        ready = time.perf_counter()
        probes = make_probes(
            portal,
            floor,
            fixture,
            requests=args.requests,
            chunk=args.chunk_mib * 2**20,
            problems=problems,
        )
        print(
            "signed in a teacher, an exams officer and a moderator and prepared the "
            f"views in {time.perf_counter() - ready:.1f} s"
        )
        started = time.perf_counter()
        run_rounds(probes, backends, args.rounds, problems)
        took = time.perf_counter() - started
    finally:
        backends.close()
        _stack.stop_all(stack)
        _stack.flush_redis(REDIS_URL)
        shutil.rmtree(media, ignore_errors=True)

    whole, template = template_share(fixture)
    rows = results(probes)
    floor_row = next(row for row in rows if row["view"] == FLOOR)
    print()
    print(
        f"== CPU per request: median of {args.rounds} rounds of {args.requests} "
        f"sequential requests per view, order rotated ({took:.0f} s) =="
    )
    print(
        "web: the gunicorn worker's threads; PG: the backend of its connection "
        "(schedstat run time)"
    )
    print_table(rows)
    print(
        "floor: bare Django with the portal's settings, only the session and auth "
        "middleware,\n  GET of a view that reads request.user "
        f"({floor_row['web_ms']:.2f} ms web, {floor_row['pg_ms']:.2f} ms PG).\n"
        "x floor: the view's median over the floor's; (min-max): the view's cheapest\n"
        "  and dearest batch over the floor's median."
    )
    print(
        f"marksheet, 350 rows, in this process: {whole:.1f} ms CPU a request, of "
        f"which {template:.1f} ms ({template / whole:.0%}) rendering the template"
    )
    print(_stack.machine_load())
    print(f"took {time.perf_counter() - began:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rounds": args.rounds,
                    "requests": args.requests,
                    "load_average": os.getloadavg(),
                    "views": rows,
                    "problems": problems,
                },
                indent=2,
            )
        )
    if problems:
        print(f"PROBLEMS ({len(problems)}): " + "; ".join(problems[:10]))
        return 1
    return 0


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
