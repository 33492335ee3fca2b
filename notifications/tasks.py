"""Celery tasks: one per notification, each a single call into `notifications.emails`.

Domain services record what happened in the outbox (outbox.services.notify), in the
transaction of the change; `NotificationsConfig.ready` registers these tasks as the
outbox's handlers, so nothing is sent for a change that is rolled back and nothing is
lost when Redis is away at commit. Retries cover a mail server or database that is
briefly away; `SentNotification` makes a rerun send nothing twice, so late acks,
redelivery and a message handed over twice are safe.
"""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import Invite
from common import scoping
from iamis.models import MarkChangeRequest, Submission
from moderation.models import (
    ClericalCorrection,
    ModerationOutcome,
    ModeratorReport,
)
from portal.models import ExamsOfficerChange
from sampling.models import Sample

from . import emails

RETRY: dict[str, Any] = {
    "autoretry_for": (DatabaseError, SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="notifications.invite", **RETRY)
@sensitive_variables()
def invite(invite_id: int, link: str) -> int:
    with scoping.centre_of(Invite, invite_id, "notifications.invite"):
        return emails.invite(invite_id=invite_id, link=link)


@shared_task(name="notifications.submission_receipt", **RETRY)
def submission_receipt(submission_id: int) -> int:
    with scoping.centre_of(Submission, submission_id, "notifications.receipt"):
        return emails.submission_receipt(submission_id=submission_id)


@shared_task(name="notifications.sample_ready", **RETRY)
def sample_ready(sample_id: int) -> int:
    with scoping.centre_of(Sample, sample_id, "notifications.sample_ready"):
        return emails.sample_ready(sample_id=sample_id)


@shared_task(name="notifications.further_sample", **RETRY)
def further_sample(sample_id: int, member_ids: list[int]) -> int:
    with scoping.centre_of(Sample, sample_id, "notifications.further_sample"):
        return emails.further_sample(sample_id=sample_id, member_ids=member_ids)


@shared_task(name="notifications.clerical_correction", **RETRY)
def clerical_correction(correction_id: int) -> int:
    with scoping.centre_of(
        ClericalCorrection, correction_id, "notifications.clerical_correction"
    ):
        return emails.clerical_correction(correction_id=correction_id)


@shared_task(name="notifications.moderator_report", **RETRY)
def moderator_report(report_id: int) -> int:
    with scoping.centre_of(ModeratorReport, report_id, "notifications.report"):
        return emails.moderator_report(report_id=report_id)


@shared_task(name="notifications.outcome_returned", **RETRY)
def outcome_returned(outcome_id: int) -> int:
    with scoping.centre_of(ModerationOutcome, outcome_id, "notifications.outcome"):
        return emails.outcome_returned(outcome_id=outcome_id)


@shared_task(name="notifications.outcome_corrected", **RETRY)
def outcome_corrected(outcome_id: int) -> int:
    with scoping.centre_of(ModerationOutcome, outcome_id, "notifications.outcome"):
        return emails.outcome_corrected(outcome_id=outcome_id)


@shared_task(name="notifications.deadline_reminder", **RETRY)
def deadline_reminder(centre_id: int, unit_id: int, days: int) -> int:
    with scoping.centres("notifications.deadline_reminder", centre_id):
        return emails.deadline_reminder(centre_id=centre_id, unit_id=unit_id, days=days)


@shared_task(name="notifications.password_reset", **RETRY)
@sensitive_variables()
def password_reset(reset_id: str, email: str, site: str) -> int:
    # Accounts belong to no centre: nothing centre-owned is read.
    return emails.password_reset(reset_id=reset_id, email=email, site=site)


@shared_task(name="notifications.change_request_receipt", **RETRY)
def change_request_receipt(change_request_id: int) -> int:
    with scoping.centre_of(
        MarkChangeRequest, change_request_id, "notifications.change_request_receipt"
    ):
        return emails.change_request_receipt(change_request_id=change_request_id)


@shared_task(name="notifications.change_request_decided", **RETRY)
def change_request_decided(change_request_id: int, link: str) -> int:
    with scoping.centre_of(
        MarkChangeRequest, change_request_id, "notifications.change_request_decided"
    ):
        return emails.change_request_decided(
            change_request_id=change_request_id, link=link
        )


@shared_task(name="notifications.eo_change_receipt", **RETRY)
def eo_change_receipt(change_id: int, language: str = "en") -> int:
    with scoping.centre_of(
        ExamsOfficerChange, change_id, "notifications.eo_change_receipt"
    ):
        return emails.eo_change_receipt(change_id=change_id, language=language)


@shared_task(name="notifications.eo_change_confirmed", **RETRY)
def eo_change_confirmed(
    change_id: int, previous_exams_officer: str, invited: bool
) -> int:
    with scoping.centre_of(
        ExamsOfficerChange, change_id, "notifications.eo_change_confirmed"
    ):
        return emails.eo_change_confirmed(
            change_id=change_id,
            previous_exams_officer=previous_exams_officer,
            invited=invited,
        )


@shared_task(name="notifications.send_due")
def send_due() -> int:
    """Beat, daily: queue the deadline reminders due today and announce the moderator
    reports whose results day has come. Each queued task sends at most once, so a run
    repeated the same day sends nothing new."""
    today = timezone.localdate()
    with scoping.every_centre("notifications.send_due"):
        reminders = list(emails.due_reminders(today=today))
        reports = list(emails.due_reports(today=today))
    for centre_id, unit_id, days in reminders:
        deadline_reminder.delay(centre_id, unit_id, days)
    for report_id in reports:
        moderator_report.delay(report_id)
    return len(reminders) + len(reports)
