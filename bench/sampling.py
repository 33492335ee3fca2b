"""Issue 5's performance check: the sampling algorithm's growth, and submit -> sample.

Prints `choose_sample`'s time for 100, 1,000, 10,000 and 100,000 candidates (it must grow
no worse than n log n; target under 50 ms at 10,000), and the end-to-end time from
submitting the 350-candidate demo sheet (3400U4, centre 68999) to its sample being
visible, with a real Celery worker.

    .venv/bin/python bench/sampling.py            # about 45 seconds
    .venv/bin/python bench/sampling.py --quick    # about 35 seconds
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where this file would shadow
# the project's sampling app.
sys.path[:1] = [str(ROOT)]

from bench import _stack  # noqa: E402
from bench._stack import median, ms  # noqa: E402
from sampling import algorithm  # noqa: E402
from sampling.algorithm import CandidateMark, SampleRules, Status  # noqa: E402

if TYPE_CHECKING:
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Unit

SIZES = (100, 1_000, 10_000, 100_000)
TARGET_10K = 0.050
TEACHERS = ("AB", "CD", "EF", "GH", "JK", "LM")
CENTRE = 68999
DEMO_UNIT = "3400U4"
WARM_UP_UNIT = "3720U4"
TEACHER = "teacher.ab@bryn-glas.example"


# --- The algorithm alone -------------------------------------------------------------------


def cohort(n: int, seed: int) -> list[CandidateMark]:
    """A deterministic marks-unit sheet: totals 0-100, six teachers, 2% absent, 1% carry
    forward, 0.5% parental interest, in shuffled order (the algorithm must sort)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    sheet = []
    for number in range(1, n + 1):
        roll = rng.random()
        status = (
            Status.ABSENT
            if roll < 0.02
            else Status.CARRY_FORWARD
            if roll < 0.03
            else Status.MARKED
        )
        sheet.append(
            CandidateMark(
                candidate_no=number,
                status=status,
                total=rng.randint(0, 100) if status == Status.MARKED else None,
                teacher=rng.choice(TEACHERS),
                parental_interest=rng.random() < 0.005,
            )
        )
    rng.shuffle(sheet)
    return sheet


@dataclass
class Timing:
    n: int
    runs: list[float]
    sample_size: int
    # Python's own sort of the same list by candidate number: an n log n reference on
    # the same objects, to tell the algorithm's growth from the machine's (a 100,000
    # list outgrows the CPU caches, so every pass over it costs more per item).
    sort: float

    @property
    def per_sort(self) -> float:
        return min(self.runs) / self.sort


def time_algorithm(n: int, *, max_runs: int, budget: float) -> Timing:
    sheet = cohort(n, seed=n)
    rules = SampleRules()
    size = len(algorithm.choose_sample(sheet, rules))  # warm-up, and the result's size
    runs: list[float] = []
    sorts: list[float] = []
    gc.collect()
    deadline = time.perf_counter() + budget
    while len(runs) < max_runs and (len(runs) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        algorithm.choose_sample(sheet, rules)
        runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        sorted(sheet, key=lambda c: c.candidate_no)
        sorts.append(time.perf_counter() - started)
    return Timing(n=n, runs=runs, sample_size=size, sort=min(sorts))


def report_algorithm(quick: bool) -> None:
    max_runs = {100: 300, 1_000: 100, 10_000: 30, 100_000: 7}
    budget = 4.0 if quick else 15.0
    if quick:
        max_runs = {100: 100, 1_000: 40, 10_000: 10, 100_000: 3}
    timings = {n: time_algorithm(n, max_runs=max_runs[n], budget=budget) for n in SIZES}

    def per_nlogn(n: int) -> float:
        return median(timings[n].runs) / (n * math.log2(n))

    print("== sampling.algorithm.choose_sample (pure function, marks unit) ==")
    print(
        "cohorts: seeded random totals 0-100, 6 teachers, 2% absent, 1% carry forward,"
    )
    print(
        "0.5% parental interest, shuffled; default size table; input built beforehand"
    )
    print(
        f"{'n':>8} {'runs':>5} {'median':>10} {'min':>10} {'us/cand.':>9} "
        f"{'sample':>7} {'t/(n log n)':>12} {'sort':>10} {'t/sort':>7}"
    )
    for n in SIZES:
        timing = timings[n]
        mid = median(timing.runs)
        print(
            f"{n:>8,} {len(timing.runs):>5} {mid * 1000:>7.2f} ms "
            f"{min(timing.runs) * 1000:>7.2f} ms {mid / n * 1e6:>9.2f} "
            f"{timing.sample_size:>7} {per_nlogn(n) / per_nlogn(1_000):>12.2f} "
            f"{timing.sort * 1000:>7.2f} ms {timing.per_sort:>7.1f}"
        )
    print("t/(n log n): median time over n log n, 1.00 at 1,000 candidates.")
    print(
        "sort: Python's sorted() of the same list by candidate number (n log n); "
        "t/sort: min time over it."
    )
    small, big = timings[1_000], timings[100_000]
    predicted = 100 * math.log2(100_000) / math.log2(1_000)
    raw = median(big.runs) / median(small.runs)
    reference = big.sort / small.sort
    own = big.per_sort / small.per_sort
    print(
        f"1,000 -> 100,000 candidates: time x{raw:.0f}; n log n predicts x{predicted:.0f}, "
        f"and on this machine sorted() itself grows x{reference:.0f}."
    )
    growth_ok = own <= 2.0
    print(
        f"t/sort goes x{own:.2f} from 1,000 to 100,000 (n log n: about x1; n^2: x100): "
        + ("no worse than n log n" if growth_ok else "WORSE than n log n")
    )
    t10k = median(timings[10_000].runs)
    print(
        f"10,000 candidates: {ms(t10k)} median; target under {ms(TARGET_10K)}: "
        + ("met" if t10k <= TARGET_10K else "NOT met")
    )


# --- Submit to sample, with a real worker ---------------------------------------------------


def copies_of_demo_unit(count: int) -> list[str]:
    """Sheets like 3400U4 (one 60-mark task, the same 350 candidates), for repeats: a
    sheet's sample is made once, on its first submission."""
    from centres.models import Centre
    from iamis.models import Entry, Task, Unit

    demo = Unit.objects.get(code=DEMO_UNIT)
    centre = Centre.objects.get(number=CENTRE)
    codes = []
    for index in range(1, count + 1):
        unit = Unit.objects.create(
            series=demo.series,
            code=f"BENCHS{index}",
            title=f"Benchmark copy {index} of {DEMO_UNIT}",
            sample_deadline=demo.sample_deadline,
        )
        Task.objects.create(unit=unit, number=1, name="Mark", max_mark=60)
        Entry.objects.bulk_create(
            Entry(centre=centre, candidate=entry.candidate, unit=unit)
            for entry in Entry.objects.filter(centre=centre, unit=demo).select_related(
                "candidate"
            )
        )
        codes.append(unit.code)
    return codes


def fill(centre: Centre, unit: Unit, teacher: User, seed: int) -> tuple[int, float]:
    """Enter every candidate's mark through `mark_save_cell`, as the marksheet does;
    about 2% absent. Returns (absent count, seconds per save)."""
    from iamis.models import Entry
    from iamis.services.marks import mark_save_cell

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    top = unit.tasks.get(number=1).max_mark
    entries = list(
        Entry.objects.filter(centre=centre, unit=unit)
        .select_related("unit", "candidate")
        .order_by("candidate__number")
    )
    absent = 0
    started = time.perf_counter()
    for entry in entries:
        raw = "A" if rng.random() < 0.02 else str(rng.randint(0, top))
        absent += raw == "A"
        result = mark_save_cell(
            centre=centre,
            entry=entry,
            field="task-1",
            raw_value=raw,
            seen_version=None,
            confirm_absent=True,
            acting_user=teacher,
        )
        if not result.saved:
            raise RuntimeError(f"{unit.code} {entry.candidate.number}: not saved")
    return absent, (time.perf_counter() - started) / len(entries)


@dataclass
class EndToEnd:
    code: str
    candidates: int
    absent: int
    save_seconds: float
    submit_seconds: float
    visible_seconds: float
    server_seconds: float
    reasons: Counter[str]
    size: int


def submit_and_wait(code: str, seed: int) -> EndToEnd:
    """Fill the sheet, submit it, and poll until its sample is READY (5 ms apart)."""
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Unit
    from sampling.models import Sample, SampleMember
    from sampling.services import marks_submit

    centre = Centre.objects.get(number=CENTRE)
    unit = Unit.objects.get(code=code)
    teacher = User.objects.get(email=TEACHER)
    absent, save_seconds = fill(centre, unit, teacher, seed)
    started = time.perf_counter()
    submission = marks_submit(centre=centre, unit=unit, acting_user=teacher)
    submitted = time.perf_counter() - started
    status = ""
    while time.perf_counter() - started < 120:
        status = (
            Sample.objects.filter(submission=submission)
            .values_list("status", flat=True)
            .first()
        ) or ""
        if status in (Sample.Status.READY, Sample.Status.FAILED):
            break
        time.sleep(0.005)
    visible = time.perf_counter() - started
    if status != Sample.Status.READY:
        raise RuntimeError(
            f"{code}: sample {status or 'missing'} after {visible:.0f} s"
        )
    sample = Sample.objects.get(submission=submission)
    members = list(
        SampleMember.objects.filter(sample=sample, origin=SampleMember.Origin.SYSTEM)
    )
    reasons: Counter[str] = Counter()
    for member in members:
        reasons.update(member.reasons)
    assert sample.generated_at is not None
    return EndToEnd(
        code=code,
        candidates=unit.entries.filter(centre=centre).count(),
        absent=absent,
        save_seconds=save_seconds,
        submit_seconds=submitted,
        visible_seconds=visible,
        server_seconds=(sample.generated_at - submission.submitted_at).total_seconds(),
        reasons=reasons,
        size=len(members),
    )


def task_times(stack: _stack.Stack) -> list[float]:
    """Run times of generate_sample as the worker logged them, in order."""
    log = (stack.workdir / "celery.log").read_text(errors="replace")
    return [
        float(seconds)
        for seconds in re.findall(
            r"Task sampling\.generate_sample\[[^\]]+\] succeeded in ([0-9.e-]+)s", log
        )
    ]


def report_end_to_end(quick: bool) -> None:
    stack = _stack.make_stack("iamis_bench_sampling")
    print(f"scratch folder {stack.workdir}")
    _stack.build(stack)
    copies = copies_of_demo_unit(0 if quick else 4)
    _stack.analyze()
    results: list[EndToEnd] = []
    try:
        started = time.perf_counter()
        _stack.start_celery_worker(stack)
        print(
            "celery worker (-P solo -Q default --concurrency 1) ready in "
            f"{time.perf_counter() - started:.1f} s"
        )
        warm_up = submit_and_wait(WARM_UP_UNIT, seed=1)
        for index, code in enumerate([DEMO_UNIT, *copies]):
            results.append(submit_and_wait(code, seed=100 + index))
    finally:
        _stack.stop_all(stack)
    worker = task_times(stack)

    print()
    print("== Submit -> sample visible, real Celery worker ==")
    print(
        f"warm-up: {warm_up.code} ({warm_up.candidates} candidates), the worker's first "
        f"task: visible after {ms(warm_up.visible_seconds)}"
    )
    demo = results[0]
    print(
        f"{DEMO_UNIT} at centre {CENTRE}: {demo.candidates} candidates "
        f"({demo.absent} absent), filled through mark_save_cell at "
        f"{ms(demo.save_seconds)} per save"
    )
    print(
        f"  marks_submit (lock the marks, commit, queue the task): {ms(demo.submit_seconds)}"
    )
    print(f"  submit -> sample READY (polled every 5 ms): {ms(demo.visible_seconds)}")
    if len(worker) == len(results) + 1:
        print(f"  generate_sample in the worker (its log): {ms(worker[1])}")
    print(f"  submitted_at -> generated_at (database clock): {ms(demo.server_seconds)}")
    print(f"  sample size: {demo.size}")
    print(
        "  reasons: "
        + ", ".join(
            f"{reason.value} {demo.reasons.get(reason.value, 0)}"
            for reason in algorithm.Reason
        )
    )
    if len(results) > 1:
        visible = [r.visible_seconds for r in results]
        print(
            f"{len(results)} sheets of 350 ({DEMO_UNIT} and {len(copies)} copies), "
            f"submit -> visible: median {ms(median(visible))}, "
            f"min {ms(min(visible))}, max {ms(max(visible))}"
        )
        if len(worker) == len(results) + 1:
            print(f"  worker task time: median {ms(median(worker[1:]))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~35 s run")
    args = parser.parse_args()
    _stack.install_signal_handlers()
    print(f"bench/sampling.py{' --quick' if args.quick else ''}")
    print(_stack.machine_load())
    report_algorithm(args.quick)
    print()
    report_end_to_end(args.quick)
    print(_stack.machine_load())
    return 0


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
