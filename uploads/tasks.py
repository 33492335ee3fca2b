"""Celery tasks for uploads; all idempotent, so running one twice changes nothing."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from common import scoping

from . import clamd
from .models import EvidenceFile
from .services import files, scans, uploads

# Back-off while the scanner cannot be reached: 10 s, 20 s, 40 s ... at most 10 minutes
# apart; after the last retry the file stays pending and beat queues it again.
SCAN_RETRIES = 6
SCAN_BACKOFF_MAX = 600


@shared_task(name="uploads.lock_files_past_cutoff")
def lock_files_past_cutoff() -> int:
    with scoping.every_centre("uploads.lock_files_past_cutoff"):
        return files.files_lock_past_cutoff()


@shared_task(name="uploads.clean_abandoned_uploads")
def clean_abandoned_uploads() -> int:
    with scoping.every_centre("uploads.clean_abandoned_uploads"):
        return uploads.uploads_clean_abandoned()


@shared_task(
    name="uploads.scan_file", bind=True, acks_late=True, max_retries=SCAN_RETRIES
)
def scan_file(self: Task[Any, Any], evidence_id: int) -> str:
    with scoping.centre_of(EvidenceFile, evidence_id, "uploads.scan_file"):
        try:
            return scans.file_scan(evidence_id=evidence_id)
        except clamd.ScannerUnavailable as error:
            countdown = min(10 * 2**self.request.retries, SCAN_BACKOFF_MAX)
            raise self.retry(exc=error, countdown=countdown) from error


@shared_task(name="uploads.requeue_pending_scans")
def requeue_pending_scans() -> int:
    with scoping.every_centre("uploads.requeue_pending_scans"):
        return scans.files_requeue_pending_scans()
