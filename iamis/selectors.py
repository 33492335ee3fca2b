"""Scoped reads for IAMIS. Every function takes the centre and filters by it in the query.

The `access_*` helpers load one object named in a URL; another centre's object is the same
404 as a missing one.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Candidate, Centre, Entry, Unit


def units_for_centre(*, centre: Centre) -> QuerySet[Unit]:
    """Units with at least one processed entry at the centre, with the entry count."""
    has_entries = Entry.objects.filter(centre=centre, unit=OuterRef("pk"))
    return (
        Unit.objects.filter(Exists(has_entries))
        .select_related("series", "series__qualification")
        .annotate(entry_count=Count("entries", filter=Q(entries__centre=centre)))
        .order_by("series__name", "code")
    )


def access_unit(*, centre: Centre, unit_id: UUID) -> Unit:
    return get_object_or_404(units_for_centre(centre=centre), public_id=unit_id)


def access_candidate(*, centre: Centre, candidate_no: int) -> Candidate:
    return get_object_or_404(Candidate, centre=centre, number=candidate_no)


def unit_entries(*, centre: Centre, unit: Unit) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(centre=centre, unit=unit)
        .select_related("candidate")
        .order_by("candidate__number")
    )


def candidate_entries(*, centre: Centre, candidate: Candidate) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(centre=centre, candidate=candidate)
        .select_related("unit", "unit__series")
        .order_by("unit__series__name", "unit__code")
    )
