"""Celery tasks for PDF reports. Idempotent: running one twice leaves one PDF."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from common import scoping

from . import services
from .models import ReportRender


@shared_task(
    name="reports.render_pdf",
    bind=True,
    acks_late=True,
    max_retries=services.MAX_ATTEMPTS,
)
def render_pdf(self: Task[Any, Any], render_id: int) -> str:
    with scoping.centre_of(ReportRender, render_id, "reports.render_pdf"):
        try:
            render = services.render_run(render_id=render_id)
        except Exception as error:
            if self.request.retries >= services.MAX_ATTEMPTS - 1:
                services.render_failed(render_id=render_id, error=repr(error))
                raise
            raise self.retry(exc=error, countdown=2**self.request.retries) from error
        return render.status


@shared_task(name="reports.requeue_stuck_renders")
def requeue_stuck_renders() -> int:
    """Beat: a render still pending long after it was asked for lost its task."""
    with scoping.every_centre("reports.requeue_stuck_renders"):
        stuck = services.renders_stuck()
    for pk in stuck:
        render_pdf.delay(pk)
    return len(stuck)
