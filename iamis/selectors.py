"""Scoped reads for IAMIS. Every function takes the centre and filters by it in the query.

The `access_*` helpers load one object named in a URL; another centre's object is the same
404 as a missing one. Centre members reach IAMIS through `units_for_member`: a User account
may be limited to chosen qualifications and units (Manage access), and a unit outside the
limit is the same 404 as another centre's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, JSONObject
from django.shortcuts import get_object_or_404

from centres.models import Centre, ModeratorAllocation
from common.aggregates import joined_text

from .models import (
    Candidate,
    Entry,
    MarkChange,
    MarkChangeRequest,
    Submission,
    Task,
    Unit,
)
from .services.marks import SheetProgress

if TYPE_CHECKING:
    from centres.models import Membership


def count_of(queryset: QuerySet[Any], group_by: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset`, 0 when it has no rows.

    The unit lists count with these rather than `Count()` over a join: a join makes the
    query GROUP BY, and PostgreSQL then evaluates every other correlated subquery of the
    row (the dashboard's sample and file counts) once per joined entry instead of once
    per unit. With 25 candidates on each of 10 sheets the dashboard's query took 250 ms
    that way (bench/load.py), and it grows with candidates x sampled candidates."""
    counted = (
        queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def sheet_entries_of(centre: Centre) -> QuerySet[Entry]:
    """The entries of the outer query's unit at the centre (for `count_of`)."""
    return Entry.objects.filter(centre=centre, unit=OuterRef("pk"))


def units_for_centre(*, centre: Centre) -> QuerySet[Unit]:
    """Units with at least one processed entry at the centre, with the entry count."""
    entries = sheet_entries_of(centre)
    return (
        Unit.objects.filter(Exists(entries))
        .select_related("series", "series__qualification")
        .annotate(entry_count=count_of(entries, "unit"))
        .order_by("series__name", "code")
    )


def _unit_limit(membership: Membership, *, via: str = "") -> Q | None:
    """Which units a member may open, as a filter on Unit (or, with `via`, on the model
    that reaches Unit through that field, "unit__"); None when not limited.

    Exams officers and Admin accounts are never limited. A User account limited to some
    qualifications and units gets the union of both; with nothing chosen it gets every
    unit. The chosen ids come with the membership (centres/tenancy.py), so applying the
    limit adds no query.
    """
    if membership.is_centre_admin:
        return None
    unit_ids, qualification_ids = membership.iamis_limit()
    if not unit_ids and not qualification_ids:
        return None
    return Q(**{f"{via}pk__in": unit_ids}) | Q(
        **{f"{via}series__qualification_id__in": qualification_ids}
    )


def units_for_member(*, membership: Membership) -> QuerySet[Unit]:
    """The centre's units (as `units_for_centre`) that this member may open in IAMIS."""
    units = units_for_centre(centre=membership.centre)
    limit = _unit_limit(membership)
    return units if limit is None else units.filter(limit)


def access_unit(*, membership: Membership, unit_id: UUID) -> Unit:
    return get_object_or_404(units_for_member(membership=membership), public_id=unit_id)


def access_sheet_unit(*, membership: Membership, unit_id: UUID) -> Unit:
    """The unit of a marksheet this member may open (as `access_unit`, without its entry
    count: the sheet counts its rows itself), with its tasks (`unit_tasks`) in the same
    query."""
    units = (
        unit_named_for_member(membership=membership, unit_id=unit_id)
        .filter(Exists(sheet_entries_of(membership.centre)))
        .select_related("series", "series__qualification")
        .annotate(task_rows=_task_rows("pk"))
    )
    return get_object_or_404(units)


def unit_tasks(unit: Unit) -> list[Task]:
    """The unit's tasks in number order: as `access_sheet_unit` read them, or a query."""
    rows: str | None = getattr(unit, "task_rows", None)
    if rows is None:
        return list(unit.tasks.all())
    return _tasks_from(rows, unit)


def unit_named_for_member(*, membership: Membership, unit_id: UUID) -> QuerySet[Unit]:
    """The unit `unit_id` if this member may open it (else nothing), as a subquery for
    one-query reads of things that belong to it."""
    units = Unit.objects.filter(public_id=unit_id)
    limit = _unit_limit(membership)
    return units if limit is None else units.filter(limit)


def access_member_entry(
    *, membership: Membership, unit_id: UUID, candidate_no: int
) -> Entry:
    """One candidate's entry on a unit this member may open, with its unit, candidate,
    mark and the unit's tasks (`entry_tasks`), in one query (a mark save needs no
    more); 404 as `access_unit` would be."""
    entries = Entry.objects.select_related("candidate", "unit", "mark").annotate(
        task_rows=_task_rows("unit")
    )
    limit = _unit_limit(membership, via="unit__")
    if limit is not None:
        entries = entries.filter(limit)
    return get_object_or_404(
        entries,
        centre=membership.centre,
        candidate__number=candidate_no,
        unit__public_id=unit_id,
    )


def _task_rows(unit: str) -> Subquery:
    """The tasks of the outer query's unit (its field `unit`) as JSON objects joined by
    commas (one text column), for `_tasks_from`."""
    return joined_text(
        Task.objects.filter(unit=OuterRef(unit)),
        per="unit",
        item=JSONObject(id="id", number="number", name="name", max_mark="max_mark"),
    )


def _tasks_from(rows: str, unit: Unit) -> list[Task]:
    tasks = [Task(unit=unit, **row) for row in json.loads(f"[{rows}]")]
    # Sorted here: SQLite (the embedded run) cannot order inside an aggregate.
    return sorted(tasks, key=_by_number)


def _by_number(task: Task) -> int:
    return task.number


def entry_tasks(entry: Entry) -> list[Task]:
    """The tasks `access_member_entry` read with the entry, in number order."""
    return _tasks_from(getattr(entry, "task_rows", None) or "", entry.unit)


def access_candidate(*, membership: Membership, candidate_no: int) -> Candidate:
    """A candidate of the centre; for a limited account, one entered for its units."""
    candidates = Candidate.objects.filter(centre=membership.centre)
    limit = _unit_limit(membership)
    if limit is not None:
        allowed = Entry.objects.filter(
            candidate=OuterRef("pk"), unit__in=Unit.objects.filter(limit)
        )
        candidates = candidates.filter(Exists(allowed))
    return get_object_or_404(candidates, number=candidate_no)


def candidate_entries(
    *, membership: Membership, candidate: Candidate
) -> QuerySet[Entry]:
    entries = Entry.objects.filter(centre=membership.centre, candidate=candidate)
    limit = _unit_limit(membership)
    if limit is not None:
        entries = entries.filter(unit__in=Unit.objects.filter(limit))
    return entries.select_related("unit", "unit__series", "mark").order_by(
        "unit__series__name", "unit__code"
    )


SHOW_CHOICES = ("all", "unmarked", "marked", "samples")
SORT_CHOICES = ("number", "name", "mark")
ROWS_CHOICES = ("20", "50", "100", "all")


def sheet_progress(*, centre: Centre, unit: Unit) -> SheetProgress:
    counts = Entry.objects.filter(centre=centre, unit=unit).aggregate(
        entries=Count("pk"),
        complete=Count("pk", filter=Q(mark__is_complete=True)),
        submitted=Count("pk", filter=Q(mark__is_locked=True)),
    )
    return SheetProgress(**counts)


def units_with_progress(*, membership: Membership) -> QuerySet[Unit]:
    """The member's units annotated with done / submitted counts (one query)."""
    entries = sheet_entries_of(membership.centre)
    return units_for_member(membership=membership).annotate(
        complete_count=count_of(entries.filter(mark__is_complete=True), "unit"),
        submitted_count=count_of(entries.filter(mark__is_locked=True), "unit"),
    )


def access_entry(*, centre: Centre, unit: Unit, candidate_no: int) -> Entry:
    return get_object_or_404(
        Entry.objects.select_related("candidate", "unit", "mark"),
        centre=centre,
        unit=unit,
        candidate__number=candidate_no,
    )


def sheet_entries(*, centre: Centre, unit: Unit, numbers: list[int]) -> QuerySet[Entry]:
    """The unit's entries for the candidate numbers a marksheet form posted."""
    return (
        Entry.objects.filter(centre=centre, unit=unit, candidate__number__in=numbers)
        .select_related("candidate", "mark", "unit")
        .order_by("candidate__number")
    )


def mark_history(*, centre: Centre, entries: list[Entry]) -> QuerySet[MarkChange]:
    """Every change to these entries' marks, newest first."""
    return (
        MarkChange.objects.filter(centre=centre, mark__entry__in=entries)
        .select_related("changed_by", "mark__unit")
        .order_by("-changed_at", "-id")
    )


def access_submission(*, centre: Centre, unit: Unit, submission_id: UUID) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("submitted_by"),
        centre=centre,
        unit=unit,
        public_id=submission_id,
    )


def moderator_for(*, centre: Centre, unit: Unit) -> ModeratorAllocation | None:
    return (
        ModeratorAllocation.objects.select_related("moderator")
        .filter(centre=centre, unit=unit)
        .first()
    )


def _change_requests(
    *, centre: Centre, membership: Membership | None
) -> QuerySet[MarkChangeRequest]:
    changes = MarkChangeRequest.objects.filter(centre=centre)
    limit = _unit_limit(membership) if membership is not None else None
    if limit is not None:
        changes = changes.filter(entry__unit__in=Unit.objects.filter(limit))
    return changes.select_related(
        "entry__candidate", "entry__unit__series", "requested_by"
    )


def change_requests_for_member(
    *, membership: Membership
) -> QuerySet[MarkChangeRequest]:
    """The centre's mark change requests, newest first; a User account limited to some
    units sees the requests for those units only."""
    return _change_requests(centre=membership.centre, membership=membership).order_by(
        "-requested_at", "-pk"
    )


def access_change_request(
    *,
    centre: Centre,
    change_request_id: UUID,
    membership: Membership | None = None,
) -> MarkChangeRequest:
    """One mark change request of the centre; given the member, only for their units."""
    return get_object_or_404(
        _change_requests(centre=centre, membership=membership),
        public_id=change_request_id,
    )


def pending_change_request(*, centre: Centre, entry: Entry) -> MarkChangeRequest | None:
    return MarkChangeRequest.objects.filter(
        centre=centre, entry=entry, status=MarkChangeRequest.Status.PENDING
    ).first()
