"""What both benchmarks share: a throwaway PostgreSQL database with the demo data, the
production-like environment, and gunicorn / a Celery worker as subprocesses that always stop.

The environment is the one `bin/test` uses (DEBUG off, PostgreSQL, Redis), except that
Celery tasks go to a real worker. Every run makes a new random secret key, so the
authenticator secrets sealed during set-up only open in the server started by that run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# A Redis database of the benchmarks' own: the test suite uses 15 and flushes it.
REDIS_URL = "redis://127.0.0.1:6379/9"
DB_PREFIX = "iamis_bench"


@dataclass
class Stack:
    """One run's database, environment and scratch folder (logs)."""

    db_name: str
    env: dict[str, str]
    workdir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # The last process started under each name (a restart replaces it).
    by_name: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.db_name}"


def make_stack(db_name: str, *, redis_url: str = REDIS_URL) -> Stack:
    """`redis_url`: a database of the run's own, emptied by `build`."""
    # Never drop anything but a benchmark database (the suite's are iamis / test_iamis*).
    if not db_name.startswith(DB_PREFIX):
        raise ValueError(f"benchmark databases are named {DB_PREFIX}*, not {db_name}")
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "iamis-bench",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "MFA_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    workdir = Path(tempfile.mkdtemp(prefix=f"{db_name}-"))
    return Stack(db_name=db_name, env=env, workdir=workdir)


def reset_database(stack: Stack) -> None:
    """Drop the run's database (closing anyone still connected) and create it empty."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        name = sql.Identifier(stack.db_name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the benchmarks' Redis database: no stale task or cache key from a past run."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def board_wide() -> Any:
    """A bench arranges and checks its demo centres' data itself, board-wide; the servers
    it measures set their own scopes (common/scoping.py)."""
    from common import scoping

    return scoping.every_centre(f"bench {Path(sys.argv[0]).name}")


def django_setup(stack: Stack) -> None:
    """Configure Django in this process against the run's database."""
    os.environ.update(stack.env)
    # WhiteNoise warns that collectstatic never ran; the benchmarks serve no static file.
    warnings.filterwarnings("ignore", message="No directory at")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(stack: Stack, *, say: bool = True) -> float:
    """New database, `migrate`, `demo_data`; Django is then set up in this process.

    Returns the seconds it took."""
    started = time.perf_counter()
    reset_database(stack)
    flush_redis(stack.env["REDIS_URL"])
    django_setup(stack)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("demo_data", "--allow-debug-off", stdout=quiet)
    took = time.perf_counter() - started
    if say:
        print(
            f"set-up: database {stack.db_name} migrated with demo data in {took:.1f} s"
        )
    return took


def analyze() -> None:
    """Give the planner statistics for the freshly loaded tables.

    autovacuum is off on this machine's PostgreSQL, and without statistics the planner
    guesses one row per table: looking up one entry of a 500-row sheet then took ~20 ms
    (a sequential scan of the candidates for every entry) instead of well under 1 ms. A
    production database has statistics, so the benchmarks measure with them.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def machine_load() -> str:
    one, five, _fifteen = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} CPUs, load average {one:.2f} (1 min), "
        f"{five:.2f} (5 min)"
    )


def close_db_connections() -> None:
    from django.db import connections

    connections.close_all()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    stack: Stack,
    name: str,
    args: Sequence[str],
    extra_env: dict[str, str] | None = None,
    *,
    append: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a subprocess of ours, output to <workdir>/<name>.log (appended to for a
    restart), in its own session so a Ctrl-C reaches only this script (which then stops
    it cleanly)."""
    log = open(stack.workdir / f"{name}.log", "ab" if append else "wb")  # noqa: SIM115 - closed with the process
    env = {**os.environ, **stack.env, **(extra_env or {})}
    process = subprocess.Popen(  # noqa: S603 - fixed argument list, our own executables
        list(args),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    stack.processes.append(process)
    stack.by_name[name] = process
    return process


def stop(process: subprocess.Popen[bytes], *, grace: float = 20.0) -> None:
    """SIGTERM (graceful), then SIGKILL to the process group we created if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def stop_all(stack: Stack) -> None:
    for process in reversed(stack.processes):
        stop(process)
    stack.processes.clear()


def log_tail(stack: Stack, name: str, lines: int = 30) -> str:
    path = stack.workdir / f"{name}.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start_gunicorn(
    stack: Stack,
    port: int,
    *,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
    app: str = "portal.wsgi:application",
    name: str = "gunicorn",
    extra_args: Sequence[str] = (),
    access_log: str = "access.log",
    ready_path: str = "/accounts/sign-in/",
) -> subprocess.Popen[bytes]:
    """gunicorn with sync workers; the access log records each request's server time
    (%(D)s, microseconds) so the benchmark can read it back. It is up once `ready_path`
    answers 200."""
    process = start(
        stack,
        name,
        [
            str(BIN / "gunicorn"),
            app,
            *extra_args,
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--access-logfile",
            str(stack.workdir / access_log),
            "--access-logformat",
            "%(m)s|%(U)s|%(q)s|%(s)s|%(D)s",
        ],
        extra_env=extra_env,
        append=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                "gunicorn stopped during start-up:\n" + log_tail(stack, name)
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", ready_path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s:\n" + log_tail(stack, name))


def start_celery_worker(
    stack: Stack,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    name: str = "celery",
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A real worker on the default queue, as in production but one process unless asked
    for a prefork pool; returns once it says it is ready (a restarted worker appends to
    the same log, so only the lines written after its start count)."""
    log = stack.workdir / f"{name}.log"
    seen = log.stat().st_size if log.exists() else 0
    process = start(
        stack,
        name,
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "-P",
            pool,
            "-Q",
            "default",
            "--concurrency",
            str(concurrency),
            "-l",
            "info",
            "-n",
            f"{stack.db_name}@%h",
        ],
        extra_env=extra_env,
        append=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                "the Celery worker stopped during start-up:\n" + log_tail(stack, name)
            )
        with open(log, "rb") as handle:
            handle.seek(seen)
            if b" ready." in handle.read():
                return process
        time.sleep(0.1)
    raise RuntimeError(
        "the Celery worker was not ready within 60 s:\n" + log_tail(stack, name)
    )


def start_redis(stack: Stack, port: int) -> subprocess.Popen[bytes]:
    """A private redis-server on 127.0.0.1:`port` for one run, its data (append-only
    file, as docker-compose.yml runs it) in the scratch folder, so a restart keeps the
    queued tasks and the machine's shared Redis is never touched. The stack's
    REDIS_URL points at it from now on."""
    data = stack.workdir / "redis"
    data.mkdir(exist_ok=True)
    process = start(
        stack,
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--protected-mode",
            "yes",
        ],
        append=True,
    )
    stack.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("redis-server stopped:\n" + log_tail(stack, "redis"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("redis-server did not answer within 20 s")


def cpu_seconds(pid: int) -> float:
    """CPU time of every live thread of a process so far, from the kernel's per-thread
    run time (schedstat, nanoseconds; /proc/<pid>/stat counts in 10 ms ticks). 0 once
    the process is gone; a thread that has ended no longer counts."""
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with (
                contextlib.suppress(OSError),
                open(f"/proc/{pid}/task/{task}/schedstat") as handle,
            ):
                total += int(handle.read().split()[0])
    return total / 1e9


def install_signal_handlers() -> None:
    """SIGTERM ends the script through its `finally` blocks, like Ctrl-C does."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


# --- Figures ---------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation), so p99 is a value that happened."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-pct * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def drop_database(stack: Stack) -> None:
    """Drop the run's database (closing anyone still connected), for a benchmark that
    cleans up after itself. Only ever a benchmark database (see `make_stack`)."""
    import psycopg
    from psycopg import sql

    if not stack.db_name.startswith(DB_PREFIX):
        raise ValueError(f"not a benchmark database: {stack.db_name}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        name = sql.Identifier(stack.db_name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
