"""Issue 7's performance check: PDF reports rendered by WeasyPrint in the worker.

For sheets of 20, 350 and 2,000 candidates (centre 68999, new units filled with marks):

* the Candidate Details Report's render time in the worker's code path
  (`reports.services.render_run`: rows, template, WeasyPrint, storage), its pages and size;
* the time of the web request that asks for that PDF (POST through gunicorn, PostgreSQL,
  the task sent to Redis), which must stay under 100 ms whatever the size: the work is
  the worker's, the request only fingerprints the rows and queues it.

    .venv/bin/python bench/reports.py            # about 1-2 minutes
    .venv/bin/python bench/reports.py --quick    # 20 and 350 only

Loopback only; the database is removed and the server stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:1] = [str(ROOT)]

from bench import _stack  # noqa: E402
from bench.marks import Client, sign_in  # noqa: E402

CENTRE = 68999
OFFICER = "eo@bryn-glas.example"
TARGET_REQUEST_MS = 100.0
REQUESTS = 7


def make_sheet(size: int) -> str:
    """A unit with `size` candidates at centre 68999, every mark entered."""
    from datetime import date

    from centres.models import Centre
    from iamis.models import Candidate, Entry, Mark, Series, Task, Unit

    centre = Centre.objects.get(number=CENTRE)
    unit = Unit.objects.create(
        series=Series.objects.get(slug="gcse-june-2027"),
        code=f"BENCH{size}",
        title=f"Bench report sheet of {size}",
        initials_required=True,
    )
    Task.objects.create(unit=unit, number=1, name="Mark", max_mark=80)
    candidates = Candidate.objects.bulk_create(
        Candidate(
            centre=centre,
            number=9999 - size - index if size < 2000 else 5000 + index,
            surname=f"Benchsurname{index}",
            forename="Ann",
            date_of_birth=date(2010, 1 + index % 12, 1 + index % 28),
        )
        for index in range(size)
    )
    entries = Entry.objects.bulk_create(
        Entry(centre=centre, candidate=candidate, unit=unit) for candidate in candidates
    )
    Mark.objects.bulk_create(
        Mark(
            entry=entry,
            centre=centre,
            unit=unit,
            task_marks={"1": index % 81},
            total=index % 81,
            initials="AB",
            is_complete=True,
        )
        for index, entry in enumerate(entries)
    )
    return str(unit.public_id)


def render_once(unit_id: str) -> tuple[float, int, int]:
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Unit
    from reports import services
    from reports.models import ReportRender

    render = ReportRender.objects.create(
        centre=Centre.objects.get(number=CENTRE),
        unit=Unit.objects.get(public_id=unit_id),
        kind=ReportRender.Kind.CANDIDATE_DETAILS,
        language="en",
        fingerprint=os.urandom(32).hex(),
        requested_by=User.objects.get(email=OFFICER),
    )
    started = time.perf_counter()
    done = services.render_run(render_id=render.pk)
    return time.perf_counter() - started, done.pages or 0, done.size or 0


def request_times(client: Client, unit_id: str) -> list[float]:
    """POST the PDF request; between requests a mark changes, so each one fingerprints
    the rows and queues a new render (the worst case for the request)."""
    from iamis.models import Mark

    times = []
    for attempt in range(REQUESTS):
        first = Mark.objects.filter(unit__public_id=unit_id).order_by("pk")[0]
        Mark.objects.filter(pk=first.pk).update(total=attempt)
        reply = client.request(
            "POST",
            f"/iamis/reports/units/{unit_id}/pdf/",
            {"csrfmiddlewaretoken": client.csrf},
        )
        if reply.status != 302:
            raise RuntimeError(f"PDF request answered {reply.status}")
        times.append(reply.seconds)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (20, 350) if args.quick else (20, 350, 2000)
    _stack.install_signal_handlers()
    print(f"bench/reports.py{' --quick' if args.quick else ''}")
    print(_stack.machine_load())
    stack = _stack.make_stack("iamis_bench_reports")
    os.environ["MEDIA_ROOT"] = str(stack.workdir / "media")
    stack.env["MEDIA_ROOT"] = os.environ["MEDIA_ROOT"]
    _stack.build(stack)
    sheets = {size: make_sheet(size) for size in sizes}
    _stack.analyze()
    render_once(sheets[sizes[0]])  # warm-up: fonts and WeasyPrint's first import

    print()
    print("== Candidate Details Report PDF, render in the worker's code path ==")
    print(f"{'candidates':>10} {'render':>10} {'pages':>6} {'size':>10}")
    for size, unit_id in sheets.items():
        seconds, pages, size_bytes = render_once(unit_id)
        print(
            f"{size:>10} {seconds * 1000:>8.0f} ms {pages:>6} {size_bytes / 1024:>7.0f} KiB"
        )

    from portal.demo import DEMO_TOTP_SECRET

    port = _stack.free_port()
    _stack.close_db_connections()
    failed = False
    try:
        _stack.start_gunicorn(stack, port)
        client = Client(port)
        sign_in(client, OFFICER, DEMO_TOTP_SECRET)
        print()
        print(
            f"== The web request asking for the PDF (gunicorn, {REQUESTS} requests each, "
            "a mark changed before each so every one queues a new render) =="
        )
        print(
            f"{'candidates':>10} {'median':>10} {'max':>10}  target < {TARGET_REQUEST_MS:.0f} ms"
        )
        for size, unit_id in sheets.items():
            times = request_times(client, unit_id)
            median, worst = statistics.median(times) * 1000, max(times) * 1000
            verdict = "met" if median < TARGET_REQUEST_MS else "NOT met"
            failed = failed or median >= TARGET_REQUEST_MS
            print(f"{size:>10} {median:>7.1f} ms {worst:>7.1f} ms  {verdict}")
    finally:
        _stack.stop_all(stack)
        _stack.flush_redis()
        _stack.close_db_connections()
        _stack.drop_database(stack)
    print(_stack.machine_load())
    return 1 if failed else 0


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
