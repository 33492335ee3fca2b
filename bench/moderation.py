"""Issue 23's performance check, so far the outcome rule alone (moderation/algorithm.py):
how long computing the outcome and every candidate's final mark takes for a 2,000-candidate
unit, against a floor measured in the same run (copying the centre marks into a dict, the
least any computation of final marks must do). Applying an approved outcome and the
whole-sample zip are measured here once they exist.

    .venv/bin/python bench/moderation.py      # a few seconds
"""

from __future__ import annotations

import random
import statistics
import sys
import time
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


def main() -> int:
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
