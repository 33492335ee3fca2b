"""Scoped reads for PDF renders: always by the centre and unit the caller may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from centres.models import Centre
from iamis.models import Unit

from .models import ReportRender


def access_render(
    *, centre: Centre, units: QuerySet[Unit], render_id: UUID
) -> ReportRender:
    """One render of the centre, for a unit in `units` (the member's or the moderator's
    allocated unit); anything else is the same 404 as a missing one."""
    return get_object_or_404(
        ReportRender.objects.select_related("centre", "unit__series"),
        centre=centre,
        unit__in=units,
        public_id=render_id,
    )
