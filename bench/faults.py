"""Issue 11's fault run: the load scenario of bench/load.py while the stack is broken.

With the scenario's people working (teachers saving, submitting and uploading, exams
officers on the dashboard, a PDF), this script, one fault after another:

1. kills the Celery worker (SIGKILL to its whole process group, as if its machine died)
   while it is choosing a sample, and starts it again;
2. kills it again while it is rendering a PDF, and starts it again;
3. restarts the run's private Redis (cache and broker; append-only file, as
   docker-compose.yml runs it) - never the machine's shared one;
4. kills one gunicorn worker process mid-traffic (its master starts another), then
   restarts one of the two gunicorn masters (SIGTERM, start again on the same port).

The sample and the PDF it kills the worker on are big enough (a 3,000-candidate sheet,
a 600-row PDF) that the kill lands mid-task: the script waits until the database says
the task started. The worker's tasks are late-acknowledged, so Redis hands a killed
task out again after the visibility timeout; the beat sweeps (`requeue_pending_samples`,
`requeue_stuck_renders`), which beat runs every 5 minutes, are sent every 5 s here,
and the task time limit is 20 s (so the lease of a started PDF is 20 s and Redis's
visibility timeout 40 s), to keep the run short. Then it checks:

* every sample and every PDF exists exactly once (one ready sample with distinct members
  per submitted sheet, one ready render per PDF asked for, one stored file per render);
* bench/load.py's checks: every saved mark, every submission, every upload's SHA-256;
* no request answered 500 (or failed to connect) outside the fault windows.

    .venv/bin/python bench/faults.py            # 50 users, about 3.5 minutes
    .venv/bin/python bench/faults.py --quick    # 20 users, under 2 minutes

Loopback only; exits 1 when a check fails.
"""

from __future__ import annotations

# As bench/load.py: the standard library is patched for locust's greenlets first.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:1] = [str(ROOT)]

import gevent  # noqa: E402

from bench import _stack, load  # noqa: E402
from bench.reports import make_sheet  # noqa: E402
from bench.upload import children, make_file  # noqa: E402

BIG_SAMPLE = 3000
BIG_PDF = 600
OFFICER = "eo@bryn-glas.example"
TIME_LIMIT = 20  # seconds: the worker's hard limit, the PDF lease; Redis visibility 2x
SWEEP_EVERY = 5.0
GRACE = 2.0  # seconds after a restart still counted in its window


@dataclass
class Fault:
    name: str
    started: float = 0.0
    ended: float = 0.0
    mid_task: str = ""
    note: str = ""
    # A restart of Redis or of a web process may fail the requests it cuts off; a
    # Celery worker's death must not fail any request.
    excuses_errors: bool = True

    @property
    def window(self) -> tuple[float, float]:
        return self.started, self.ended + GRACE


@dataclass
class Faults:
    servers: load.Servers
    big_sample_unit: str
    big_pdf_unit: str
    faults: list[Fault] = field(default_factory=list)
    big_submission: int = 0
    big_render: int = 0
    sweeps: int = 0
    stop_sweeping: bool = False


# --- Waiting on the database (this process, its own greenlet) ------------------------------


def db_value(sql: str, params: tuple[Any, ...]) -> object:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def wait_until(check: object, *, timeout: float, every: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        gevent.sleep(every)
    return False


def big_sample_submit(state: Faults) -> int:
    """Submit the 3,000-candidate sheet in this process (its sample is queued on commit)."""
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Unit
    from sampling.services import marks_submit

    submission = marks_submit(
        centre=Centre.objects.get(number=68999),
        unit=Unit.objects.get(public_id=state.big_sample_unit),
        acting_user=User.objects.get(email=OFFICER),
    )
    return submission.pk


def big_pdf_request(state: Faults) -> int:
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Unit
    from reports import services
    from reports.models import ReportRender

    made = services.render_request(
        centre=Centre.objects.get(number=68999),
        unit=Unit.objects.get(public_id=state.big_pdf_unit),
        kind=ReportRender.Kind.CANDIDATE_DETAILS,
        acting_user=User.objects.get(email=OFFICER),
        language="en",
    )
    return made.pk


# --- The faults ----------------------------------------------------------------------------


def kill_group(process: object) -> None:
    pid = process.pid  # type: ignore[attr-defined]
    os.killpg(pid, signal.SIGKILL)
    process.wait(timeout=10)  # type: ignore[attr-defined]


def restart_worker(state: Faults) -> None:
    servers = state.servers
    servers.stack.processes.remove(servers.worker)
    servers.start_worker()


def kill_worker_mid(
    state: Faults,
    fault: Fault,
    *,
    started_sql: str,
    status_sql: str,
    pk: int,
    task: str,
) -> Fault:
    """SIGKILL the worker once `started_sql` says the task began, note whether it was
    still running (`status_sql`), and start a new worker."""
    started = wait_until(lambda: db_value(started_sql, (pk,)), timeout=60)
    fault.started = time.time()
    kill_group(state.servers.worker)
    status = db_value(status_sql, (pk,))
    fault.mid_task = (
        f"{task} started, still {status} at the kill"
        if started and status == "pending"
        else f"MISSED: the {task} was {status} at the kill"
    )
    restart_worker(state)
    fault.ended = time.time()
    return fault


def kill_worker_mid_sample(state: Faults) -> Fault:
    state.big_submission = big_sample_submit(state)
    return kill_worker_mid(
        state,
        Fault("Celery worker killed mid-sample", excuses_errors=False),
        # The attempt is counted (committed) before the marks are read.
        started_sql="SELECT attempts FROM sampling_sample WHERE submission_id = %s "
        "AND status = 'pending'",
        status_sql="SELECT status FROM sampling_sample WHERE submission_id = %s",
        pk=state.big_submission,
        task=f"sample of {BIG_SAMPLE}",
    )


def kill_worker_mid_pdf(state: Faults) -> Fault:
    state.big_render = big_pdf_request(state)
    return kill_worker_mid(
        state,
        Fault("Celery worker killed mid-PDF", excuses_errors=False),
        # The lease is taken (committed) before WeasyPrint starts; the condition holds
        # for the ~3 s of the render, and the kill lands within it.
        started_sql="SELECT started_at IS NOT NULL FROM reports_reportrender "
        "WHERE id = %s AND status = 'pending' AND started_at < now() - '0.3 s'::interval",
        status_sql="SELECT status FROM reports_reportrender WHERE id = %s",
        pk=state.big_render,
        task=f"{BIG_PDF}-row PDF",
    )


def restart_redis(state: Faults) -> Fault:
    fault = Fault("Redis restarted (private, 127.0.0.1)")
    stack = state.servers.stack
    redis = stack.by_name["redis"]
    fault.started = time.time()
    _stack.stop(redis)
    stack.processes.remove(redis)
    gevent.sleep(1.0)
    _stack.start_redis(stack, state.servers.redis_port)
    fault.ended = time.time()
    fault.note = "down for ~1 s; append-only file kept the queue"
    return fault


def kill_web_worker(state: Faults) -> Fault:
    fault = Fault("one gunicorn worker killed (SIGKILL)")
    master = state.servers.web[state.servers.web_ports[0]]
    workers = children(master.pid)
    fault.started = time.time()
    os.kill(workers[0], signal.SIGKILL)
    wait_until(lambda: len(children(master.pid)) >= len(workers), timeout=30, every=0.1)
    fault.ended = time.time()
    fault.note = f"pid {workers[0]} of master :{state.servers.web_ports[0]}"
    return fault


def restart_web_master(state: Faults) -> Fault:
    servers = state.servers
    port = servers.web_ports[-1]
    fault = Fault(f"gunicorn master :{port} restarted")
    old = servers.web[port]
    fault.started = time.time()
    _stack.stop(old)
    servers.stack.processes.remove(old)
    servers.start_web(port)
    fault.ended = time.time()
    fault.note = "SIGTERM (graceful), then started again"
    return fault


def sweep(state: Faults) -> None:
    """What beat does every 5 minutes, every few seconds: queue lost samples and PDFs."""
    from portal.celery import app

    while not state.stop_sweeping:
        gevent.sleep(SWEEP_EVERY)
        try:
            app.send_task("sampling.requeue_pending_samples")
            app.send_task("reports.requeue_stuck_renders")
            state.sweeps += 1
        except Exception:  # noqa: S110 - Redis may be restarting; the next sweep goes
            pass


def break_things(state: Faults, run: load.Run) -> None:
    with _stack.board_wide():
        gevent.sleep(12)  # people signing in and saving
        for action in (
            kill_worker_mid_sample,
            kill_worker_mid_pdf,
            restart_redis,
            kill_web_worker,
            restart_web_master,
        ):
            if run.stopping:
                break
            fault = action(state)
            state.faults.append(fault)
            print(
                f"  {fault.started - run.started:5.1f} s  {fault.name}: "
                f"{fault.mid_task or fault.note} (back after "
                f"{fault.ended - fault.started:.1f} s)",
                flush=True,
            )
            _stack.close_db_connections()
            gevent.sleep(4)


# --- Checks ---------------------------------------------------------------------------------


def exactly_once(stack: _stack.Stack, state: Faults) -> list[str]:
    """The big sheet's sample and the big PDF, made through the kills: one of each."""
    import psycopg

    problems = []
    media = Path(stack.env["MEDIA_ROOT"])
    with psycopg.connect(stack.database_url) as db:
        samples = db.execute(
            """
            SELECT s.status, s.attempts, count(m.id), count(DISTINCT m.entry_id)
            FROM sampling_sample s
            JOIN iamis_submission sub ON sub.centre_id = s.centre_id
                 AND sub.unit_id = s.unit_id
            LEFT JOIN sampling_samplemember m ON m.sample_id = s.id
            WHERE sub.id = %s GROUP BY s.id
            """,
            (state.big_submission,),
        ).fetchall()
        renders = db.execute(
            """
            SELECT r.public_id::text, r.status, r.storage_key, r.attempts
            FROM reports_reportrender r
            WHERE r.unit_id = (SELECT unit_id FROM reports_reportrender WHERE id = %s)
            """,
            (state.big_render,),
        ).fetchall()
    if len(samples) != 1:
        problems.append(f"big sheet: {len(samples)} samples, expected 1")
    else:
        status, attempts, members, distinct = samples[0]
        if status != "ready" or members == 0 or members != distinct:
            problems.append(
                f"big sheet's sample {status} after {attempts} attempts: {members} "
                f"members, {distinct} distinct"
            )
    if len(renders) != 1:
        problems.append(f"big PDF: {len(renders)} renders, expected 1")
    problems += load.pdf_problems(
        media, [(r[0], r[1], r[2]) for r in renders], [r[0] for r in renders]
    )
    stored = list((media / "reports").rglob("*.pdf"))
    with psycopg.connect(stack.database_url) as db:
        ready = db.execute(
            "SELECT count(*) FROM reports_reportrender WHERE status = 'ready'"
        ).fetchone()
    if ready is None or len(stored) != ready[0]:
        problems.append(
            f"{len(stored)} PDF files stored, {ready[0] if ready else 0} ready renders"
        )
    return problems


def attempts_of(stack: _stack.Stack, state: Faults) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(stack.database_url) as db:
        sample = db.execute(
            "SELECT attempts FROM sampling_sample WHERE submission_id = %s",
            (state.big_submission,),
        ).fetchone()
        render = db.execute(
            "SELECT attempts FROM reports_reportrender WHERE id = %s",
            (state.big_render,),
        ).fetchone()
    return (sample[0] if sample else 0, render[0] if render else 0)


def outside_windows(
    answers: list[tuple[float, str, int]], faults: list[Fault]
) -> tuple[dict[str, int], list[str]]:
    """Answers that were 5xx or never came (status 0), in and outside the fault windows."""
    inside: dict[str, int] = {f.name: 0 for f in faults}
    outside: list[str] = []
    for at, step, status in answers:
        if status != 0 and status < 500:
            continue
        fault = next(
            (
                f
                for f in faults
                if f.excuses_errors and f.window[0] - 0.5 <= at <= f.window[1]
            ),
            None,
        )
        if fault is not None:
            inside[fault.name] += 1
        else:
            outside.append(f"{step}: {status or 'no answer'}")
    return inside, outside


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", type=float, default=120.0)
    parser.add_argument(
        "--quick", action="store_true", help="20 users for 70 s (under 2 minutes)"
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.run_time = 20, 70.0
    if not 4 <= args.users <= 200 or not 50 <= args.run_time <= 600:
        parser.error("between 4 and 200 users, 50 to 600 s")

    _stack.install_signal_handlers()
    stack = _stack.make_stack("iamis_bench_faults")
    print(f"bench/faults.py: scratch folder {stack.workdir} (logs)")
    print(_stack.machine_load())
    problems: list[str] = []
    try:
        (cast,), redis_port = load.prepare(stack, [args.users])
        with _stack.board_wide():
            state_units = (make_sheet(BIG_SAMPLE), make_sheet(BIG_PDF))
        _stack.analyze()
        _stack.close_db_connections()
        source = stack.workdir / "upload-source.bin"
        source_sha = make_file(source, load.UPLOAD_BYTES)
        limits = {
            "CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT),
            "CELERY_TASK_SOFT_TIME_LIMIT": str(TIME_LIMIT - 5),
        }
        servers = load.start_servers(
            stack,
            masters=2,
            gunicorn_workers=2,
            celery_concurrency=2,
            worker_env=limits,
        )
        servers.redis_port = redis_port
        state = Faults(servers, *state_units)
        print(
            f"gunicorn: two masters of 2 sync workers on 127.0.0.1:"
            f"{servers.web_ports[0]} and :{servers.web_ports[1]} (the people use both); "
            f"Celery prefork x2, task time limit {TIME_LIMIT} s; private Redis "
            f"{stack.env['REDIS_URL']}"
        )
        print(
            f"{args.users} people for {args.run_time:.0f} s; faults at (s from start):"
        )
        sweeper = gevent.spawn(sweep, state)
        result = load.run_level(
            cast,
            servers.web_ports,
            source,
            source_sha,
            run_time=args.run_time,
            spawn_rate=10,
            during=lambda run: break_things(state, run),
        )
        # The killed tasks come back through the sweeps or Redis's redelivery.
        load.wait_for_worker(stack, cast)
        with _stack.board_wide():
            wait_until(
                lambda: (
                    db_value(
                        "SELECT (SELECT count(*) FROM sampling_sample WHERE status = "
                        "'pending') + (SELECT count(*) FROM reports_reportrender WHERE "
                        "status = 'pending')",
                        (),
                    )
                    == 0
                ),
                timeout=90,
                every=0.5,
            )
            _stack.close_db_connections()
        state.stop_sweeping = True
        sweeper.join(timeout=SWEEP_EVERY + 5)
        lost = load.verify(stack, result, source_sha)
        once = exactly_once(stack, state)
        attempts = attempts_of(stack, state)
    finally:
        _stack.stop_all(stack)
        _stack.close_db_connections()

    inside, outside = outside_windows(result.answers, state.faults)
    load.print_level(result)
    print()
    print("== Faults ==")
    print(f"{'fault':<44}{'at':>8}{'back in':>9}{'5xx/refused in window':>23}")
    for fault in state.faults:
        print(
            f"{fault.name:<44}{fault.started - result.started:>7.1f}s"
            f"{fault.ended - fault.started:>8.1f}s{inside[fault.name]:>23}"
        )
    print(
        f"big sheet ({BIG_SAMPLE} candidates): sample made in {attempts[0]} attempt(s); "
        f"big PDF ({BIG_PDF} rows): rendered in {attempts[1]} attempt(s); "
        f"{state.sweeps} beat sweeps sent"
    )
    missed = [f for f in state.faults if f.mid_task.startswith("MISSED")]
    problems += [f"{f.name}: {f.mid_task}" for f in missed]
    if len(state.faults) < 5:
        problems.append(f"only {len(state.faults)} of 5 faults ran (the run ended)")
    problems += once + lost + result.problems
    problems += [f"outside the fault windows: {x}" for x in outside]
    print(
        "samples and PDFs exactly once: "
        + ("yes" if not once else "NO - " + "; ".join(once))
    )
    print(
        "no lost work (marks, submissions, samples, uploads): "
        + ("yes" if not lost else f"NO ({len(lost)}) - " + "; ".join(lost[:5]))
    )
    print(
        "no 500 and no refused connection outside the fault windows: "
        + ("yes" if not outside else f"NO ({len(outside)}) - " + "; ".join(outside[:5]))
    )
    print(_stack.machine_load())
    if problems:
        print(f"FAILED ({len(problems)}): " + "; ".join(problems[:10]))
        return 1
    print("OK: every fault recovered with nothing lost or made twice")
    return 0


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
