"""Scoped reads for moderation.

Moderators reach a centre's unit only through their own allocation: `access_allocation`
filters by the signed-in moderator in the query, so a centre or unit not allocated to them
is the same 404 as one that does not exist. Everything below an allocation is then read
with that allocation's centre and unit, through the owning apps' selectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from centres.models import Centre, ModeratorAllocation
from iamis.models import Entry, Mark, MarkChange, Unit
from sampling.models import Sample, SampleMember
from uploads.models import EvidenceFile, Kind

from .models import (
    ClericalCorrection,
    ModerationOutcome,
    ModeratorMark,
    ModeratorMarkChange,
    ModeratorReport,
)

if TYPE_CHECKING:
    from accounts.models import User


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = (
        queryset.order_by().values("centre_id").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(
        Subquery(counted, output_field=IntegerField()),
        Value(0),
        output_field=IntegerField(),
    )


def with_progress(
    allocations: QuerySet[ModeratorAllocation],
) -> QuerySet[ModeratorAllocation]:
    """Allocations with their progress, in one query whatever their number: entries,
    marks submitted, the sample's state, sampled candidates with work, how many of them
    have a file and the moderator's mark, and the newest outcome's version and status."""
    sheet = {"centre": OuterRef("centre_id"), "unit": OuterRef("unit_id")}
    members = SampleMember.objects.filter(
        sample__centre=OuterRef("centre_id"),
        sample__unit=OuterRef("unit_id"),
        work_unavailable=False,
    )
    has_file = EvidenceFile.objects.filter(
        entry=OuterRef("entry_id"), kind=Kind.CANDIDATE, deleted_at__isnull=True
    )
    moderated = ModeratorMark.objects.filter(
        ModeratorMark.COMPLETE, entry=OuterRef("entry_id")
    )
    newest = ModerationOutcome.objects.filter(**sheet).order_by("-version")
    return allocations.select_related("centre", "unit__series", "moderator").annotate(
        entry_count=_count(Entry.objects.filter(**sheet)),
        submitted_count=_count(Mark.objects.filter(**sheet, is_locked=True)),
        sample_status=Subquery(Sample.objects.filter(**sheet).values("status")[:1]),
        sampled_count=_count(members),
        sampled_with_files=_count(members.filter(Exists(has_file))),
        moderated_count=_count(members.filter(Exists(moderated))),
        outcome_status=Subquery(newest.values("status")[:1]),
        outcome_version=Subquery(newest.values("version")[:1]),
    )


def allocations_for(*, moderator: User) -> QuerySet[ModeratorAllocation]:
    """The moderator's allocations with their progress (one query)."""
    return with_progress(
        ModeratorAllocation.objects.filter(moderator=moderator)
    ).order_by("unit__series__name", "unit__code", "centre__number")


def access_allocation(
    *, moderator: User, centre_number: int, unit_id: UUID
) -> ModeratorAllocation:
    """The allocation of the centre's unit to this moderator; a 404 for anything not
    allocated to them, and for anyone who is no longer a moderator."""
    if not moderator.is_moderator:
        raise Http404
    return get_object_or_404(
        ModeratorAllocation.objects.select_related(
            "centre", "unit__series", "moderator"
        ),
        moderator=moderator,
        centre__number=centre_number,
        unit__public_id=unit_id,
    )


def current_corrections(
    *, centre: Centre, unit: Unit | None = None, entries: list[Entry] | None = None
) -> dict[int, ClericalCorrection]:
    """The corrections in force, by entry id: on a sheet, or for the given entries."""
    corrections = ClericalCorrection.objects.filter(centre=centre, is_current=True)
    if unit is not None:
        corrections = corrections.filter(unit=unit)
    if entries is not None:
        corrections = corrections.filter(entry__in=entries)
    return {c.entry_id: c for c in corrections}


def entry_history(*, centre: Centre, entry: Entry) -> QuerySet[MarkChange]:
    return (
        MarkChange.objects.filter(centre=centre, mark__entry=entry)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )


def report_for(*, centre: Centre, unit: Unit) -> ModeratorReport | None:
    return ModeratorReport.objects.filter(centre=centre, unit=unit).first()


def report_visible_to_centre(
    report: ModeratorReport | None, unit: Unit, today: date
) -> bool:
    return (
        report is not None and report.is_published and today >= unit.series.results_day
    )


class NotYet(Exception):
    """The centre asked for a moderator report before its series' results day."""

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit.code)
        self.unit = unit


def centre_visible_report(
    *, centre: Centre, unit: Unit, today: date | None = None
) -> ModeratorReport:
    """The published report once results day has come. Before that NotYet, so the
    centre is told when (whether a report exists yet is not revealed); a 404 when
    there is none to see."""
    today = today or timezone.localdate()
    if today < unit.series.results_day:
        raise NotYet(unit)
    report = report_for(centre=centre, unit=unit)
    if report is None or not report.is_published:
        raise Http404
    return report


def visible_report_unit_ids(*, centre: Centre, today: date) -> set[int]:
    """Units whose moderator report the centre can open today (one query)."""
    return set(
        ModeratorReport.objects.filter(
            centre=centre,
            status=ModeratorReport.Status.PUBLISHED,
            unit__series__results_day__lte=today,
        ).values_list("unit_id", flat=True)
    )


def allocation_entries(*, allocation: ModeratorAllocation) -> QuerySet[Entry]:
    """The allocated unit's entries at the centre, in candidate-number order."""
    return (
        Entry.objects.filter(centre=allocation.centre, unit=allocation.unit)
        .select_related("candidate", "mark")
        .order_by("candidate__number")
    )


def moderator_mark_history(
    *, allocation: ModeratorAllocation
) -> QuerySet[ModeratorMarkChange]:
    """Every change to the moderator's marks on this allocation, newest first."""
    return (
        ModeratorMarkChange.objects.filter(
            centre=allocation.centre, moderator_mark__unit=allocation.unit
        )
        .select_related("changed_by", "moderator_mark__entry__candidate")
        .order_by("-changed_at", "-id")
    )


def moderated_entry_ids(*, allocation: ModeratorAllocation) -> set[int]:
    """The entries the moderator has given a complete mark (or grade)."""
    return set(
        ModeratorMark.objects.filter(
            ModeratorMark.COMPLETE, centre=allocation.centre, unit=allocation.unit
        ).values_list("entry_id", flat=True)
    )


def blind_hidden_entry_ids(*, allocation: ModeratorAllocation) -> set[int]:
    """Blind moderation: the sampled entries whose centre mark the moderator may not see
    yet (no mark of their own). Empty, without a query, when the unit is not blind."""
    if not allocation.unit.blind_moderation:
        return set()
    moderated = ModeratorMark.objects.filter(
        ModeratorMark.COMPLETE, entry=OuterRef("entry_id")
    )
    return set(
        SampleMember.objects.filter(
            sample__centre=allocation.centre,
            sample__unit=allocation.unit,
            centre=allocation.centre,
        )
        .filter(~Exists(moderated))
        .values_list("entry_id", flat=True)
    )


@dataclass
class OutcomeRow:
    entry: Entry
    centre: int | str | None
    final: int | str | None

    @property
    def changed(self) -> bool:
        return self.final != self.centre


@dataclass
class OutcomeView:
    """An approved outcome with each candidate's centre and final mark, in candidate
    order: what the centre reads on the report page and in its PDF."""

    outcome: ModerationOutcome
    rows: list[OutcomeRow]

    @property
    def changed_count(self) -> int:
        return sum(1 for row in self.rows if row.changed)


def outcome_view(*, centre: Centre, unit: Unit) -> OutcomeView | None:
    """The approved outcome in force (two queries), or None."""
    outcome = (
        ModerationOutcome.objects.filter(
            centre=centre, unit=unit, status=ModerationOutcome.Status.APPROVED
        )
        .select_related("proposed_by", "decided_by")
        .first()
    )
    if outcome is None:
        return None
    return OutcomeView(outcome=outcome, rows=outcome_rows(outcome))


def outcome_rows(outcome: ModerationOutcome) -> list[OutcomeRow]:
    """Every candidate of an outcome's snapshot with its entry (one query)."""
    entries = Entry.objects.filter(
        centre=outcome.centre_id, unit=outcome.unit_id, pk__in=outcome.finals.keys()
    ).select_related("candidate")
    rows = []
    for entry in sorted(entries, key=lambda e: e.candidate.number):
        centre_value, final = outcome.finals[str(entry.pk)]
        rows.append(OutcomeRow(entry=entry, centre=centre_value, final=final))
    return rows


def latest_outcome(*, centre: Centre, unit: Unit) -> ModerationOutcome | None:
    """The newest version, whatever its status (what the moderator is told)."""
    return (
        ModerationOutcome.objects.filter(centre=centre, unit=unit)
        .select_related("decided_by")
        .order_by("-version")
        .first()
    )
