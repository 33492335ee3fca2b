"""Writes for PDF reports: ask for one (reusing an identical one), render it in the worker.

`render_request` runs in the web request and only reads the report's rows (one query) to
fingerprint them; the rendering itself happens in `render_run`, in a Celery worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from centres.models import Centre
from common.files import pdf_store
from iamis.models import Unit
from moderation.models import ModeratorReport
from moderation.selectors import outcome_view

from . import documents
from .models import ReportRender

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
Kind = ReportRender.Kind


def _fingerprint(*, centre: Centre, unit: Unit, kind: str) -> str:
    if kind == Kind.MODERATOR_REPORT:
        report = ModeratorReport.objects.select_related(
            "centre", "unit__series", "moderator"
        ).get(centre=centre, unit=unit)
        in_force = outcome_view(centre=centre, unit=unit)
        return documents.moderator_report_fingerprint(
            report=report, outcome=in_force.outcome if in_force else None
        )
    return documents.candidate_details_fingerprint(centre=centre, unit=unit)


def render_request(
    *, centre: Centre, unit: Unit, kind: str, acting_user: User, language: str
) -> ReportRender:
    """The render for what the report shows now: an existing one when nothing changed
    (ready, or still being made), otherwise a new one queued for the worker. A failed
    render is queued again."""
    from .tasks import render_pdf

    fingerprint = _fingerprint(centre=centre, unit=unit, kind=kind)
    with transaction.atomic():
        render, created = ReportRender.objects.get_or_create(
            centre=centre,
            unit=unit,
            kind=kind,
            language=language,
            fingerprint=fingerprint,
            defaults={"requested_by": acting_user},
        )
        if not created and render.status == ReportRender.Status.FAILED:
            render.status = ReportRender.Status.PENDING
            render.attempts = 0
            render.save(update_fields=["status", "attempts"])
            created = True
        if created:
            pk = render.pk
            # robust: a broker that is down must not fail the request; the render
            # stays pending and beat's requeue_stuck_renders queues it.
            transaction.on_commit(lambda: render_pdf.delay(pk), robust=True)
    return render


def _html(render: ReportRender) -> str:
    centre, unit = render.centre, render.unit
    context: dict[str, object] = {
        "centre": centre,
        "unit": unit,
        "heading": documents.unit_heading(unit),
        "generated_at": timezone.now(),
    }
    if render.kind == Kind.MODERATOR_REPORT:
        context["report"] = ModeratorReport.objects.select_related("moderator").get(
            centre=centre, unit=unit
        )
        context["outcome_view"] = outcome_view(centre=centre, unit=unit)
        template = "reports/pdf/moderator_report.html"
    else:
        rows = documents.candidate_details(centre=centre, unit=unit)
        context["rows"] = rows
        context["has_amended"] = any(row.amended for row in rows)
        template = "reports/pdf/candidate_details.html"
    return render_to_string(template, context)


def _storage_key(render: ReportRender) -> str:
    return f"reports/{render.centre.number:05d}/{render.public_id}.pdf"


def render_run(*, render_id: int) -> ReportRender:
    """Render the PDF and store it. Idempotent: a ready render is left alone, and a rerun
    after a crash overwrites the same storage key, so there is never a second file."""
    with transaction.atomic():
        render = (
            ReportRender.objects.select_for_update()
            .select_related("centre", "unit__series")
            .get(pk=render_id)
        )
        if render.status == ReportRender.Status.READY:
            return render
        now = timezone.now()
        if render.started_at is not None and now - render.started_at < lease():
            return render  # another worker is rendering it
        render.attempts += 1
        render.started_at = now
        render.save(update_fields=["attempts", "started_at"])
    try:
        with translation.override(render.language):
            html = _html(render)
        stored = pdf_store(html, _storage_key(render))
    except Exception:
        # Give the lease back so the retry can start at once.
        ReportRender.objects.filter(pk=render.pk).update(started_at=None)
        raise
    ReportRender.objects.filter(pk=render.pk).update(
        status=ReportRender.Status.READY,
        storage_key=stored.key,
        size=stored.size,
        pages=stored.pages,
        finished_at=timezone.now(),
        last_error="",
    )
    render.refresh_from_db()
    return render


def render_failed(*, render_id: int, error: str) -> None:
    ReportRender.objects.filter(
        pk=render_id, status=ReportRender.Status.PENDING
    ).update(status=ReportRender.Status.FAILED, last_error=error[:2000])


def lease() -> timedelta:
    """How long a started render is left to its worker: the task's hard time limit."""
    return timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT))


def renders_stuck(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Pending renders whose task was lost, to queue again: never started (lost between
    commit and the broker) for a while, or started longer ago than the lease (a worker
    killed mid-render)."""
    now = timezone.now()
    return list(
        ReportRender.objects.filter(
            Q(started_at__isnull=True, created_at__lt=now - older_than)
            | Q(started_at__lt=now - lease()),
            status=ReportRender.Status.PENDING,
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
