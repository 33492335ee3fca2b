"""Removing stored report PDFs (they list candidates' names) after the retention period."""

from __future__ import annotations

from datetime import date

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from .models import ReportRender


def renders_due(*, results_on_or_before: date) -> QuerySet[ReportRender]:
    return ReportRender.objects.filter(
        unit__series__results_day__lte=results_on_or_before
    )


def renders_past_retention(*, results_on_or_before: date) -> int:
    """Delete the PDFs and rows of renders for units whose series' results day is on or
    before the date; bytes first, so a rerun finishes what a crash left."""
    due = renders_due(results_on_or_before=results_on_or_before).values_list(
        "pk", "storage_key"
    )
    removed = 0
    for pk, key in due.iterator(chunk_size=500):
        if key:
            default_storage.delete(key)
        removed += ReportRender.objects.filter(pk=pk).delete()[0]
    return removed
