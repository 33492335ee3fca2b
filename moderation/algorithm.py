"""The moderation-outcome rule of shared MODERATION.md, as pure functions.

No ORM, no database and no clock: the same centre and moderator marks always give the
same final marks, whatever order they arrive in. The caller loads the moderated pairs
and the centre's marks, calls `moderation_outcome` and, once the board approves, applies
`Outcome.final_marks` as history rows on the marks.

Every step is exact: means are `Fraction`s, so rounding happens once, at the end, half
up, and then the mark is clamped to [0, M].

Decisions where MODERATION.md is silent (each also noted where it applies):

- Bad input is refused with `ValueError` rather than guessed at: no moderated pairs, a
  maximum below 1, a tolerance below 0, a mark that is not a whole number in [0, M].
- An absent or carry-forward candidate is given to `final_marks` as `None` and comes
  back as `None`: moderation does not touch it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from math import floor


def default_tolerance(max_mark: int) -> int:
    """`max(1, floor(0.06 * M + 0.5))`: 80 marks -> 5 (exact, no float arithmetic)."""
    _check_max(max_mark)
    return max(1, floor(Fraction(6, 100) * max_mark + Fraction(1, 2)))


@dataclass(frozen=True)
class Pair:
    """One moderated sample member: the centre's mark (any clerical correction in force
    applied) and the moderator's own mark."""

    centre: int
    moderator: int

    @property
    def difference(self) -> int:
        return self.moderator - self.centre


@dataclass(frozen=True)
class Point:
    """A point of the adjustment: centre mark `centre` maps to `value`."""

    centre: int
    value: Fraction


@dataclass(frozen=True)
class Outcome:
    max_mark: int
    tolerance: int
    pairs: tuple[Pair, ...]
    # The adjustment's points, lowest centre mark first; empty within tolerance.
    points: tuple[Point, ...]

    @property
    def adjusted(self) -> bool:
        return bool(self.points)

    def out_of_tolerance(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if abs(p.difference) > self.tolerance)

    def mapped(self, centre_mark: int) -> Fraction:
        """f(x) before rounding: the exact value the adjustment gives a centre mark."""
        _check_mark(centre_mark, self.max_mark, "centre mark")
        if not self.points or centre_mark == 0:
            # Within tolerance every mark stands; nothing creditworthy stays nothing.
            return Fraction(centre_mark)
        return _mapped(centre_mark, self.points)

    def final(self, centre_mark: int) -> int:
        """The final mark: f(x) rounded half up, clamped to [0, M]."""
        value = _round_half_up(self.mapped(centre_mark))
        return min(max(value, 0), self.max_mark)

    def final_marks[K: Hashable](
        self, centre_marks: Mapping[K, int | None]
    ) -> dict[K, int | None]:
        """Every candidate of the unit at the centre, sampled or not; None (absent,
        carry forward) is untouched. Each distinct mark is worked out once (a unit has
        at most M + 1 of them, however many candidates)."""
        finals: dict[int, int] = {}
        result: dict[K, int | None] = {}
        for key, mark in centre_marks.items():
            if mark is None:
                result[key] = None
                continue
            if mark not in finals:
                finals[mark] = self.final(mark)
            result[key] = finals[mark]
        return result


def moderation_outcome(
    pairs: Iterable[Pair], *, max_mark: int, tolerance: int | None = None
) -> Outcome:
    """Stage 1 (tolerance) and, when a difference is outside it, stage 2 (the
    rank-preserving adjustment) of MODERATION.md."""
    _check_max(max_mark)
    if tolerance is None:
        tolerance = default_tolerance(max_mark)
    if tolerance < 0:
        raise ValueError(f"A tolerance cannot be below 0 (got {tolerance}).")
    # Sorted, so the order the pairs arrive in can change nothing.
    moderated = tuple(sorted(pairs, key=lambda p: (p.centre, p.moderator)))
    if not moderated:
        raise ValueError("An outcome needs at least one moderated sample member.")
    for pair in moderated:
        _check_mark(pair.centre, max_mark, "centre mark")
        _check_mark(pair.moderator, max_mark, "moderator mark")
    within = all(abs(pair.difference) <= tolerance for pair in moderated)
    return Outcome(
        max_mark=max_mark,
        tolerance=tolerance,
        pairs=moderated,
        points=() if within else adjustment_points(moderated),
    )


@dataclass
class _Block:
    centres: list[int]
    total: Fraction
    count: int

    @property
    def mean(self) -> Fraction:
        return self.total / self.count


def adjustment_points(pairs: Iterable[Pair]) -> tuple[Point, ...]:
    """Steps 1 and 2: each distinct centre mark with the mean of its members' moderator
    marks, made non-decreasing by pooling adjacent violators (count-weighted means)."""
    by_centre: dict[int, list[int]] = {}
    for pair in pairs:
        by_centre.setdefault(pair.centre, []).append(pair.moderator)
    blocks: list[_Block] = []
    for centre in sorted(by_centre):
        marks = by_centre[centre]
        blocks.append(_Block([centre], Fraction(sum(marks)), len(marks)))
        # A block above the next one merges with it, and the merged block may now be
        # above the one before it: keep merging backwards until the means rise.
        while len(blocks) > 1 and blocks[-2].mean > blocks[-1].mean:
            upper = blocks.pop()
            lower = blocks[-1]
            lower.centres += upper.centres
            lower.total += upper.total
            lower.count += upper.count
    return tuple(
        Point(centre, block.mean) for block in blocks for centre in block.centres
    )


def _mapped(x: int, points: tuple[Point, ...]) -> Fraction:
    lowest, highest = points[0], points[-1]
    if x <= lowest.centre:
        return x + (lowest.value - lowest.centre)
    if x >= highest.centre:
        return x + (highest.value - highest.centre)
    for below, above in pairwise(points):
        if below.centre <= x <= above.centre:
            rise = above.value - below.value
            return below.value + (x - below.centre) * rise / (
                above.centre - below.centre
            )
    raise AssertionError("unreachable: x lies between the lowest and highest points")


def _round_half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


def _check_max(max_mark: int) -> None:
    if isinstance(max_mark, bool) or not isinstance(max_mark, int) or max_mark < 1:
        raise ValueError(
            f"A unit's maximum mark is a whole number of 1 or more ({max_mark!r})."
        )


def _check_mark(mark: int, max_mark: int, what: str) -> None:
    if isinstance(mark, bool) or not isinstance(mark, int) or not 0 <= mark <= max_mark:
        raise ValueError(f"A {what} is a whole number from 0 to {max_mark} ({mark!r}).")
