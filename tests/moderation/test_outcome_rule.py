"""The moderation-outcome rule (shared MODERATION.md): its worked examples, and the
properties that must hold for any marks."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.algorithm import (
    Pair,
    adjustment_points,
    default_tolerance,
    moderation_outcome,
)


def _pairs(*marks: tuple[int, int]) -> list[Pair]:
    return [Pair(centre, moderator) for centre, moderator in marks]


WORKED = _pairs(
    (78, 70),
    (71, 66),
    (64, 58),
    (55, 52),
    (47, 45),
    (40, 40),
    (31, 33),
    (22, 22),
    (12, 13),
)


def test_the_default_tolerance_is_six_percent_of_the_maximum_rounded():
    assert default_tolerance(80) == 5
    assert default_tolerance(60) == 4  # 3.6 + 0.5
    assert default_tolerance(10) == 1  # 0.6 + 0.5
    assert default_tolerance(5) == 1  # never below 1


def test_the_worked_example_is_adjusted_with_its_final_marks():
    outcome = moderation_outcome(WORKED, max_mark=80)

    assert outcome.tolerance == 5
    assert outcome.adjusted
    assert [p.difference for p in outcome.out_of_tolerance()] == [-6, -8]
    finals = {x: outcome.final(x) for x in (80, 78, 60, 50, 35, 12, 5, 0)}
    assert finals == {80: 72, 78: 70, 60: 55, 50: 48, 35: 36, 12: 13, 5: 6, 0: 0}
    assert outcome.mapped(60) == 52 + Fraction(5 * 6, 9)
    assert outcome.mapped(50) == Fraction(47625, 1000)


def test_ties_and_a_reversal_are_pooled_before_the_mapping():
    pairs = _pairs((30, 20), (30, 26), (40, 22), (50, 45), (50, 47))

    outcome = moderation_outcome(pairs, max_mark=60, tolerance=4)

    assert [(p.centre, p.value) for p in outcome.points] == [
        (30, Fraction(68, 3)),
        (40, Fraction(68, 3)),
        (50, Fraction(46)),
    ]
    assert outcome.mapped(45) == Fraction(68, 3) + 5 * (46 - Fraction(68, 3)) / 10
    assert outcome.mapped(10) == 10 - Fraction(22, 3)
    finals = {x: outcome.final(x) for x in (35, 45, 10, 60)}
    assert finals == {35: 23, 45: 34, 10: 3, 60: 56}


def test_the_ncfe_illustration_is_within_tolerance_and_every_mark_stands():
    pairs = _pairs((68, 69), (22, 21), (47, 46), (81, 80), (58, 58), (31, 28))

    outcome = moderation_outcome(pairs, max_mark=100, tolerance=6)

    assert not outcome.adjusted
    assert outcome.final_marks({"a": 81, "b": 5, "c": 100, "d": None}) == {
        "a": 81,
        "b": 5,
        "c": 100,
        "d": None,
    }


def test_a_difference_of_exactly_the_tolerance_is_within_it():
    outcome = moderation_outcome(_pairs((40, 45), (20, 15)), max_mark=80)

    assert not outcome.adjusted


def test_final_marks_are_clamped_to_the_maximum_and_to_zero():
    outcome = moderation_outcome(_pairs((10, 25), (50, 58)), max_mark=60, tolerance=2)
    assert outcome.final(55) == 60  # 63 before the clamp

    down = moderation_outcome(_pairs((30, 5), (50, 25)), max_mark=60, tolerance=2)
    assert down.final(10) == 0  # -15 before the clamp
    assert down.final(0) == 0


def test_half_a_mark_rounds_up():
    outcome = moderation_outcome(_pairs((10, 20), (20, 21)), max_mark=40, tolerance=2)

    assert outcome.mapped(15) == Fraction(41, 2)
    assert outcome.final(15) == 21


@pytest.mark.parametrize(
    ("pairs", "max_mark", "tolerance"),
    [
        ([], 80, None),
        (_pairs((81, 70)), 80, None),
        (_pairs((40, -1)), 80, None),
        (_pairs((40, 40)), 0, None),
        (_pairs((40, 40)), 80, -1),
    ],
)
def test_bad_input_is_refused(pairs, max_mark, tolerance):
    with pytest.raises(ValueError):
        moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)


# --- Properties -----------------------------------------------------------------------


@st.composite
def moderated_units(draw):
    max_mark = draw(st.integers(min_value=1, max_value=120))
    marks = st.integers(min_value=0, max_value=max_mark)
    pairs = draw(st.lists(st.builds(Pair, marks, marks), min_size=1, max_size=25))
    tolerance = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10)))
    return pairs, max_mark, tolerance


@given(moderated_units())
def test_within_tolerance_nothing_changes(unit):
    pairs, max_mark, tolerance = unit
    outcome = moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)
    if outcome.adjusted:
        return
    assert all(outcome.final(x) == x for x in range(max_mark + 1))


@given(moderated_units())
def test_the_adjustment_never_reverses_the_centres_order(unit):
    pairs, max_mark, tolerance = unit
    outcome = moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)

    finals = [outcome.final(x) for x in range(max_mark + 1)]

    assert finals == sorted(finals)
    values = [p.value for p in outcome.points]
    assert values == sorted(values)


@given(moderated_units())
def test_every_final_mark_is_between_zero_and_the_maximum_and_zero_stays_zero(unit):
    pairs, max_mark, tolerance = unit
    outcome = moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)

    finals = [outcome.final(x) for x in range(max_mark + 1)]

    assert all(0 <= final <= max_mark for final in finals)
    assert finals[0] == 0


@given(moderated_units(), st.randoms(use_true_random=False))
def test_the_order_the_pairs_arrive_in_changes_nothing(unit, random):
    pairs, max_mark, tolerance = unit
    shuffled = list(pairs)
    random.shuffle(shuffled)

    first = moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)
    second = moderation_outcome(shuffled, max_mark=max_mark, tolerance=tolerance)

    assert first.points == second.points
    assert [first.final(x) for x in range(max_mark + 1)] == [
        second.final(x) for x in range(max_mark + 1)
    ]


@given(moderated_units())
def test_absent_and_carried_forward_candidates_are_untouched(unit):
    pairs, max_mark, tolerance = unit
    outcome = moderation_outcome(pairs, max_mark=max_mark, tolerance=tolerance)

    assert outcome.final_marks({"absent": None, "cf": None}) == {
        "absent": None,
        "cf": None,
    }


@given(st.lists(st.builds(Pair, st.integers(0, 60), st.integers(0, 60)), min_size=1))
def test_pooling_keeps_every_centre_mark_and_the_moderators_total(pairs):
    points = adjustment_points(pairs)

    assert [p.centre for p in points] == sorted({p.centre for p in pairs})
    # A pooled block's mean is count-weighted: the moderator marks' total is kept.
    counts: dict[int, int] = {}
    for pair in pairs:
        counts[pair.centre] = counts.get(pair.centre, 0) + 1
    assert sum(p.value * counts[p.centre] for p in points) == sum(
        p.moderator for p in pairs
    )
