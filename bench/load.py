"""Issue 11's load scenario: teachers, exams officers, uploads and a PDF at once, with locust.

For each number of simulated users (50, 100 and 200 by default) a fresh set of centres,
sheets and accounts is made, and locust (run as a library in this process, headless,
loopback only) starts them against gunicorn + PostgreSQL + a private Redis + a Celery
worker:

* teachers sign in (e-mail, password, TOTP), open their own marksheet, save its marks one
  by one (htmx), submit it, and open View samples until the sample is there; a few of
  them then upload evidence files for sampled candidates;
* exams officers sign in and open the dashboard (`/iamis/dashboard/`) now and then;
* one exams officer asks for a Candidate Details PDF and downloads it;
* one probe requests the trivial views in the same run: `/healthz` (answered by the
  first middleware) and a signed-in `GET /i18n/setlang/` (405: every middleware, no view).

It prints, per step, the throughput, median, 95th and 99th percentile and failures, and
each median over `/healthz`'s. Then it checks that nothing was lost: every mark a client
saved is in PostgreSQL with the value it sent (one version and one history row per save),
every submitted sheet has exactly one sample, and every upload's SHA-256 matches its
source, on disk too. Any mismatch, or a failed request, exits 1.

    .venv/bin/python bench/load.py --users 50 100 200 --run-time 60   # ~8 minutes
    .venv/bin/python bench/load.py --quick                            # ~1.5 minutes

bench/faults.py runs the same scenario while it breaks the stack.
"""

from __future__ import annotations

# locust runs every simulated user as a greenlet: the standard library is patched before
# anything else imports it, so the clients' sockets and sleeps yield to each other.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.client import HTTPException  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is wanted.
sys.path[:1] = [str(ROOT)]

import gevent  # noqa: E402
from locust import User, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from bench import _stack  # noqa: E402
from bench._stack import median, percentile  # noqa: E402
from bench.marks import Client, Owner, Reply, sheet_problems, sign_in  # noqa: E402
from bench.upload import complete, make_file, send_from, start_upload  # noqa: E402

SERIES = "gcse-june-2027"
UNITS = 10  # sheets per centre: one per unit, each its own teacher's
CANDIDATES = 25  # per centre, entered for every unit
MAX_MARK = 60
UPLOAD_BYTES = 5 * 1024 * 1024  # two chunks at the server's first chunk size (4 MiB)
FIRST_CENTRE = 70000
# Between the same person's actions (seconds): a teacher types a mark, an officer reads.
THINK_SAVE = (0.5, 1.5)
THINK_BROWSE = (3.0, 6.0)
PROBE_EVERY = 0.25
SAMPLE_WAIT = 120.0
CONNECTION_ERRORS = (OSError, HTTPException)

# --- The scenario's people and sheets (Django in this process, before the servers) -------


@dataclass
class Account:
    email: str
    secret: str
    centre_pk: int


@dataclass
class Sheet:
    """One teacher's sheet (centre x unit) and what its client did to it."""

    account: Account
    unit_pk: int
    unit_id: str
    numbers: list[int]
    uploads: bool = False
    owner: Owner | None = None
    submitted: bool = False
    sample_seen: bool = False
    receipts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Cast:
    """Who takes part at one level: each account signs in once (a TOTP code works once)."""

    users: int
    sheets: list[Sheet]
    officers: list[Account]
    reporter: Account
    report_unit_id: str
    probe: Account
    centre_pks: list[int]

    @property
    def uploaders(self) -> int:
        return sum(sheet.uploads for sheet in self.sheets)


def make_units() -> list[tuple[int, str]]:
    """The scenario's units (e-submission, one task of 60 marks), shared by every level:
    (pk, public id)."""
    from datetime import date

    from iamis.models import Series, Task, Unit

    series = Series.objects.get(slug=SERIES)
    units = []
    for index in range(1, UNITS + 1):
        unit = Unit.objects.create(
            series=series,
            code=f"LOAD{index:02d}",
            title=f"Load scenario unit {index}",
            evidence=Unit.Evidence.E_SUBMISSION,
            sample_deadline=date(2027, 5, 5),
        )
        Task.objects.create(unit=unit, number=1, name="Mark", max_mark=MAX_MARK)
        units.append((unit.pk, str(unit.public_id)))
    return units


def make_cast(level: int, users: int, units: list[tuple[int, str]]) -> Cast:
    """Centres, candidates, entries and accounts for `users` simulated people.

    One user in eleven is an exams officer, one asks for the PDF, one is the probe, the
    rest are teachers, each with a sheet of their own (so no save conflicts), ten sheets
    to a centre; one teacher in twenty also uploads. Accounts reuse teacher.ab's password
    hash (no hashing here) and each has its own authenticator.
    """
    from datetime import date

    import pyotp
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import TOTPDevice, User
    from accounts.services import mfa
    from centres.models import AccessGrant, Centre, Membership
    from iamis.models import Candidate, Entry

    officers = max(1, math.ceil(users / 11))
    teachers = users - officers - 2
    if teachers < 1:
        raise SystemExit(f"--users {users}: at least 4 users are needed")
    centres = math.ceil(teachers / UNITS)
    password = User.objects.get(email="teacher.ab@bryn-glas.example").password
    numbers = list(range(1001, 1001 + CANDIDATES))

    def account(email: str, centre: Centre, kind: str, name: str) -> Account:
        user = User.objects.create(
            email=email, first_name="Load", last_name=name, password=password
        )
        secret = pyotp.random_base32()
        TOTPDevice.objects.create(
            user=user, encrypted_secret=mfa.seal(secret), confirmed_at=timezone.now()
        )
        membership = Membership.objects.create(
            user=user, centre=centre, account_type=kind
        )
        if kind == Membership.AccountType.USER:
            AccessGrant.objects.create(
                membership=membership, area=AccessGrant.Area.IAMIS
            )
        return Account(email, secret, centre.pk)

    with transaction.atomic():
        made = []
        for index in range(centres):
            number = FIRST_CENTRE + level * 100 + index
            centre = Centre.objects.create(
                number=number, name=f"Load Centre {number}", exams_officer_name="Load"
            )
            candidates = Candidate.objects.bulk_create(
                Candidate(
                    centre=centre,
                    number=candidate,
                    surname=f"Surname{candidate}",
                    forename="Cai",
                    date_of_birth=date(2010, 1 + candidate % 12, 1 + candidate % 28),
                )
                for candidate in numbers
            )
            Entry.objects.bulk_create(
                Entry(centre=centre, candidate=candidate, unit_id=unit_pk)
                for unit_pk, _unit_id in units
                for candidate in candidates
            )
            made.append(centre)
        domain = f"load{level}.example"
        sheets = []
        for index in range(teachers):
            centre = made[index // UNITS]
            unit_pk, unit_id = units[index % UNITS]
            sheets.append(
                Sheet(
                    account=account(
                        f"teacher{index:03d}@{domain}",
                        centre,
                        Membership.AccountType.USER,
                        f"Teacher {index}",
                    ),
                    unit_pk=unit_pk,
                    unit_id=unit_id,
                    numbers=numbers,
                    uploads=index % 20 == 0,
                )
            )
        officer_accounts = [
            account(
                f"officer{index:03d}@{domain}",
                made[index % centres],
                Membership.AccountType.EXAMS_OFFICER
                if index < centres
                else Membership.AccountType.ADMIN,
                f"Officer {index}",
            )
            for index in range(officers)
        ]
        reporter = account(
            f"reports@{domain}", made[0], Membership.AccountType.ADMIN, "Reports"
        )
        probe = account(
            f"probe@{domain}", made[0], Membership.AccountType.USER, "Probe"
        )
    return Cast(
        users=users,
        sheets=sheets,
        officers=officer_accounts,
        reporter=reporter,
        report_unit_id=units[0][1],
        probe=probe,
        centre_pks=[centre.pk for centre in made],
    )


# --- What the simulated people share during a run ------------------------------------------

# Every request's step name, from its method and path; the statuses that count as success.
STEPS: list[tuple[str, str, str, tuple[int, ...]]] = [
    ("GET", r"/healthz", "trivial: GET /healthz", (200,)),
    ("GET", r"/i18n/setlang/", "trivial: signed-in 405", (405,)),
    ("GET", r"/accounts/sign-in/", "sign-in: page", (200,)),
    ("POST", r"/accounts/sign-in/", "sign-in: e-mail", (302,)),
    ("POST", r"/accounts/sign-in/password/", "sign-in: password", (302,)),
    ("POST", r"/accounts/sign-in/code/", "sign-in: TOTP code", (302,)),
    ("GET", r"/iamis/", "IAMIS index", (200,)),
    ("GET", r"/iamis/dashboard/", "dashboard", (200,)),
    ("GET", r"/iamis/units/[^/]+/", "open marksheet", (200,)),
    ("POST", r"/iamis/units/[^/]+/candidates/\d+/", "save a mark", (200,)),
    ("GET", r"/iamis/units/[^/]+/candidates/\d+/", "row (after a lost answer)", (200,)),
    ("GET", r"/iamis/units/[^/]+/submit/", "submit: confirm page", (200,)),
    ("POST", r"/iamis/units/[^/]+/submit/", "submit", (302, 200)),
    ("GET", r"/iamis/units/[^/]+/submitted/[^/]+/", "submitted page", (200,)),
    ("GET", r"/iamis/units/[^/]+/samples/", "open samples", (200,)),
    ("POST", r"/iamis/reports/units/[^/]+/pdf/", "PDF: request", (302,)),
    ("GET", r"/iamis/reports/renders/[^/]+/", "PDF: status page", (200,)),
    ("GET", r"/iamis/reports/renders/[^/]+/download/", "PDF: download", (200,)),
]
_STEPS = [
    (method, re.compile(pattern + r"\Z"), name, ok)
    for method, pattern, name, ok in STEPS
]
# Timed by the scenario itself, over several requests.
UPLOAD_STEP = "upload a 5 MiB file (start, chunks, complete)"
SAMPLE_STEP = "submit -> sample on View samples"
PDF_STEP = "PDF: request -> ready to download"
TRIVIAL = "trivial: GET /healthz"


def step_of(method: str, path: str) -> tuple[str, tuple[int, ...]]:
    bare = path.split("?", 1)[0]
    for want, pattern, name, ok in _STEPS:
        if want == method and pattern.match(bare):
            return name, ok
    return f"{method} {bare}", (200, 302)


@dataclass
class Run:
    """One level's shared state: the cast still to hand out, the ports, every answer's
    time and status (for the fault check), and the problems found on the way."""

    cast: Cast
    ports: list[int]
    source: Path
    source_sha: str
    environment: Environment | None = None
    stopping: bool = False
    active: int = 0
    started: float = 0.0
    answers: list[tuple[float, str, int]] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)
    # (when it ended, step, seconds) of every request, for the saves after sign-in.
    timeline: list[tuple[float, str, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    renders: list[str] = field(default_factory=list)
    _next_port: int = 0
    _sheets: list[Sheet] = field(default_factory=list)
    _officers: list[Account] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sheets = list(reversed(self.cast.sheets))
        self._officers = list(reversed(self.cast.officers))

    def port(self) -> int:
        self._next_port += 1
        return self.ports[self._next_port % len(self.ports)]

    def fire(
        self,
        name: str,
        method: str,
        seconds: float,
        length: int = 0,
        error: Exception | None = None,
    ) -> None:
        assert self.environment is not None
        # locust keeps whole milliseconds; the percentiles are taken from these.
        self.times.setdefault(name, []).append(seconds)
        self.timeline.append((time.time(), name, seconds))
        self.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=seconds * 1000,
            response_length=length,
            exception=error,
            context={},
        )


RUN: Run | None = None


def current_run() -> Run:
    assert RUN is not None, "the scenario's users run only inside run_level()"
    return RUN


class Browser(Client):
    """bench/marks.py's client, each request reported to locust under its step's name
    and noted (time, step, status) for the fault check."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.port())
        self.run = run

    def request(
        self,
        method: str,
        path: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        name, ok = step_of(method, path)
        started = time.perf_counter()
        at = time.time()
        try:
            reply = super().request(method, path, fields, headers)
        except CONNECTION_ERRORS as error:
            self.run.answers.append((at, name, 0))
            self.run.fire(name, method, time.perf_counter() - started, error=error)
            raise
        self.run.answers.append((at, name, reply.status))
        failed = None
        if reply.status not in ok:
            failed = RuntimeError(f"{method} {path} answered {reply.status}")
        self.run.fire(name, method, reply.seconds, len(reply.text), failed)
        return reply


class Stopping(Exception):
    """The run's time is up: the person stops between two steps."""


def pause(seconds: float) -> None:
    run = current_run()
    if run.stopping:
        raise Stopping
    gevent.sleep(seconds)
    if run.stopping:
        raise Stopping


def think(span: tuple[float, float]) -> None:
    pause(random.uniform(*span))  # noqa: S311 - think time, not security


def again[T](call: Callable[[], T], what: str, *, tries: int = 40) -> T:
    """A person whose page did not load tries again a second later (a connection refused
    or reset while a server restarts, or a 5xx). For requests that change nothing, or
    that the caller checks afterwards."""
    for _attempt in range(tries - 1):
        try:
            return call()
        except (*CONNECTION_ERRORS, RuntimeError):
            # RuntimeError: bench/marks.py's sign_in and Owner.open_sheet, and Retry.
            pause(1.0)
    return call()


class Retry(RuntimeError):
    """An answer from a server that was failing (5xx): ask again."""


def get_ok(client: Browser, path: str, headers: dict[str, str] | None = None) -> Reply:
    def one() -> Reply:
        reply = client.request("GET", path, headers=headers)
        if reply.status >= 500:
            raise Retry(path)
        return reply

    return again(one, path)


# --- The people --------------------------------------------------------------------------


def signed_in(run: Run, account: Account) -> Browser:
    client = Browser(run)

    def attempt() -> Browser:
        client.cookies.clear()
        sign_in(client, account.email, account.secret)
        return client

    return again(attempt, f"sign-in {account.email}", tries=5)


def save_mark(owner: Owner) -> None:
    """One save through bench/marks.py's Owner. When the answer is lost (a connection
    reset, a 5xx from a restarting server) the outcome is unknown, as it is for a browser:
    the row is read back and the save counts only if the row shows it, else it is sent
    again."""
    number = owner.numbers[owner.cursor % len(owner.numbers)]
    count = owner.saves.get(number, 0)
    noted = len(owner.problems)
    try:
        reply = owner.save_next("load")
        if reply.status < 500:
            return
        del owner.problems[noted:]
    except CONNECTION_ERRORS:
        pass
    client = owner.client
    assert isinstance(client, Browser)
    row = get_ok(client, owner.row_path(number), headers={"HX-Request": "true"})
    version = re.search(rf'name="v-{number}" value="(\d+)"', row.text)
    value = re.search(rf'name="m-{number}-task-1" value="(\d*)"', row.text)
    if row.status != 200 or version is None:
        owner.problems.append(f"row {number} after a lost save: {row.status}")
        return
    seen = int(version[1])
    if seen == owner.versions[number] + 1 and value is not None:
        from bench.marks import value_for

        if value[1] == str(value_for(number, count)):
            owner.versions[number] = seen
            owner.saves[number] = count + 1
            return
    owner.versions[number] = seen
    owner.cursor -= 1  # not saved: the next save sends the same value again


def submit(client: Browser, sheet: Sheet) -> None:
    """Confirm page, then the POST. A submit whose answer was lost is sent again; the
    second finds nothing left to submit, which means the first went through."""
    base = f"/iamis/units/{sheet.unit_id}"
    get_ok(client, f"{base}/submit/")
    for _attempt in range(30):
        try:
            reply = client.request(
                "POST", f"{base}/submit/", {"csrfmiddlewaretoken": client.csrf}
            )
        except CONNECTION_ERRORS:
            pause(1.0)
            continue
        if reply.status == 302:
            sheet.submitted = True
            get_ok(client, reply.location)
            return
        if reply.status == 200 and "There are no marks to submit." in reply.text:
            sheet.submitted = True
            return
        if reply.status < 500:
            current_run().problems.append(
                f"{sheet.account.email}: submit answered {reply.status}"
            )
            return
        pause(1.0)
    current_run().problems.append(f"{sheet.account.email}: submit never answered")


def wait_for_sample(client: Browser, sheet: Sheet) -> list[int]:
    """View samples every 2 s until the worker's sample replaces "Generating sample...";
    returns the sampled candidates that take uploads."""
    run = current_run()
    path = f"/iamis/units/{sheet.unit_id}/samples/"
    started = time.perf_counter()
    while time.perf_counter() - started < SAMPLE_WAIT:
        page = get_ok(client, path)
        if page.status == 200 and "Generating sample..." not in page.text:
            sheet.sample_seen = True
            run.fire(SAMPLE_STEP, "wait", time.perf_counter() - started)
            return [
                int(n)
                for n in re.findall(
                    r'data-kind="candidate" data-candidate="(\d+)"', page.text
                )
            ]
        pause(2.0)
    run.problems.append(f"{sheet.account.email}: no sample after {SAMPLE_WAIT:.0f} s")
    return []


def upload_files(client: Browser, sheet: Sheet, candidates: list[int]) -> None:
    """bench/upload.py's protocol for two sampled candidates; a failed upload (a server
    restarting) is started again from scratch, as a person would."""
    run = current_run()
    fd = os.open(run.source, os.O_RDONLY)
    try:
        for candidate in candidates[:2]:
            for attempt in range(5):
                started = time.perf_counter()
                try:
                    session = start_upload(
                        client,
                        sheet.unit_id,
                        candidate,
                        f"work-{candidate}-{attempt}.bin",
                        UPLOAD_BYTES,
                    )
                    send_from(client, session, fd, UPLOAD_BYTES, 0, UPLOAD_BYTES)
                    receipt = complete(client, session)
                except (*CONNECTION_ERRORS, RuntimeError) as error:
                    run.fire(
                        UPLOAD_STEP, "upload", time.perf_counter() - started, 0, error
                    )
                    pause(1.0)
                    continue
                run.fire(UPLOAD_STEP, "upload", time.perf_counter() - started)
                sheet.receipts.append(receipt)
                if receipt.get("sha256") != run.source_sha:
                    run.problems.append(
                        f"{sheet.account.email}: receipt {receipt} differs from the source"
                    )
                break
            think(THINK_SAVE)
    finally:
        os.close(fd)


def teacher(run: Run) -> None:
    sheet = run._sheets.pop()
    client = signed_in(run, sheet.account)
    owner = Owner(client, sheet.unit_id, sheet.numbers)
    sheet.owner = owner
    again(owner.open_sheet, "open marksheet")
    for _number in sheet.numbers:
        think(THINK_SAVE)
        save_mark(owner)
    while owner.problems == [] and len(owner.saves) < len(sheet.numbers):
        save_mark(owner)  # a save sent again after a lost answer
    think(THINK_SAVE)
    submit(client, sheet)
    if not sheet.submitted:
        return
    candidates = wait_for_sample(client, sheet)
    if sheet.uploads and candidates:
        upload_files(client, sheet, candidates)
    while True:
        think(THINK_BROWSE)
        get_ok(client, f"/iamis/units/{sheet.unit_id}/samples/")


def officer(run: Run) -> None:
    client = signed_in(run, run._officers.pop())
    while True:
        get_ok(client, "/iamis/dashboard/")
        think(THINK_BROWSE)


def reporter(run: Run) -> None:
    """Asks for one Candidate Details PDF and downloads it once the worker made it."""
    client = signed_in(run, run.cast.reporter)
    think(THINK_BROWSE)
    path = f"/iamis/reports/units/{run.cast.report_unit_id}/pdf/"
    started = time.perf_counter()

    def ask() -> Reply:
        reply = client.request("POST", path, {"csrfmiddlewaretoken": client.csrf})
        if reply.status >= 500:
            raise Retry(path)
        return reply

    reply = again(ask, "PDF request")
    if reply.status != 302:
        run.problems.append(f"PDF request answered {reply.status}")
        return
    status_path = reply.location
    run.renders.append(status_path.rstrip("/").rsplit("/", 1)[-1])
    while time.perf_counter() - started < SAMPLE_WAIT:
        page = get_ok(client, status_path)
        found = re.search(r'href="([^"]+/download/)"', page.text)
        if found:
            run.fire(PDF_STEP, "wait", time.perf_counter() - started)
            pdf = get_ok(client, found[1])
            if not pdf.text.startswith("%PDF"):
                run.problems.append(f"PDF download: {pdf.status}, not a PDF")
            break
        pause(1.0)
    else:
        run.problems.append(f"no PDF after {SAMPLE_WAIT:.0f} s")
    while True:
        think(THINK_BROWSE)
        get_ok(client, "/iamis/dashboard/")


def probe(run: Run) -> None:
    """The trivial views, all through the run: the same server, the same load."""
    client = signed_in(run, run.cast.probe)
    while True:
        for path in ("/healthz", "/i18n/setlang/"):
            with contextlib.suppress(*CONNECTION_ERRORS):
                client.request("GET", path)
            pause(PROBE_EVERY)


class Person(User):
    """A locust user that plays one part once; its task never returns until the end."""

    abstract = True
    wait_time = constant(0)
    part: Callable[[Run], None] = staticmethod(probe)

    @task
    def play(self) -> None:
        run = current_run()
        run.active += 1
        try:
            type(self).part(run)
        except Stopping:
            pass
        except Exception as error:
            run.problems.append(
                f"{type(self).__name__}: {type(error).__name__}: {error}"
            )
        finally:
            run.active -= 1
        while True:  # the part is played; the user idles until locust stops it
            gevent.sleep(3600)


class Teacher(Person):
    part = staticmethod(teacher)


class Officer(Person):
    part = staticmethod(officer)


class Reporter(Person):
    part = staticmethod(reporter)


class Probe(Person):
    part = staticmethod(probe)


# --- One level ---------------------------------------------------------------------------


@dataclass
class Result:
    users: int
    cast: Cast
    started: float
    seconds: float
    stats: dict[str, dict[str, float]]
    problems: list[str]
    errors: list[str]
    answers: list[tuple[float, str, int]]
    renders: list[str]
    # CPU seconds each part spent over the level (cpu_snapshot's names), and what the
    # checks found missing or wrong afterwards.
    cpu: dict[str, float] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    timeline: list[tuple[float, str, float]] = field(default_factory=list)


def run_level(
    cast: Cast,
    ports: list[int],
    source: Path,
    source_sha: str,
    *,
    run_time: float,
    spawn_rate: float,
    drain: float = 90.0,
    during: Callable[[Run], None] | None = None,
) -> Result:
    """Start every person (probe first), let them work for `run_time` seconds, then ask
    them to stop between two steps and wait up to `drain` seconds for the last ones (a
    save cut off mid-request would leave its outcome unknown). `during`, if given, runs
    in its own greenlet while the people work (bench/faults.py breaks things there)."""
    global RUN
    # locust's own INFO lines (ramping, spawned) would go through the project's JSON log.
    logging.getLogger("locust").setLevel(logging.WARNING)
    run = Run(cast=cast, ports=ports, source=source, source_sha=source_sha)
    RUN = run
    counts = {
        Probe: 1,
        Reporter: 1,
        Officer: len(cast.officers),
        Teacher: len(cast.sheets),
    }
    for user_class, count in counts.items():
        user_class.fixed_count = count
    environment = Environment(user_classes=list(counts), catch_exceptions=True)
    run.environment = environment
    runner = environment.create_local_runner()
    run.started = time.time()
    started = time.perf_counter()
    runner.start(cast.users, spawn_rate=spawn_rate)
    side = gevent.spawn(during, run) if during is not None else None
    gevent.sleep(run_time)
    run.stopping = True
    deadline = time.perf_counter() + drain
    gevent.sleep(1)
    while run.active and time.perf_counter() < deadline:
        gevent.sleep(0.5)
    if run.active:
        run.problems.append(
            f"{run.active} people still busy {drain:.0f} s after the end"
        )
    if side is not None:
        side.join(timeout=drain)
        if side.exception is not None:
            run.problems.append(f"fault script: {side.exception!r}")
    runner.quit()
    seconds = time.perf_counter() - started
    stats = {}
    for entry in environment.stats.entries.values():
        times = run.times.get(entry.name, [])
        stats[entry.name] = {
            "n": entry.num_requests,
            "fail": entry.num_failures,
            "rps": entry.num_requests / seconds,
            "median": median(times) * 1000,
            "p95": percentile(times, 95) * 1000,
            "p99": percentile(times, 99) * 1000,
        }
    errors = [
        f"{error.occurrences} x {error.method} {error.name}: {error.error}"[:300]
        for error in environment.stats.errors.values()
    ]
    RUN = None
    return Result(
        users=cast.users,
        cast=cast,
        started=run.started,
        seconds=seconds,
        stats=stats,
        problems=run.problems,
        errors=errors,
        answers=run.answers,
        renders=run.renders,
        timeline=run.timeline,
    )


# --- Nothing lost --------------------------------------------------------------------------


def verify(stack: _stack.Stack, result: Result, source_sha: str) -> list[str]:
    """Marks, samples, uploads and PDFs of one level against what its people did."""
    import psycopg

    cast = result.cast
    problems: list[str] = []
    media = Path(stack.env["MEDIA_ROOT"])
    with psycopg.connect(stack.database_url) as db:
        for sheet in cast.sheets:
            owner = sheet.owner
            saves = owner.saves if owner is not None else {}
            label = f"{sheet.account.email} "
            found, _entries = sheet_problems(
                db,
                unit_pk=sheet.unit_pk,
                centre_pk=sheet.account.centre_pk,
                saves=saves,
                label=label,
            )
            problems += found
            if owner is not None:
                problems += [label + p for p in owner.problems]
            samples = db.execute(
                """
                SELECT s.status, count(m.id), count(DISTINCT m.entry_id)
                FROM sampling_sample s
                LEFT JOIN sampling_samplemember m ON m.sample_id = s.id
                WHERE s.centre_id = %s AND s.unit_id = %s GROUP BY s.id
                """,
                (sheet.account.centre_pk, sheet.unit_pk),
            ).fetchall()
            submissions = db.execute(
                "SELECT count(*) FROM iamis_submission WHERE centre_id = %s "
                "AND unit_id = %s",
                (sheet.account.centre_pk, sheet.unit_pk),
            ).fetchone()
            submitted = bool(submissions and submissions[0])
            if sheet.submitted != submitted:
                problems.append(
                    f"{label}submitted: client says {sheet.submitted}, database "
                    f"has {submissions[0] if submissions else 0} submission(s)"
                )
            if submitted:
                if len(samples) != 1:
                    problems.append(f"{label}{len(samples)} samples, expected 1")
                else:
                    status, members, distinct = samples[0]
                    if status != "ready" or members == 0 or members != distinct:
                        problems.append(
                            f"{label}sample {status}, {members} members "
                            f"({distinct} different entries)"
                        )
            elif samples:
                problems.append(f"{label}a sample without a submission")
        files = db.execute(
            """
            SELECT f.original_name, f.size, f.sha256, f.storage_key
            FROM uploads_evidencefile f WHERE f.centre_id = ANY(%s)
            """,
            (cast.centre_pks,),
        ).fetchall()
        renders = db.execute(
            """
            SELECT r.public_id::text, r.status, r.storage_key FROM reports_reportrender r
            WHERE r.centre_id = ANY(%s)
            """,
            (cast.centre_pks,),
        ).fetchall()
    receipts = sum(len(sheet.receipts) for sheet in cast.sheets)
    if len(files) < receipts:
        problems.append(f"{receipts} upload receipts but {len(files)} files recorded")
    for name, size, sha, key in files:
        on_disk = hashlib.sha256()
        path = media / key
        if not path.is_file():
            problems.append(f"upload {name}: no file at {key}")
            continue
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                on_disk.update(block)
        if (
            sha != source_sha
            or on_disk.hexdigest() != source_sha
            or size != UPLOAD_BYTES
        ):
            problems.append(f"upload {name}: SHA-256 or size differs from the source")
    problems += pdf_problems(media, renders, result.renders)
    return problems


def pdf_problems(
    media: Path, renders: list[tuple[str, str, str]], asked: list[str]
) -> list[str]:
    """Each PDF asked for is one ready render whose file exists and is a PDF."""
    problems = []
    by_id = {public_id: (status, key) for public_id, status, key in renders}
    for public_id in asked:
        if public_id not in by_id:
            problems.append(f"PDF {public_id}: no render recorded")
            continue
        status, key = by_id[public_id]
        path = media / key if key else None
        if status != "ready" or path is None or not path.is_file():
            problems.append(f"PDF {public_id}: {status}, file {key or 'none'}")
        elif not path.read_bytes().startswith(b"%PDF"):
            problems.append(f"PDF {public_id}: the stored file is not a PDF")
    if len(renders) != len(asked):
        problems.append(f"{len(renders)} renders recorded, {len(asked)} asked for")
    return problems


def wait_for_worker(stack: _stack.Stack, cast: Cast, timeout: float = 120) -> None:
    """The worker may still be making the last samples and PDFs when the people stop."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(stack.database_url, autocommit=True) as db:
        while time.monotonic() < deadline:
            row = db.execute(
                """
                SELECT (SELECT count(*) FROM sampling_sample WHERE status = 'pending'
                        AND centre_id = ANY(%s))
                     + (SELECT count(*) FROM reports_reportrender
                        WHERE status = 'pending' AND centre_id = ANY(%s))
                """,
                (cast.centre_pks, cast.centre_pks),
            ).fetchone()
            if not row or not row[0]:
                return
            time.sleep(1)


# --- Report ------------------------------------------------------------------------------


ORDER = [
    "sign-in: page",
    "sign-in: e-mail",
    "sign-in: password",
    "sign-in: TOTP code",
    "IAMIS index",
    "open marksheet",
    "save a mark",
    "row (after a lost answer)",
    "submit: confirm page",
    "submit",
    "submitted page",
    "open samples",
    SAMPLE_STEP,
    "dashboard",
    UPLOAD_STEP,
    "PDF: request",
    "PDF: status page",
    PDF_STEP,
    "PDF: download",
    "trivial: signed-in 405",
    TRIVIAL,
]


def print_level(result: Result) -> None:
    cast = result.cast
    print()
    print(
        f"== {result.users} users: {len(cast.sheets)} teachers ({cast.uploaders} "
        f"upload), {len(cast.officers)} exams officers, 1 PDF, 1 probe; "
        f"{result.seconds:.0f} s =="
    )
    trivial = result.stats.get(TRIVIAL, {}).get("median") or float("nan")
    print(
        f"{'step':<46}{'n':>6}{'req/s':>8}{'median':>9}{'p95':>9}{'p99':>9}"
        f"{'fail':>6}{'x /healthz':>11}"
    )
    names = [n for n in ORDER if n in result.stats]
    names += sorted(set(result.stats) - set(ORDER))
    for name in names:
        row = result.stats[name]
        print(
            f"{name:<46}{row['n']:>6.0f}{row['rps']:>8.1f}{row['median']:>7.0f}ms"
            f"{row['p95']:>7.0f}ms{row['p99']:>7.0f}ms{row['fail']:>6.0f}"
            f"{row['median'] / trivial:>10.1f}x"
        )
    total = sum(r["n"] for r in result.stats.values())
    failed = sum(r["fail"] for r in result.stats.values())
    print(f"all requests: {total} ({total / result.seconds:.1f}/s), {failed} failed")
    sheets = cast.sheets
    print(
        f"sheets: {sum(len(s.owner.saves) == len(s.numbers) for s in sheets if s.owner)}"
        f" of {len(sheets)} fully marked, {sum(s.submitted for s in sheets)} submitted, "
        f"{sum(s.sample_seen for s in sheets)} samples seen; "
        f"{sum(len(s.receipts) for s in sheets)} uploads"
    )


def print_summary(results: list[Result]) -> None:
    print()
    print(
        "== Summary: median / p95 / p99 in ms (x median of /healthz in the same run) =="
    )
    head = "".join(f"{f'{r.users} users':>26}" for r in results)
    print(f"{'step':<34}{head}")
    for name in [
        "sign-in: password",
        "open marksheet",
        "save a mark",
        "submit",
        "open samples",
        "dashboard",
        SAMPLE_STEP,
        UPLOAD_STEP,
        PDF_STEP,
        "trivial: signed-in 405",
        TRIVIAL,
    ]:
        cells = []
        for result in results:
            row = result.stats.get(name)
            trivial = result.stats.get(TRIVIAL, {}).get("median") or float("nan")
            cells.append(
                f"{row['median']:.0f}/{row['p95']:.0f}/{row['p99']:.0f} "
                f"({row['median'] / trivial:.0f}x)"
                if row
                else "-"
            )
        print(f"{name:<34}" + "".join(f"{cell:>26}" for cell in cells))
    throughput = "".join(
        f"{sum(r['n'] for r in x.stats.values()) / x.seconds:>22.1f} r/s"
        for x in results
    )
    print(f"{'throughput (all requests)':<34}{throughput}")
    saves = "".join(
        f"{x.stats.get('save a mark', {}).get('rps', 0):>22.1f} r/s" for x in results
    )
    print(f"{'throughput (mark saves)':<34}{saves}")
    fails = "".join(
        f"{sum(r['fail'] for r in x.stats.values()):>26.0f}" for x in results
    )
    print(f"{'failed requests':<34}{fails}")
    for name, part in [
        ("web CPU per request (sign-ins too)", "gunicorn"),
        ("PG CPU per request", "postgres (all)"),
    ]:
        per_request = "".join(
            f"{1000 * x.cpu.get(part, math.nan) / max(1, _requests(x)):>23.1f} ms"
            for x in results
        )
        print(f"{name:<34}{per_request}")
    finished = "".join(f"{_sheets_done(x):>26}" for x in results)
    print(f"{'sheets marked / submitted / of':<34}{finished}")
    after = "".join(f"{_saves_after_sign_in(x):>26}" for x in results)
    print(f"{'save a mark, all signed in':<34}{after}")
    kept = "".join(f"{not x.lost!s:>26}" for x in results)
    print(f"{'nothing lost':<34}{kept}")


def _saves_after_sign_in(result: Result) -> str:
    """Median / p95 / p99 of the saves that started once the last person had signed
    in: the saves of a working sheet, apart from the ramp of password checks (each
    costs most of a second of CPU on purpose)."""
    signed_in = [
        end for end, name, _s in result.timeline if name == "sign-in: TOTP code"
    ]
    if not signed_in:
        return "-"
    last = max(signed_in)
    saves = [
        seconds
        for end, name, seconds in result.timeline
        if name == "save a mark" and end - seconds > last
    ]
    if not saves:
        return "none"
    cut = [1000 * _stack.percentile(saves, pct) for pct in (50, 95, 99)]
    return "/".join(f"{value:.0f}" for value in cut) + f" (n={len(saves)})"


def _requests(result: Result) -> int:
    return int(sum(row["n"] for row in result.stats.values()))


def _sheets_done(result: Result) -> str:
    sheets = result.cast.sheets
    marked = sum(len(s.owner.saves) == len(s.numbers) for s in sheets if s.owner)
    submitted = sum(s.submitted for s in sheets)
    return f"{marked} / {submitted} / {len(sheets)}"


# --- Where the CPU went ------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has waited for (gunicorn's
    and Celery's recycled workers), from /proc; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 of the line (1-based).
    return sum(int(value) for value in fields[11:15]) / TICKS


def live_children_cpu(pid: int) -> float:
    from bench.upload import children

    return sum(cpu_seconds(child) for child in children(pid))


def postgres_cpu() -> float:
    """Every PostgreSQL process on the machine (the lead's test runs' too)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isascii() and entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            total += cpu_seconds(int(entry))
    return total


def cpu_snapshot(servers: Servers) -> dict[str, float]:
    web = sum(
        cpu_seconds(p.pid) + live_children_cpu(p.pid) for p in servers.web.values()
    )
    worker = servers.worker
    celery = cpu_seconds(worker.pid) + live_children_cpu(worker.pid) if worker else 0.0
    redis = servers.stack.by_name.get("redis")
    own = os.times()
    return {
        "gunicorn": web,
        "celery": celery,
        "postgres (all)": postgres_cpu(),
        "redis": cpu_seconds(redis.pid) if redis else 0.0,
        "locust client": own.user + own.system,
        "machine (all)": machine_busy(),
    }


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (every core), from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def cpu_line(before: dict[str, float], after: dict[str, float], wall: float) -> str:
    parts = [
        f"{name} {after[name] - before[name]:.0f} s"
        for name in before
        if name != "machine (all)"
    ]
    busy = after["machine (all)"] - before["machine (all)"]
    return (
        f"CPU seconds over {wall:.0f} s on {os.cpu_count()} cores "
        f"(machine busy {busy:.0f} s of {wall * (os.cpu_count() or 1):.0f}): "
        + ", ".join(parts)
    )


# --- The stack ---------------------------------------------------------------------------


@dataclass
class Servers:
    """Handles on what runs, for bench/faults.py to break and restart."""

    stack: _stack.Stack
    redis_port: int
    web_ports: list[int]
    web: dict[int, Any]
    worker: Any
    gunicorn_workers: int
    celery_concurrency: int
    web_env: dict[str, str]
    worker_env: dict[str, str]

    def start_web(self, port: int) -> None:
        self.web[port] = _stack.start_gunicorn(
            self.stack,
            port,
            workers=self.gunicorn_workers,
            name=f"gunicorn-{port}",
            extra_env=self.web_env,
            extra_args=["-c", str(ROOT / "portal" / "gunicorn.conf.py")],
        )

    def start_worker(self) -> None:
        self.worker = _stack.start_celery_worker(
            self.stack,
            pool="prefork",
            concurrency=self.celery_concurrency,
            extra_env=self.worker_env,
        )


def start_servers(
    stack: _stack.Stack,
    *,
    masters: int,
    gunicorn_workers: int,
    celery_concurrency: int,
    worker_env: dict[str, str] | None = None,
) -> Servers:
    # Django logs each of the probe's 405s at WARNING; errors are still logged.
    web_env = {
        "LOG_LEVEL": "ERROR",
        "MEDIA_ROOT": stack.env["MEDIA_ROOT"],
        "AWS_STORAGE_BUCKET_NAME": "",
    }
    servers = Servers(
        stack=stack,
        redis_port=0,
        web_ports=[_stack.free_port() for _ in range(masters)],
        web={},
        worker=None,
        gunicorn_workers=gunicorn_workers,
        celery_concurrency=celery_concurrency,
        web_env=web_env,
        worker_env={**web_env, **(worker_env or {})},
    )
    for port in servers.web_ports:
        servers.start_web(port)
    servers.start_worker()
    return servers


def prepare(stack: _stack.Stack, levels: list[int]) -> tuple[list[Cast], int]:
    """Private Redis, database with the demo data, one cast per level. Returns the casts
    and the Redis port."""
    redis_port = _stack.free_port()
    _stack.start_redis(stack, redis_port)
    stack.env["MEDIA_ROOT"] = str(stack.workdir / "media")
    _stack.build(stack)
    started = time.perf_counter()
    units = make_units()
    casts = [make_cast(index, users, units) for index, users in enumerate(levels)]
    _stack.analyze()
    _stack.close_db_connections()
    print(
        f"scenario data: {UNITS} units, {sum(len(c.centre_pks) for c in casts)} centres "
        f"of {CANDIDATES} candidates, {sum(c.users for c in casts)} accounts with "
        f"their own authenticators, in {time.perf_counter() - started:.1f} s"
    )
    return casts, redis_port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--run-time", type=float, default=60.0, help="seconds a level")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users a second")
    # portal/gunicorn.conf.py's default.
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="20 users for 45 s (about 1.5 minutes)"
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.run_time = [20], 45.0
    if any(users > 400 or users < 4 for users in args.users) or args.run_time > 600:
        parser.error("between 4 and 400 users, at most 600 s a level")

    _stack.install_signal_handlers()
    stack = _stack.make_stack("iamis_bench_load")
    print(f"bench/load.py: scratch folder {stack.workdir} (logs)")
    print(_stack.machine_load())
    failures: list[str] = []
    results: list[Result] = []
    try:
        casts, _redis_port = prepare(stack, args.users)
        source = stack.workdir / "upload-source.bin"
        source_sha = make_file(source, UPLOAD_BYTES)
        servers = start_servers(
            stack,
            masters=1,
            gunicorn_workers=args.gunicorn_workers,
            celery_concurrency=args.celery_concurrency,
        )
        print(
            f"gunicorn: {args.gunicorn_workers} sync workers (portal/gunicorn.conf.py) on "
            f"127.0.0.1:{servers.web_ports[0]}; Celery: prefork, concurrency "
            f"{args.celery_concurrency}; private Redis {stack.env['REDIS_URL']}"
        )
        for cast in casts:
            before = cpu_snapshot(servers)
            result = run_level(
                cast,
                servers.web_ports,
                source,
                source_sha,
                run_time=args.run_time,
                spawn_rate=args.spawn_rate,
            )
            after = cpu_snapshot(servers)
            cpu = cpu_line(before, after, result.seconds)
            result.cpu = {name: after[name] - before[name] for name in before}
            wait_for_worker(stack, cast)
            lost = result.lost = verify(stack, result, source_sha)
            print_level(result)
            print(cpu)
            problems = result.problems + result.errors + lost
            print(
                f"nothing lost: {len(lost) == 0}; problems: {len(problems)}"
                + ("" if not problems else " - " + "; ".join(problems[:8]))
            )
            failures += problems
            results.append(result)
    finally:
        _stack.stop_all(stack)
        _stack.close_db_connections()
    print_summary(results)
    print(_stack.machine_load())
    failed_requests = sum(sum(r["fail"] for r in x.stats.values()) for x in results)
    if failures or failed_requests:
        print(f"FAILED: {len(failures)} problems, {failed_requests} failed requests")
        return 1
    print("OK: every mark, sample, upload and PDF checked")
    return 0


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
