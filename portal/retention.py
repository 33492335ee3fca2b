"""The retention schedule (docs/operations.md, "Retention"): what is removed when, and the run log.

Each app removes its own data (`uploads.retention`, `reports.retention`,
`iamis.retention`); this module works out the dates from the settings and records each
run in `RetentionRun`. Every step is safe to repeat, so a crashed run is simply run again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from iamis.retention import candidates_due, candidates_past_retention
from reports.retention import renders_due, renders_past_retention
from uploads.retention import evidence_due, evidence_past_retention

from .models import RetentionRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionDates:
    evidence_results_before: date
    candidate_results_before: date


def retention_dates(today: date) -> RetentionDates:
    return RetentionDates(
        evidence_results_before=today
        - timedelta(days=int(settings.RETENTION_EVIDENCE_DAYS)),
        candidate_results_before=today
        - timedelta(days=int(settings.RETENTION_CANDIDATE_DAYS)),
    )


@dataclass(frozen=True)
class RetentionDue:
    dates: RetentionDates
    files: int
    pdfs: int
    candidates: int


def retention_due(today: date) -> RetentionDue:
    """What a run on `today` would remove, without removing anything."""
    dates = retention_dates(today)
    return RetentionDue(
        dates=dates,
        files=evidence_due(results_on_or_before=dates.evidence_results_before).count(),
        pdfs=renders_due(results_on_or_before=dates.evidence_results_before).count(),
        candidates=candidates_due(
            results_on_or_before=dates.candidate_results_before
        ).count(),
    )


def retention_apply(*, today: date | None = None, triggered_by: str) -> RetentionRun:
    today = today or timezone.localdate()
    dates = retention_dates(today)
    run = RetentionRun.objects.create(
        today=today,
        evidence_results_before=dates.evidence_results_before,
        candidate_results_before=dates.candidate_results_before,
        triggered_by=triggered_by,
    )
    logger.info(
        "retention run %s started: evidence of series with results on or before %s, "
        "candidates on or before %s",
        run.pk,
        dates.evidence_results_before,
        dates.candidate_results_before,
    )
    run.files_removed = evidence_past_retention(
        results_on_or_before=dates.evidence_results_before
    )
    run.pdfs_removed = renders_past_retention(
        results_on_or_before=dates.evidence_results_before
    )
    run.candidates_erased = candidates_past_retention(
        results_on_or_before=dates.candidate_results_before
    )
    run.finished_at = timezone.now()
    run.save(
        update_fields=[
            "files_removed",
            "pdfs_removed",
            "candidates_erased",
            "finished_at",
        ]
    )
    logger.info(
        "retention run %s finished: %s evidence files, %s report PDFs removed; "
        "%s candidates erased",
        run.pk,
        run.files_removed,
        run.pdfs_removed,
        run.candidates_erased,
    )
    return run
