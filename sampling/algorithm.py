"""The moderation-sample rule of shared SAMPLING.md, as pure functions.

No ORM, no database, no clock and no randomness: the same marks always give the same
sample, whatever order the candidates arrive in, and every member carries the reasons
it was chosen. The caller loads the marksheet, calls `choose_sample` and stores what
it returns; a stored sample is never silently regenerated.

A unit is an *outcome unit* when its rules carry a `grade_scale` (candidates have a
`grade`); otherwise it is a *marks unit* (candidates have a `total`).

Decisions where SAMPLING.md is silent (each also noted where it applies):

- Bad input is refused with `ValueError` rather than guessed at: an unknown status, a
  candidate number given twice, a MARKED candidate without a total (marks unit) or
  with a grade outside the scale (outcome unit).
- When the table's size is at least the cohort (`n >= N`), the whole cohort is the
  sample, so every candidate gets reason ALL, exactly as for an ALL row.
- Anchors, teacher coverage, grade quotas and parental interest are never cut to fit
  `n`; only the range fill is sized by `n`. A table size below 2 still gives both
  anchors.
- A step that finds its purpose already served adds nothing, not even a reason: a
  covered teacher gets no pick, a parental-interest candidate already chosen keeps only
  the reasons that chose it. The one way to get two reasons is H and L being the same
  candidate (for example, only the top candidate has a non-zero mark).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

SizeTable = tuple[tuple[float, int | None], ...]

# (largest cohort, sample size); a size of None means the whole cohort (ALL).
DEFAULT_SIZE_TABLE: SizeTable = ((15, None), (100, 15), (200, 20), (float("inf"), 25))


class Status(StrEnum):
    """A candidate's state on the marksheet; only MARKED candidates can be sampled."""

    MARKED = "marked"
    ABSENT = "absent"
    CARRY_FORWARD = "carry_forward"


class Reason(StrEnum):
    """Why the system chose a member, one per step of the rule."""

    ALL = "all"
    HIGHEST = "highest"
    LOWEST = "lowest"
    TEACHER = "teacher"
    RANGE = "range"
    GRADE = "grade"
    PARENTAL_INTEREST = "parental_interest"


@dataclass(frozen=True)
class CandidateMark:
    """One candidate's line on the marksheet, as much of it as the rule reads.

    `status` is one of the `Status` values (plain strings are accepted). Marks units
    give `total`, outcome units give `grade`; `teacher` holds the marking teacher's
    initials, or "" when the unit records none.
    """

    candidate_no: int
    status: str
    total: int | None = None
    grade: str | None = None
    teacher: str = ""
    parental_interest: bool = False

    def __post_init__(self) -> None:
        if self.status not in set(Status):
            raise ValueError(
                f"Candidate {self.candidate_no} has unknown status {self.status!r}."
            )


@dataclass(frozen=True)
class SampleMember:
    """One chosen candidate.

    `rank` is the candidate's position (0 is the highest) in the ranking of eligible
    candidates. `reasons` are in the order the steps added them. `teacher` is set only
    when TEACHER is among the reasons, so wording can say "teacher CD"; it is "" for
    every other member.
    """

    candidate_no: int
    rank: int
    reasons: tuple[Reason, ...]
    teacher: str = ""


@dataclass(frozen=True)
class SampleRules:
    """A unit's parameters: its size table, the zero-mark rule and its grade scale.

    `grade_scale` lists the grades highest first; an empty scale means a marks unit.
    `low_anchor_excludes_zero` does not apply to outcome units, which have no marks.
    """

    size_table: SizeTable = DEFAULT_SIZE_TABLE
    low_anchor_excludes_zero: bool = True
    grade_scale: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.grade_scale)) != len(self.grade_scale):
            raise ValueError("A grade scale cannot name a grade twice.")

    @property
    def is_outcome_unit(self) -> bool:
        return bool(self.grade_scale)


def sample_size(cohort: int, table: Sequence[tuple[float, int | None]]) -> int:
    """Return `n` for a cohort of `cohort` eligible candidates (step 2).

    The first row whose largest cohort is at least `cohort` decides; a size of None
    (ALL) gives the cohort itself. A table size is returned as written even when it is
    larger than the cohort: `choose_sample` then takes everyone.
    """
    if cohort < 0:
        raise ValueError("A cohort cannot be negative.")
    for largest, size in table:
        if largest >= cohort:
            return cohort if size is None else size
    raise ValueError(f"The size table has no row for a cohort of {cohort}.")


def rank(
    candidates: Iterable[CandidateMark], rules: SampleRules
) -> list[CandidateMark]:
    """Return the eligible population `E` in rank order (steps 0 and 1).

    Only MARKED candidates are eligible. Marks units: total descending, then candidate
    number ascending. Outcome units: grade in `grade_scale` order, then candidate
    number. The candidate number breaks every tie, so input order never matters.
    """
    candidates = tuple(candidates)
    numbers = [c.candidate_no for c in candidates]
    if len(set(numbers)) != len(numbers):
        raise ValueError("A candidate number appears more than once.")
    eligible = [c for c in candidates if c.status == Status.MARKED]
    return sorted(eligible, key=_rank_key(rules, eligible))


def choose_sample(
    candidates: Iterable[CandidateMark], rules: SampleRules
) -> list[SampleMember]:
    """Choose the moderation sample (steps 0-7), returned in rank order.

    Marks units: anchors H (position 0) and L (the lowest-ranked non-zero total, or
    position N-1 when all are zero or zero counts), then teacher coverage, then the
    range fill for the remaining `k = n - |S|` places.

    Outcome units: H and L are the first and last in rank order and teacher coverage
    runs as for marks; the range fill is replaced by grade quotas. Each grade's target
    is `floor(n / grades)`, and the first `n mod grades` grades (highest first) get one
    more: that is the remainder dealt round-robin from the highest grade. Members the
    anchors and teacher coverage already chose count toward their grade's target, so
    those steps can leave a grade needing fewer picks or none; a grade they have taken
    past its target is not cut back, so the sample may exceed `n`, just as teacher
    coverage may. A grade with fewer candidates than its target gives what it has, and
    the places it could not fill are dealt one at a time, round-robin from the highest
    grade, to grades with candidates left, so the sample is never smaller than
    `min(n, N)`. Each grade's picks use the range-fill spread over that grade's
    candidates in rank order, skipping those already chosen; reason GRADE.

    Parental-interest candidates not yet chosen are added last; they are eligible
    candidates only, so an absent one is never added.
    """
    ranking = rank(candidates, rules)
    cohort = len(ranking)
    if cohort == 0:
        return []
    n = sample_size(cohort, rules.size_table)
    chosen: dict[int, list[Reason]] = {}
    teacher_of: dict[int, str] = {}

    def add(candidate: CandidateMark, reason: Reason) -> None:
        reasons = chosen.setdefault(candidate.candidate_no, [])
        if reason not in reasons:
            reasons.append(reason)

    if n >= cohort:
        for candidate in ranking:
            add(candidate, Reason.ALL)
    else:
        add(ranking[0], Reason.HIGHEST)
        add(_low_anchor(ranking, rules), Reason.LOWEST)
        for teacher, candidate in _teacher_coverage(ranking, chosen.keys()):
            add(candidate, Reason.TEACHER)
            teacher_of[candidate.candidate_no] = teacher
        if rules.is_outcome_unit:
            for candidate in _grade_quotas(ranking, rules, n, chosen.keys()):
                add(candidate, Reason.GRADE)
        else:
            for candidate in _spread(ranking, n - len(chosen), chosen.keys()):
                add(candidate, Reason.RANGE)

    for candidate in ranking:
        if candidate.parental_interest and candidate.candidate_no not in chosen:
            add(candidate, Reason.PARENTAL_INTEREST)

    return [
        SampleMember(
            candidate_no=candidate.candidate_no,
            rank=position,
            reasons=tuple(chosen[candidate.candidate_no]),
            teacher=teacher_of.get(candidate.candidate_no, ""),
        )
        for position, candidate in enumerate(ranking)
        if candidate.candidate_no in chosen
    ]


def nearest_replacements(
    candidates: Iterable[CandidateMark],
    rules: SampleRules,
    *,
    lost_candidate_no: int,
    taken: set[int],
) -> tuple[CandidateMark | None, CandidateMark | None, CandidateMark | None]:
    """Return `(above, below, default)` replacements for lost or incomplete work.

    `above` and `below` are the nearest eligible candidates in rank order, either side
    of the lost one, whose numbers are not in `taken` (the lost candidate itself is
    never offered). `default` is whichever differs less from the lost candidate's mark
    (outcome units: the fewer steps apart on the grade scale), ties to `above`, the
    higher mark; it is the only one when the other side has none, and None when
    neither side has one. A lost candidate who is not eligible is a `ValueError`.
    """
    ranking = rank(candidates, rules)
    numbers = [c.candidate_no for c in ranking]
    if lost_candidate_no not in numbers:
        raise ValueError(f"Candidate {lost_candidate_no} is not an eligible candidate.")
    position = numbers.index(lost_candidate_no)
    lost = ranking[position]

    def free(candidate: CandidateMark) -> bool:
        return candidate.candidate_no not in taken

    above = next(filter(free, reversed(ranking[:position])), None)
    below = next(filter(free, ranking[position + 1 :]), None)
    if above is None or below is None:
        return above, below, above or below
    distance = _distance(rules, lost)
    default = above if distance(above) <= distance(below) else below
    return above, below, default


def spread_in_band(
    candidates: Iterable[CandidateMark],
    rules: SampleRules,
    *,
    k: int,
    low: int,
    high: int,
    taken: set[int],
) -> list[CandidateMark]:
    """Return a moderator's `k` more candidates spread over the mark band [low, high].

    The pool is the eligible candidates whose total is within the band (both ends
    included) and whose number is not in `taken`, in rank order; the step-5 spread is
    applied to that pool, so positions count pool members only. Fewer than `k` in the
    pool gives the whole pool. Returned in rank order. Outcome units have no marks, so
    asking for a mark band there is a `ValueError`.
    """
    if rules.is_outcome_unit:
        raise ValueError("An outcome unit has no marks to take a band of.")
    pool = [
        c
        for c in rank(candidates, rules)
        if c.candidate_no not in taken
        and c.total is not None
        and low <= c.total <= high
    ]
    picked = {c.candidate_no for c in _spread(pool, k, set())}
    return [c for c in pool if c.candidate_no in picked]


def _rank_key(
    rules: SampleRules, eligible: Sequence[CandidateMark]
) -> Callable[[CandidateMark], tuple[int, int]]:
    if rules.is_outcome_unit:
        order = {grade: index for index, grade in enumerate(rules.grade_scale)}
        for c in eligible:
            if c.grade not in order:
                raise ValueError(
                    f"Candidate {c.candidate_no} has grade {c.grade!r}, "
                    f"which is not on the unit's grade scale."
                )
        return lambda c: (order[c.grade or ""], c.candidate_no)
    for c in eligible:
        if c.total is None:
            raise ValueError(f"Marked candidate {c.candidate_no} has no total.")
    return lambda c: (-(c.total or 0), c.candidate_no)


def _distance(
    rules: SampleRules, lost: CandidateMark
) -> Callable[[CandidateMark], int]:
    if rules.is_outcome_unit:
        scale = rules.grade_scale
        lost_index = scale.index(lost.grade or "")
        return lambda c: abs(scale.index(c.grade or "") - lost_index)
    return lambda c: abs((c.total or 0) - (lost.total or 0))


def _low_anchor(ranking: Sequence[CandidateMark], rules: SampleRules) -> CandidateMark:
    # NCFE anchors on the lowest *non-zero* mark: a zero usually means no work to see.
    if rules.low_anchor_excludes_zero and not rules.is_outcome_unit:
        for candidate in reversed(ranking):
            if (candidate.total or 0) > 0:
                return candidate
    return ranking[-1]


def _teacher_coverage(
    ranking: Sequence[CandidateMark], chosen: Iterable[int]
) -> list[tuple[str, CandidateMark]]:
    """Pick the middle candidate of each teacher who has nobody in the sample yet.

    Teachers go in alphabetical order of initials ("" is no teacher and is skipped).
    A teacher already represented, by an anchor or anyone else, gets no pick and no
    TEACHER reason. Every candidate has one teacher, so a pick for one teacher never
    covers another and the order cannot change the result; it is fixed all the same.
    """
    sampled = set(chosen)
    picks = []
    for teacher in sorted({c.teacher for c in ranking if c.teacher}):
        theirs = [c for c in ranking if c.teacher == teacher]
        if any(c.candidate_no in sampled for c in theirs):
            continue
        pick = theirs[(len(theirs) - 1) // 2]
        sampled.add(pick.candidate_no)
        picks.append((teacher, pick))
    return picks


def _grade_quotas(
    ranking: Sequence[CandidateMark],
    rules: SampleRules,
    n: int,
    chosen: Iterable[int],
) -> list[CandidateMark]:
    """Return the GRADE picks for an outcome unit (see `choose_sample`)."""
    sampled = set(chosen)
    grades = rules.grade_scale
    by_grade = {g: [c for c in ranking if c.grade == g] for g in grades}
    quota, remainder = divmod(n, len(grades))
    extra: dict[str, int] = {}
    for index, grade in enumerate(grades):
        members = by_grade[grade]
        already = sum(c.candidate_no in sampled for c in members)
        target = quota + (1 if index < remainder else 0)
        extra[grade] = min(max(0, target - already), len(members) - already)

    # Places a grade too small for its target could not fill go round-robin from the
    # highest grade, so a thin grade never shrinks the sample below n.
    def room(grade: str) -> int:
        members = by_grade[grade]
        return len(members) - sum(c.candidate_no in sampled for c in members)

    short = n - len(sampled) - sum(extra.values())
    while short > 0 and any(extra[g] < room(g) for g in grades):
        for grade in grades:
            if short > 0 and extra[grade] < room(grade):
                extra[grade] += 1
                short -= 1

    picks: list[CandidateMark] = []
    for grade in grades:
        picks.extend(_spread(by_grade[grade], extra[grade], sampled))
    return picks


def _spread(
    line: Sequence[CandidateMark], k: int, chosen: Iterable[int]
) -> list[CandidateMark]:
    """Take `k` candidates spread along `line`, skipping those already chosen (step 5).

    For `i = 1..k` the target position is `floor(i * (len - 1) / (k + 1) + 0.5)`,
    worked in integers so no float rounding can move it; the pick is the nearest free
    candidate, probing `p, p+1, p-1, p+2, p-2, ...`. Picks stop when none is free.
    """
    taken = set(chosen)
    last = len(line) - 1
    picks: list[CandidateMark] = []
    for i in range(1, k + 1):
        target = (2 * i * last + k + 1) // (2 * (k + 1))
        position = _nearest_free(line, target, taken)
        if position is None:
            break
        taken.add(line[position].candidate_no)
        picks.append(line[position])
    return picks


def _nearest_free(
    line: Sequence[CandidateMark], target: int, taken: set[int]
) -> int | None:
    for step in range(len(line)):
        for position in (target + step, target - step) if step else (target,):
            if 0 <= position < len(line) and line[position].candidate_no not in taken:
                return position
    return None
