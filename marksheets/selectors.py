"""What IAMIS's screens read beyond the marks themselves: the dashboard (where every
sheet stands, sample and files included) and a marksheet's rows after submission (with
the sample and the clerical corrections).

The dashboard: where every sheet of the open series stands.

A series is open until its results day has passed. Exams officers and Admin accounts see
every unit of the centre in the open series; a teacher (a User account with IAMIS access)
sees their own units, or every unit they may open when they ask for all of them.

A teacher's own units: when the exams officer limited their IAMIS access to chosen units
or qualifications (Manage access), those units; otherwise the units where they have
entered or changed a mark. Nothing else in the data says who teaches what (teacher
initials are optional and not tied to an account).

Most urgent first (`DashboardRow.urgency`):
1. sheets not yet submitted (not started, in progress, ready to submit, or late entries
   still to submit), by deadline, the nearest (or passed) first;
2. submitted sheets still waiting for something: the sample being chosen or failed, or
   files missing for sampled candidates, by deadline;
3. complete sheets (submitted, sample ready, every sampled candidate's work uploaded or
   sent by post), by deadline.
A unit without a deadline comes after those with one in its group; ties go by unit code.

One query whatever the number of units and candidates: counts and the sample and file
facts come from correlated subqueries, each run once per unit (no join, no GROUP BY).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from centres.models import Centre
from common.numbers import whole_number_or_none
from iamis.models import Entry, MarkChange, Marksheet, Series, Unit
from iamis.selectors import (
    count_of,
    sheet_entries_of,
    units_for_member,
    units_with_progress,
)
from iamis.services.marks import SheetProgress
from moderation.models import ClericalCorrection
from sampling.models import Sample, SampleMember
from uploads.models import EvidenceFile, Kind, ScanStatus

if TYPE_CHECKING:
    from centres.models import Membership

SHOW_CHOICES = ("mine", "all")


class Stage(models.TextChoices):
    """Where a sheet stands, as the dashboard says it in words (never colour alone)."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    READY_TO_SUBMIT = "ready_to_submit", _("Ready to submit")
    LATE_ENTRIES = "late_entries", _("Late entries to submit")
    SUBMITTED = "submitted", _("Submitted")
    COMPLETE = "complete", _("Complete")


class SampleState(models.TextChoices):
    NONE = "none", _("Not yet (submit first)")
    PENDING = "pending", _("Being chosen")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be generated: contact the board")


@dataclass(frozen=True)
class DashboardRow:
    unit: Unit
    progress: SheetProgress
    submitted_at: datetime | None
    sample: str
    sampled: int
    sampled_with_files: int
    group_files: bool
    days_left: int | None

    @property
    def deadline(self) -> date | None:
        return self.unit.sample_deadline

    @property
    def files_needed(self) -> bool:
        return self.unit.has_uploads

    @property
    def files_done(self) -> bool:
        """Every sampled candidate's work is uploaded (or the unit takes no uploads)."""
        if not self.unit.has_uploads:
            return True
        if self.sample != SampleState.READY:
            return False
        if self.unit.group_upload:
            return self.group_files
        return self.sampled_with_files >= self.sampled

    @property
    def files_missing(self) -> int:
        return max(self.sampled - self.sampled_with_files, 0)

    @property
    def stage(self) -> Stage:
        progress = self.progress
        if progress.to_submit > 0:
            if progress.submitted:
                return Stage.LATE_ENTRIES
            if progress.complete == 0:
                return Stage.NOT_STARTED
            if progress.can_submit:
                return Stage.READY_TO_SUBMIT
            return Stage.IN_PROGRESS
        if self.sample == SampleState.READY and self.files_done:
            return Stage.COMPLETE
        return Stage.SUBMITTED

    @property
    def urgency(self) -> tuple[int, int, int, str]:
        stage = self.stage
        if stage == Stage.COMPLETE:
            group = 2
        elif stage == Stage.SUBMITTED:
            group = 1
        else:
            group = 0
        no_deadline = 1 if self.days_left is None else 0
        return (group, no_deadline, self.days_left or 0, self.unit.code)

    @property
    def days_past(self) -> int:
        return -self.days_left if self.days_left is not None else 0

    @property
    def overdue(self) -> bool:
        return (
            self.days_left is not None
            and self.days_left < 0
            and self.stage
            in (
                Stage.NOT_STARTED,
                Stage.IN_PROGRESS,
                Stage.READY_TO_SUBMIT,
                Stage.LATE_ENTRIES,
            )
        )


def dashboard_rows(
    *, membership: Membership, today: date, show: str = "mine"
) -> list[DashboardRow]:
    """The member's sheets in the open series, most urgent first (one query)."""

    centre = membership.centre
    units = units_for_member(membership=membership).filter(
        series__results_day__gte=today
    )
    if show != "all" and not membership.is_centre_admin:
        units = units.filter(_own_units(membership))
    entries = sheet_entries_of(centre)
    members = SampleMember.objects.filter(
        centre=centre, sample__unit=OuterRef("pk"), work_unavailable=False
    )
    # A file with a virus does not count: the moderator cannot see it.
    files = EvidenceFile.objects.filter(centre=centre, deleted_at__isnull=True).exclude(
        scan_status=ScanStatus.INFECTED
    )
    has_file = files.filter(entry=OuterRef("entry"), kind=Kind.CANDIDATE)
    units = units.annotate(
        complete_count=count_of(entries.filter(mark__is_complete=True), "unit"),
        submitted_count=count_of(entries.filter(mark__is_locked=True), "unit"),
        first_submitted_at=Subquery(
            Marksheet.objects.filter(centre=centre, unit=OuterRef("pk")).values(
                "first_submitted_at"
            )[:1]
        ),
        sample_status=Subquery(
            Sample.objects.filter(centre=centre, unit=OuterRef("pk")).values("status")[
                :1
            ]
        ),
        sampled_count=count_of(members, "sample"),
        sampled_with_files_count=count_of(members.filter(Exists(has_file)), "sample"),
        has_group_files=Exists(files.filter(unit=OuterRef("pk"), kind=Kind.GROUP)),
    )
    rows = [_row(unit, today) for unit in units]
    rows.sort(key=lambda row: row.urgency)
    return rows


def _own_units(membership: Membership) -> Q:
    """A teacher's own units, as a filter on Unit (see the module's docstring)."""
    from centres.models import Membership

    limited = Exists(
        Membership.iamis_units.through.objects.filter(membership_id=membership.pk)
    ) | Exists(
        Membership.iamis_qualifications.through.objects.filter(
            membership_id=membership.pk
        )
    )
    # A limited account's units are already only the chosen ones (units_for_member).
    marked = Exists(
        MarkChange.objects.filter(
            centre=membership.centre,
            changed_by_id=membership.user_id,
            mark__unit=OuterRef("pk"),
        )
    )
    return Q(limited) | Q(marked)


def _row(unit: Unit, today: date) -> DashboardRow:
    deadline = unit.sample_deadline
    return DashboardRow(
        unit=unit,
        progress=SheetProgress(
            entries=unit.entry_count,  # type: ignore[attr-defined]
            complete=unit.complete_count,  # type: ignore[attr-defined]
            submitted=unit.submitted_count,  # type: ignore[attr-defined]
        ),
        submitted_at=unit.first_submitted_at,  # type: ignore[attr-defined]
        sample=unit.sample_status or SampleState.NONE,  # type: ignore[attr-defined]
        sampled=unit.sampled_count,  # type: ignore[attr-defined]
        sampled_with_files=unit.sampled_with_files_count,  # type: ignore[attr-defined]
        group_files=unit.has_group_files,  # type: ignore[attr-defined]
        days_left=None if deadline is None else (deadline - today).days,
    )


def marksheet_rows(
    *,
    centre: Centre,
    unit: Unit,
    show: str = "all",
    search: str = "",
    sort: str = "number",
    submitted: bool = True,
) -> QuerySet[Entry]:
    """The sheet's entries with their marks, filtered and sorted as the Options box asks.

    One query whatever the size (the mark comes with a join); with `submitted` (some
    marks of the sheet are submitted) two more read the sample and the clerical
    corrections, and the rows say whether a change request amended them: none of that
    exists before a submission, so a sheet being marked does without.
    """
    rows = Entry.objects.filter(centre=centre, unit=unit).select_related(
        "candidate", "mark"
    )
    if submitted:
        in_sample = SampleMember.objects.filter(
            sample__centre=centre, sample__unit=unit
        )
        corrections = ClericalCorrection.objects.filter(
            centre=centre, unit=unit, is_current=True
        )
        changed_by_request = MarkChange.objects.filter(
            mark=OuterRef("mark"), source=MarkChange.Source.CHANGE_REQUEST
        )
        rows = rows.annotate(
            changed_by_request=Exists(changed_by_request)
        ).prefetch_related(
            Prefetch("sample_members", in_sample, to_attr="membership"),
            Prefetch("clerical_corrections", corrections, to_attr="corrections"),
        )
    search = search.strip()
    if search:
        by_name = Q(candidate__surname__istartswith=search)
        number = whole_number_or_none(search)
        rows = rows.filter(
            by_name if number is None else by_name | Q(candidate__number=number)
        )
    if show == "unmarked":
        rows = rows.filter(Q(mark__isnull=True) | Q(mark__is_complete=False))
    elif show == "marked":
        rows = rows.filter(mark__is_complete=True)
    elif show == "samples":
        rows = rows.filter(sample_members__isnull=False).distinct()
    if sort == "name":
        return rows.order_by(
            "candidate__surname", "candidate__forename", "candidate__number"
        )
    if sort == "mark":
        if unit.is_outcome_unit:
            return rows.order_by("mark__grade", "candidate__number")
        return rows.order_by(
            F("mark__total").desc(nulls_last=True), "candidate__number"
        )
    return rows.order_by("candidate__number")


def rows_shown(progress: SheetProgress, *, show: str, search: str) -> int | None:
    """How many rows `marksheet_rows` gives for these options, when the sheet's
    progress counts already say (None: they do not, the rows must be counted)."""
    if search:
        return None
    if show == "all":
        return progress.entries
    if show == "marked":
        return progress.complete
    if show == "unmarked":
        return progress.entries - progress.complete
    return None


def sheets_by_series(
    *, membership: Membership
) -> list[tuple[Series, list[tuple[Unit, SheetProgress]]]]:
    """The member's units grouped by series, each with how far its sheet has got (the
    IAMIS index; one query)."""
    units = units_with_progress(membership=membership)
    return [
        (series, [(unit, _progress_of(unit)) for unit in group])
        for series, group in groupby(units, key=attrgetter("series"))
    ]


def _progress_of(unit: Unit) -> SheetProgress:
    counts: Any = unit  # the counts are units_with_progress's annotations
    return SheetProgress(
        entries=counts.entry_count,
        complete=counts.complete_count,
        submitted=counts.submitted_count,
    )
