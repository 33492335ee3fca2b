"""Issue 23's performance checks.

- The outcome rule (moderation/algorithm.py): how long computing the outcome and every
  candidate's final mark takes for a 2,000-candidate unit, against a floor measured in
  the same run (copying the centre marks into a dict, the least any computation of final
  marks must do).
- The whole-sample zip (uploads/zips.py): a 25-member sample of 1 GiB in all (one file of
  about 41 MiB each, written to a scratch MEDIA_ROOT) streamed whole into a sink that
  drops the bytes, as the web process makes it: its throughput against reading the same
  files with shutil.copyfileobj into the same sink (the floor), in alternating rounds,
  and the memory it takes (tracemalloc's peak, and the growth of the process's resident
  set over the same stream).

- Applying an approved outcome (moderation/services/outcomes.py, outcome_approve): a
  2,000-candidate unit in a database of its own (iamis_bench_moderation, migrated, no
  demo data), its 25-member sample moderated about 8% below the centre; the queries the
  approval makes (the same for any number of candidates) and its time, against a floor
  measured in the same run: one bulk insert of the same history rows, the least applying
  can do. Each round is rolled back, so every round applies the same proposal.

    .venv/bin/python bench/moderation.py      # about a minute
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where this file would shadow
# the project's moderation app.
sys.path[:1] = [str(ROOT)]

from moderation.algorithm import Pair, moderation_outcome  # noqa: E402

CANDIDATES = 2_000
SAMPLE = 25
MAX_MARK = 80
ROUNDS = 30
ZIP_BYTES = 1024**3
ZIP_ROUNDS = 3
MIB = 1024 * 1024


def _unit(seed: int) -> tuple[dict[int, int | None], list[Pair]]:
    """A unit's centre marks (a few absent) and a sample whose moderator marks run
    about 8% below them, so the outcome is adjusted."""
    chance = random.Random(seed)  # noqa: S311 - made-up marks, not security
    marks: dict[int, int | None] = {
        number: None if chance.random() < 0.02 else chance.randint(0, MAX_MARK)
        for number in range(1, CANDIDATES + 1)
    }
    marked = [number for number, mark in marks.items() if mark is not None]
    sampled = chance.sample(marked, SAMPLE)
    pairs = []
    for number in sampled:
        centre = marks[number]
        assert centre is not None
        moderator = round(centre * 0.92) + chance.randint(-2, 2)
        pairs.append(Pair(centre, min(max(moderator, 0), MAX_MARK)))
    return marks, pairs


def _median_ms(work, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def outcome_rule() -> None:
    marks, pairs = _unit(seed=23)
    outcome = moderation_outcome(pairs, max_mark=MAX_MARK)
    floor = _median_ms(lambda: dict(marks.items()))
    computed = _median_ms(
        lambda: moderation_outcome(pairs, max_mark=MAX_MARK).final_marks(marks)
    )
    changed = sum(
        1
        for number, final in outcome.final_marks(marks).items()
        if final != marks[number]
    )
    print(
        f"== The moderation outcome for {CANDIDATES:,} candidates, a sample of {SAMPLE} =="
    )
    print(
        f"adjusted: {outcome.adjusted}; {changed:,} final marks differ from the centre's"
    )
    print(f"floor (copy the centre marks):        {floor:8.3f} ms")
    print(
        f"outcome and every final mark:         {computed:8.3f} ms"
        f"  ({computed / floor:,.0f}x the floor), median of {ROUNDS}"
    )


def _django(media: Path) -> None:
    """Settings as the web process has them (DEBUG off), files under `media`, and the
    run's own database, migrated (the apply section writes to it; the zip reads none)."""
    from bench import _stack

    stack = _stack.make_stack("iamis_bench_moderation")
    stack.env["MEDIA_ROOT"] = str(media)
    _stack.reset_database(stack)
    _stack.django_setup(stack)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(
        f"set-up: database {stack.db_name} migrated in {time.perf_counter() - started:.1f} s"
    )


def _stored_sample(media: Path) -> list[Path]:
    """ZIP_BYTES of evidence in SAMPLE files, as uploads leave them (random bytes: the
    zip stores, so their content does not matter, but nothing should compress them)."""
    block = os.urandom(MIB)
    each = ZIP_BYTES // SAMPLE
    paths = []
    for number in range(1, SAMPLE + 1):
        path = media / "evidence" / "bench" / f"{number:04d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as stored:
            left = each
            while left:
                left -= stored.write(block[: min(left, MIB)])
        paths.append(path)
    return paths


def _drain(chunks: Iterable[bytes], sink) -> int:
    sent = 0
    for chunk in chunks:
        sink.write(chunk)
        sent += len(chunk)
    return sent


def _resident_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def whole_sample_zip(media: Path) -> None:
    from django.utils import timezone

    try:
        from uploads.models import EvidenceFile, Kind, ScanStatus
        from uploads.zips import ZipItem, evidence_zip

        paths = _stored_sample(media)
        items = []
        for number, path in enumerate(paths, start=1):
            digest = hashlib.sha256()
            with path.open("rb") as stored:
                while block := stored.read(MIB):
                    digest.update(block)
            evidence = EvidenceFile(
                kind=Kind.CANDIDATE,
                original_name=f"portfolio-{number}.mp4",
                size=path.stat().st_size,
                sha256=digest.hexdigest(),
                storage_key=str(path.relative_to(media)),
                scan_status=ScanStatus.CLEAN,
                uploaded_at=timezone.now(),
            )
            items.append(ZipItem(evidence, f"{number:04d}", f"{number:04d}"))
        total = sum(path.stat().st_size for path in paths)

        def copy(sink) -> None:
            for path in paths:
                with path.open("rb") as stored:
                    shutil.copyfileobj(stored, sink, MIB)

        def disk_copy() -> None:
            target = media / "copy"
            with target.open("wb") as copied:
                copy(copied)
                os.fsync(copied.fileno())
            target.unlink()

        def hashed() -> None:
            for path in paths:
                digest = hashlib.sha256()
                with path.open("rb") as stored:
                    while block := stored.read(MIB):
                        digest.update(block)

        read_times, disk_times, hash_times, zip_times, sizes = [], [], [], [], []
        with open(os.devnull, "wb") as sink:
            for _round in range(ZIP_ROUNDS):
                start = time.perf_counter()
                copy(sink)
                read_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                disk_copy()
                disk_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                hashed()
                hash_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                sizes.append(_drain(evidence_zip(items), sink))
                zip_times.append(time.perf_counter() - start)

            # Memory, in a round of its own (tracing slows allocation down).
            Path("/proc/self/clear_refs").write_text("5")  # the high-water mark
            before = _resident_kib("VmRSS")
            tracemalloc.start()
            _drain(evidence_zip(items), sink)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            growth = _resident_kib("VmHWM") - before

        read, disk, zipped = min(read_times), min(disk_times), min(zip_times)
        sha = min(hash_times)

        def rate(seconds: float) -> str:
            return f"{total / MIB / seconds:8.0f} MiB/s  ({seconds:.2f} s)"

        print()
        print(
            f"== The whole-sample zip: {SAMPLE} files, {total / MIB:,.0f} MiB, "
            f"stored in a scratch MEDIA_ROOT; best of {ZIP_ROUNDS} alternating rounds =="
        )
        print(f"zip size:                             {sizes[0] / MIB:8.1f} MiB")
        print(f"read floor (copyfileobj, /dev/null):  {rate(read)}")
        print(f"disk copy (copyfileobj + fsync):      {rate(disk)}")
        print(f"read + SHA-256 (the manifest's hash): {rate(sha)}")
        print(
            f"zip streamed to /dev/null:            {rate(zipped)}"
            f"  {read / zipped:.2f}x the read floor, {disk / zipped:.2f}x the disk copy"
        )
        print(f"tracemalloc peak while streaming:     {peak / MIB:8.2f} MiB")
        print(f"resident set growth while streaming:  {growth / 1024:8.2f} MiB")
    finally:
        shutil.rmtree(media, ignore_errors=True)


def _apply_world() -> Any:
    """A 2,000-candidate unit at a centre, submitted and sampled (25 members), moderated
    about 8% below the centre's marks, with a report and the moderator's proposal."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from centres.models import Centre, ModeratorAllocation
    from iamis.models import (
        Candidate,
        Entry,
        Mark,
        Qualification,
        Series,
        Submission,
        Task,
        Unit,
    )
    from moderation.models import ModeratorMark, ModeratorReport
    from moderation.services.outcomes import outcome_propose
    from sampling.models import Sample, SampleMember

    marks, _pairs = _unit(seed=23)
    qualification = Qualification.objects.create(code="bench", name="Bench")
    series = Series.objects.create(
        qualification=qualification,
        name="BENCH 2030",
        slug="bench-2030",
        year=2030,
        month=6,
        results_day=timezone.localdate(),
    )
    unit = Unit.objects.create(series=series, code="9999U1", title="Bench unit")
    Task.objects.create(unit=unit, number=1, name="Task 1", max_mark=MAX_MARK)
    centre = Centre.objects.create(number=69001, name="Bench Centre")
    teacher = User.objects.create_user(email="teacher@bench.example", password=None)
    moderator = User.objects.create_user(
        email="moderator@bench.example", password=None, is_moderator=True
    )
    allocation = ModeratorAllocation.objects.create(
        moderator=moderator, centre=centre, unit=unit
    )
    candidates = Candidate.objects.bulk_create(
        Candidate(centre=centre, number=n, surname=f"S{n}", forename="F") for n in marks
    )
    entries = Entry.objects.bulk_create(
        Entry(centre=centre, unit=unit, candidate=c) for c in candidates
    )
    submission = Submission.objects.create(
        centre=centre, unit=unit, submitted_by=teacher, mark_count=len(entries)
    )
    Mark.objects.bulk_create(
        Mark(
            entry=entry,
            centre=centre,
            unit=unit,
            status=Mark.Status.MARKED if mark is not None else Mark.Status.ABSENT,
            task_marks={"1": mark} if mark is not None else {},
            total=mark,
            is_complete=True,
            is_locked=True,
            submission=submission,
            updated_by=teacher,
        )
        for entry, mark in zip(entries, marks.values(), strict=True)
    )
    sample = Sample.objects.create(
        centre=centre,
        unit=unit,
        submission=submission,
        status=Sample.Status.READY,
        generated_at=timezone.now(),
    )
    chance = random.Random(23)  # noqa: S311 - made-up marks, not security
    marked = [e for e, m in zip(entries, marks.values(), strict=True) if m is not None]
    chosen = chance.sample(marked, SAMPLE)
    SampleMember.objects.bulk_create(
        SampleMember(
            sample=sample, centre=centre, entry=e, origin=SampleMember.Origin.SYSTEM
        )
        for e in chosen
    )
    ModeratorMark.objects.bulk_create(
        ModeratorMark(
            centre=centre,
            unit=unit,
            entry=e,
            task_marks={"1": m},
            total=m,
            updated_by=moderator,
        )
        for e in chosen
        for m in [min(max(round((marks[e.candidate.number] or 0) * 0.92), 0), MAX_MARK)]
    )
    ModeratorReport.objects.create(
        centre=centre, unit=unit, moderator=moderator, assessment="Generous."
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return outcome_propose(
        allocation=allocation, reason="Generous throughout.", acting_user=moderator
    )


def apply_outcome() -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from iamis.models import Mark, MarkChange
    from moderation.services.outcomes import outcome_approve

    outcome = _apply_world()
    staff = User.objects.create_user(
        email="staff@bench.example", password=None, is_staff=True
    )
    changed = [
        (int(entry), centre, final)
        for entry, (centre, final) in outcome.finals.items()
        if final != centre
    ]
    marks = dict(
        Mark.objects.filter(entry_id__in=[e for e, _c, _f in changed]).values_list(
            "entry_id", "pk"
        )
    )

    def approve() -> int:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                outcome_approve(outcome=outcome, acting_user=staff)
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    def floor() -> None:
        with transaction.atomic():
            MarkChange.objects.bulk_create(
                MarkChange(
                    mark_id=marks[entry],
                    centre_id=outcome.centre_id,
                    changed_by=staff,
                    source=MarkChange.Source.MODERATION,
                    old={"total": centre},
                    new={"total": final},
                )
                for entry, centre, final in changed
            )
            transaction.set_rollback(True)

    queries = approve()  # warm: connections, caches, plans
    floor()
    rounds = 15
    approve_ms: list[float] = []
    floor_ms: list[float] = []
    for _ in range(rounds):
        approve_ms.append(_median_ms(approve, rounds=1))
        floor_ms.append(_median_ms(floor, rounds=1))
    taken, least = statistics.median(approve_ms), statistics.median(floor_ms)
    print()
    print(f"== Applying an approved outcome: {CANDIDATES:,} candidates ==")
    print(f"marks that change (history rows):     {len(changed):8d}")
    print(f"queries the approval makes:           {queries:8d}")
    print(f"approve and apply (median of {rounds}):   {taken:8.1f} ms")
    print(f"floor (bulk insert of the same rows): {least:8.1f} ms")
    print(f"ratio:                                {taken / least:8.1f}x")


def main() -> int:
    outcome_rule()
    media = Path(tempfile.mkdtemp(prefix="iamis-bench-zip-"))
    try:
        _django(media)
        from bench import _stack

        with _stack.board_wide():
            apply_outcome()
        whole_sample_zip(media)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
