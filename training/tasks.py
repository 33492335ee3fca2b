"""Celery tasks for training: certificate PDFs and the yearly archive (both idempotent)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from common import scoping

from . import services
from .models import Certificate

MAX_ATTEMPTS = 3


@shared_task(name="training.render_certificate", bind=True, acks_late=True)
def render_certificate(self: Task[Any, Any], certificate_id: int) -> str:
    with scoping.centre_of(Certificate, certificate_id, "training.render_certificate"):
        try:
            return services.certificate_render(certificate_id=certificate_id).status
        except Exception as error:
            if self.request.retries >= MAX_ATTEMPTS - 1:
                services.certificate_failed(certificate_id=certificate_id)
                raise
            raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="training.archive_years")
def archive_years() -> int:
    with scoping.every_centre("training.archive_years"):
        return services.years_archive()
