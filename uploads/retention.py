"""Removing evidence files once their series is past the retention period."""

from __future__ import annotations

from datetime import date

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet

from common.db_rules import RETENTION, declare

from . import storage
from .models import EvidenceFile, UploadSession


def evidence_due(*, results_on_or_before: date) -> QuerySet[EvidenceFile]:
    return EvidenceFile.objects.filter(
        unit__series__results_day__lte=results_on_or_before
    )


def evidence_past_retention(*, results_on_or_before: date) -> int:
    """Delete the stored bytes and the rows of every evidence file (deleted ones too) and
    upload session of units whose series' results day is on or before the date.

    Each file goes in its own transaction, bytes first: a crash in between leaves a row
    whose bytes are gone, which the next run removes (deleting a missing key is a no-op),
    never bytes that no row points at. Returns the number of files removed.
    """
    # Sessions first: a finished session points at its file (protected).
    sessions = UploadSession.objects.filter(
        unit__series__results_day__lte=results_on_or_before
    ).values_list("pk", "parts_prefix")
    for pk, prefix in sessions.iterator(chunk_size=500):
        storage.delete_prefix(prefix)
        UploadSession.objects.filter(pk=pk).delete()
    due = evidence_due(results_on_or_before=results_on_or_before).values_list(
        "pk", "storage_key"
    )
    removed = 0
    for pk, key in due.iterator(chunk_size=500):
        default_storage.delete(key)
        with transaction.atomic():
            declare(RETENTION, "on")
            removed += EvidenceFile.objects.filter(pk=pk).delete()[0]
    return removed
