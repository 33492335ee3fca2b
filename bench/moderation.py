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

Applying an approved outcome is measured here once it exists.

    .venv/bin/python bench/moderation.py      # about half a minute
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

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
    """Settings as the web process has them (DEBUG off), files under `media`; the zip
    reads no database."""
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("MFA_ENCRYPTION_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()


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


def whole_sample_zip() -> None:
    from django.utils import timezone

    media = Path(tempfile.mkdtemp(prefix="iamis-bench-zip-"))
    try:
        _django(media)
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


def main() -> int:
    outcome_rule()
    whole_sample_zip()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
