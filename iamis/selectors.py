"""Scoped reads for IAMIS. Every function takes the centre and filters by it in the query.

The `access_*` helpers load one object named in a URL; another centre's object is the same
404 as a missing one. Centre members reach IAMIS through `units_for_member`: a User account
may be limited to chosen qualifications and units (Manage access), and a unit outside the
limit is the same 404 as another centre's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Candidate, Centre, Entry, Unit

if TYPE_CHECKING:
    from accounts.models import Membership


def units_for_centre(*, centre: Centre) -> QuerySet[Unit]:
    """Units with at least one processed entry at the centre, with the entry count."""
    has_entries = Entry.objects.filter(centre=centre, unit=OuterRef("pk"))
    return (
        Unit.objects.filter(Exists(has_entries))
        .select_related("series", "series__qualification")
        .annotate(entry_count=Count("entries", filter=Q(entries__centre=centre)))
        .order_by("series__name", "code")
    )


def _unit_limit(membership: Membership) -> Q | None:
    """Which units a member may open, as a filter on Unit; None when never limited.

    Exams officers and Admin accounts are never limited. A User account limited to some
    qualifications and units gets the union of both; with nothing chosen it gets every
    unit. The limit is read in SQL, so applying it adds no query.
    """
    if membership.is_centre_admin:
        return None
    from accounts.models import Membership

    chosen_units = Membership.iamis_units.through.objects.filter(
        membership_id=membership.pk
    )
    chosen_qualifications = Membership.iamis_qualifications.through.objects.filter(
        membership_id=membership.pk
    )
    return (
        (~Exists(chosen_units) & ~Exists(chosen_qualifications))
        | Exists(chosen_units.filter(unit_id=OuterRef("pk")))
        | Exists(
            chosen_qualifications.filter(
                qualification_id=OuterRef("series__qualification_id")
            )
        )
    )


def units_for_member(*, membership: Membership) -> QuerySet[Unit]:
    """The centre's units (as `units_for_centre`) that this member may open in IAMIS."""
    units = units_for_centre(centre=membership.centre)
    limit = _unit_limit(membership)
    return units if limit is None else units.filter(limit)


def access_unit(*, membership: Membership, unit_id: UUID) -> Unit:
    return get_object_or_404(units_for_member(membership=membership), public_id=unit_id)


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


def unit_entries(*, centre: Centre, unit: Unit) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(centre=centre, unit=unit)
        .select_related("candidate")
        .order_by("candidate__number")
    )


def candidate_entries(
    *, membership: Membership, candidate: Candidate
) -> QuerySet[Entry]:
    entries = Entry.objects.filter(centre=membership.centre, candidate=candidate)
    limit = _unit_limit(membership)
    if limit is not None:
        entries = entries.filter(unit__in=Unit.objects.filter(limit))
    return entries.select_related("unit", "unit__series").order_by(
        "unit__series__name", "unit__code"
    )
