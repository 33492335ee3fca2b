"""Reads about a centre's change-of-exams-officer requests."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from centres.models import Centre

from .models import ExamsOfficerChange


def recent_eo_changes(*, centre: Centre, limit: int) -> QuerySet[ExamsOfficerChange]:
    return ExamsOfficerChange.objects.filter(centre=centre).order_by("-created_at")[
        :limit
    ]


def eo_change_by_reference(*, change_id: UUID) -> ExamsOfficerChange:
    """A request found by its unguessable reference alone: the public status page is
    for whoever sent it, signed in or not, and shows no more than its status."""
    return get_object_or_404(ExamsOfficerChange, public_id=change_id)
