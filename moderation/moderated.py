"""The sample as the moderator has moderated it so far: each member's centre mark beside
the moderator's, the differences, and (once every member with work is moderated) the
outcome by the rule of MODERATION.md with every candidate's final mark.

One read, a fixed number of queries whatever the size of the sample or the cohort: the
moderator's page, its htmx refresh, the proposal and the board's approval all build it
here, so they can never disagree about what the outcome is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from centres.models import Centre
from iamis.models import Entry, Mark, Task, Unit
from sampling.models import Sample, SampleMember

from .algorithm import Outcome, Pair, default_tolerance, moderation_outcome
from .models import ClericalCorrection, ModeratorMark


def centre_value(
    mark: Mark | None, correction: ClericalCorrection | None
) -> int | None:
    """The centre mark the rule starts from: the submitted total with any clerical
    correction in force. None for absent, carry forward or no mark."""
    if correction is not None and correction.total is not None:
        return correction.total
    if mark is None or mark.status != Mark.Status.MARKED:
        return None
    return mark.total


def centre_grade(mark: Mark | None, correction: ClericalCorrection | None) -> str:
    if correction is not None and correction.grade:
        return correction.grade
    if mark is None or mark.status != Mark.Status.MARKED:
        return ""
    return mark.grade


def tolerance_for(unit: Unit, max_mark: int) -> int:
    """The board's tolerance for the unit, or the default of MODERATION.md."""
    if unit.moderation_tolerance is not None:
        return unit.moderation_tolerance
    return default_tolerance(max(max_mark, 1))


@dataclass
class MemberState:
    member: SampleMember
    mark: Mark | None
    correction: ClericalCorrection | None
    moderator_mark: ModeratorMark | None
    tolerance: int

    @property
    def entry(self) -> Entry:
        return self.member.entry

    @property
    def to_moderate(self) -> bool:
        """Work available and a mark to moderate (absent and CF have no work)."""
        return not self.member.work_unavailable and (
            self.centre_value is not None or bool(self.centre_grade)
        )

    @cached_property
    def centre_value(self) -> int | None:
        return centre_value(self.mark, self.correction)

    @cached_property
    def centre_grade(self) -> str:
        return centre_grade(self.mark, self.correction)

    @property
    def moderated(self) -> bool:
        return self.moderator_mark is not None and self.moderator_mark.is_complete

    @property
    def difference(self) -> int | None:
        if not self.moderated or self.centre_value is None:
            return None
        assert self.moderator_mark is not None  # noqa: S101 (moderated says so)
        if self.moderator_mark.total is None:
            return None
        return self.moderator_mark.total - self.centre_value

    @property
    def within_tolerance(self) -> bool | None:
        difference = self.difference
        return None if difference is None else abs(difference) <= self.tolerance

    @property
    def grade_agreed(self) -> bool | None:
        """Outcome units: whether the moderator's grade is the centre's."""
        if not self.moderated or not self.centre_grade:
            return None
        assert self.moderator_mark is not None  # noqa: S101 (moderated says so)
        return self.moderator_mark.grade == self.centre_grade


@dataclass
class FinalMark:
    entry: Entry
    centre: int | None
    final: int | None
    sampled: bool

    @property
    def change(self) -> int | None:
        if self.centre is None or self.final is None:
            return None
        return self.final - self.centre


@dataclass
class Snapshot:
    kind: str
    pairs: list[list[int | str | None]]
    points: list[list[int | str]]
    finals: dict[str, list[int | str | None]]


@dataclass
class ModeratedSample:
    unit: Unit
    tasks: list[Task]
    sample: Sample | None
    members: list[MemberState]
    # Every entry of the unit at the centre with its centre mark, for the preview.
    cohort: list[tuple[Entry, int | None]]
    # ...and with its centre grade, on an outcome unit.
    cohort_grades: list[tuple[Entry, str]]

    @property
    def ready(self) -> bool:
        return self.sample is not None and self.sample.status == Sample.Status.READY

    @property
    def max_mark(self) -> int:
        return sum(task.max_mark for task in self.tasks)

    @property
    def tolerance(self) -> int:
        return tolerance_for(self.unit, self.max_mark)

    @property
    def to_moderate(self) -> list[MemberState]:
        return [m for m in self.members if m.to_moderate]

    @property
    def moderated_count(self) -> int:
        return sum(1 for m in self.to_moderate if m.moderated)

    @property
    def complete(self) -> bool:
        members = self.to_moderate
        return bool(members) and all(m.moderated for m in members)

    @cached_property
    def marked_pairs(self) -> list[tuple[MemberState, int, int]]:
        """Each member to moderate that has the moderator's total, with the centre mark
        and that total: what the rule, the snapshot and the scatter start from."""
        return [
            (m, m.centre_value, m.moderator_mark.total)
            for m in self.to_moderate
            if m.centre_value is not None
            and m.moderator_mark is not None
            and m.moderator_mark.total is not None
        ]

    @cached_property
    def outcome(self) -> Outcome | None:
        """The outcome by the rule once every member with work is moderated; None before
        that, and for outcome units (grades are decided by the board, not adjusted)."""
        if not self.ready or not self.complete or self.unit.is_outcome_unit:
            return None
        pairs = [Pair(centre, moderator) for _m, centre, moderator in self.marked_pairs]
        if not pairs:
            return None
        return moderation_outcome(
            pairs, max_mark=self.max_mark, tolerance=self.tolerance
        )

    @cached_property
    def final_marks(self) -> list[FinalMark]:
        """Every candidate: centre mark -> final mark (final is the centre mark within
        tolerance; absent and carry forward stay as they are)."""
        outcome = self.outcome
        if outcome is None:
            return []
        sampled = {m.entry.pk for m in self.to_moderate}
        finals = outcome.final_marks({entry.pk: value for entry, value in self.cohort})
        return [
            FinalMark(
                entry=entry,
                centre=value,
                final=finals[entry.pk],
                sampled=entry.pk in sampled,
            )
            for entry, value in self.cohort
        ]

    def snapshot(self) -> Snapshot | None:
        """The outcome as figures to keep (what the board approves and the centre sees);
        None until every sampled candidate with work is moderated."""
        if not self.ready or not self.complete:
            return None
        if self.unit.is_outcome_unit:
            return Snapshot(
                kind="grades",
                pairs=[
                    [m.entry.pk, m.centre_grade, m.moderator_mark.grade]
                    for m in self.to_moderate
                    if m.moderator_mark is not None
                ],
                points=[],
                finals={
                    str(entry.pk): [grade, grade] for entry, grade in self.cohort_grades
                },
            )
        outcome = self.outcome
        if outcome is None:
            return None
        return Snapshot(
            kind="adjusted" if outcome.adjusted else "within",
            pairs=[[m.entry.pk, c, mod] for m, c, mod in self.marked_pairs],
            points=[[p.centre, str(p.value)] for p in outcome.points],
            finals={str(f.entry.pk): [f.centre, f.final] for f in self.final_marks},
        )

    def hides_centre_mark(self, member: MemberState) -> bool:
        """Blind moderation: the centre's mark stays hidden until the moderator has
        entered their own."""
        return self.unit.blind_moderation and not member.moderated


def moderated_sample(
    *, centre: Centre, unit: Unit, whole_cohort: bool = True
) -> ModeratedSample:
    """Five queries: tasks, sample, members, the sheet's clerical corrections, and the
    cohort with its candidates, marks and moderator marks. Without `whole_cohort` only the
    sampled entries are read (saving one mark needs no final marks of the others), and
    `cohort` holds just those."""
    tasks = list(unit.tasks.all())
    sample = (
        Sample.objects.filter(centre=centre, unit=unit).select_related("unit").first()
    )
    corrections = {
        c.entry_id: c
        for c in ClericalCorrection.objects.filter(
            centre=centre, unit=unit, is_current=True
        )
    }
    entries = Entry.objects.filter(centre=centre, unit=unit)
    if not whole_cohort:
        entries = (
            entries.filter(sample_members__sample=sample)
            if sample is not None
            else entries.none()
        )
    cohort = list(
        entries.select_related("candidate", "mark", "moderator_mark").order_by(
            "candidate__number"
        )
    )
    by_id = {entry.pk: entry for entry in cohort}
    members: list[SampleMember] = []
    if sample is not None and sample.status == Sample.Status.READY:
        members = list(
            SampleMember.objects.filter(sample=sample, centre=centre)
            .select_related("replaces__entry__candidate")
            .order_by("rank", "entry__candidate__number")
        )
    tolerance = tolerance_for(unit, sum(t.max_mark for t in tasks))
    states = []
    for member in members:
        entry = by_id.get(member.entry_id)
        if entry is None:
            continue
        member.entry = entry  # the cohort's copy: one query for both
        states.append(
            MemberState(
                member=member,
                mark=getattr(entry, "mark", None),
                correction=corrections.get(entry.pk),
                moderator_mark=getattr(entry, "moderator_mark", None),
                tolerance=tolerance,
            )
        )
    return ModeratedSample(
        unit=unit,
        tasks=tasks,
        sample=sample,
        members=states,
        cohort=[
            (
                entry,
                centre_value(getattr(entry, "mark", None), corrections.get(entry.pk)),
            )
            for entry in cohort
        ],
        cohort_grades=[
            (
                entry,
                centre_grade(getattr(entry, "mark", None), corrections.get(entry.pk)),
            )
            for entry in cohort
        ]
        if unit.is_outcome_unit
        else [],
    )
