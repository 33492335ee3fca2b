"""Beat tasks for uploads; both idempotent, so running one twice changes nothing."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="uploads.lock_files_past_cutoff")
def lock_files_past_cutoff() -> int:
    return services.files_lock_past_cutoff()


@shared_task(name="uploads.clean_abandoned_uploads")
def clean_abandoned_uploads() -> int:
    return services.uploads_clean_abandoned()
