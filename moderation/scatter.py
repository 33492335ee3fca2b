"""The scatter of centre against moderator marks, worked out on the server and drawn as
SVG by the template: the moderated members, the line where the marks agree, the tolerance
band around it and, when the outcome is adjusted, the adjustment line f. The page gives
the same figures as a table for screen readers (the SVG is one labelled image).

Only coordinates are computed here; no chart library reaches the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .algorithm import Outcome

if TYPE_CHECKING:
    from .moderated import ModeratedSample

SIZE = 320
LEFT, TOP, PLOT = 44, 12, 260


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    centre: int
    moderator: int
    within: bool

    @property
    def difference(self) -> int:
        return self.moderator - self.centre


@dataclass(frozen=True)
class Tick:
    mark: int
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    size: int
    left: int
    top: int
    plot: int
    bottom: int
    right: int
    dots: list[Dot]
    ticks: list[Tick]
    band: str
    agreement: str
    adjustment: str
    zero: tuple[float, float] | None


def _x(mark: float, max_mark: int) -> float:
    return round(LEFT + PLOT * mark / max_mark, 1)


def _y(mark: float, max_mark: int) -> float:
    return round(TOP + PLOT * (max_mark - mark) / max_mark, 1)


def _clamped(value: Fraction | int, max_mark: int) -> float:
    return float(min(max(Fraction(value), Fraction(0)), Fraction(max_mark)))


def _step(max_mark: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if max_mark / step <= 10:
            return step
    return max_mark


def chart(sample: ModeratedSample, outcome: Outcome | None) -> Chart | None:
    """None while nothing is moderated or for an outcome unit (grades, not marks)."""
    max_mark = sample.max_mark
    if sample.unit.is_outcome_unit or max_mark < 1:
        return None
    tolerance = sample.tolerance
    dots = [
        Dot(
            x=_x(centre, max_mark),
            y=_y(moderator, max_mark),
            centre=centre,
            moderator=moderator,
            within=abs(moderator - centre) <= tolerance,
        )
        for _member, centre, moderator in sample.marked_pairs
    ]
    if not dots:
        return None
    # The band |moderator - centre| <= T, cut to the square of possible marks.
    t, m = min(tolerance, max_mark), max_mark
    corners = [(0, 0), (0, t), (m - t, m), (m, m), (m, m - t), (t, 0)]
    band = " ".join(f"{_x(c, max_mark)},{_y(m, max_mark)}" for c, m in corners)
    adjustment, zero = "", None
    if outcome is not None and outcome.adjusted:
        xs = sorted({1, max_mark, *(p.centre for p in outcome.points if p.centre > 0)})
        adjustment = " ".join(
            f"{_x(x, max_mark)},{_y(_clamped(outcome.mapped(x), max_mark), max_mark)}"
            for x in xs
        )
        zero = (_x(0, max_mark), _y(0, max_mark))
    step = _step(max_mark)
    return Chart(
        size=SIZE,
        left=LEFT,
        top=TOP,
        plot=PLOT,
        bottom=TOP + PLOT,
        right=LEFT + PLOT,
        dots=dots,
        ticks=[
            Tick(mark, _x(mark, max_mark), _y(mark, max_mark))
            for mark in range(0, max_mark + 1, step)
        ],
        band=band,
        agreement=f"{_x(0, max_mark)},{_y(0, max_mark)} "
        f"{_x(max_mark, max_mark)},{_y(max_mark, max_mark)}",
        adjustment=adjustment,
        zero=zero,
    )
