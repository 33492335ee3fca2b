"""Writes for the moderator's report on one centre's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import ModeratorAllocation
from outbox.services import notify

from ..models import ModeratorReport
from .outcomes import outcome_in_force, released, report_outcome

if TYPE_CHECKING:
    from accounts.models import User


def report_read_only(allocation: ModeratorAllocation) -> bool:
    """From results day a published report is the centre's to read, and an approved
    outcome is released: neither changes any more except by a new version."""
    unit = allocation.unit
    if timezone.localdate() < unit.series.results_day:
        return False
    published = ModeratorReport.objects.filter(
        centre=allocation.centre,
        unit=unit,
        status=ModeratorReport.Status.PUBLISHED,
    ).exists()
    return published or released(centre=allocation.centre, unit=unit)


def report_save(
    *,
    allocation: ModeratorAllocation,
    data: dict[str, str],
    publish: bool,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ModeratorReport:
    """Save the report (a draft until published). A published report can still be
    edited until results day; from then the centre reads it as it stands."""
    if report_read_only(allocation):
        raise ValidationError(
            _(
                "Results for this unit are released: the report can no longer be "
                "changed. A correction is a new version of the outcome, approved by "
                "the board."
            )
        )
    with transaction.atomic():
        report, _created = ModeratorReport.objects.select_for_update().get_or_create(
            centre=allocation.centre,
            unit=allocation.unit,
            defaults={"moderator": acting_user},
        )
        for name in (*ModeratorReport.SECTIONS, "outcome"):
            setattr(report, name, (data.get(name) or "").strip())
        in_force = outcome_in_force(centre=allocation.centre, unit=allocation.unit)
        if in_force is not None:
            # The approved outcome says what the outcome is, whatever was typed.
            report.outcome = report_outcome(in_force)
        report.moderator = acting_user
        newly_published = False
        if publish:
            if not report.outcome:
                raise ValidationError(
                    _("Choose the outcome of moderation before publishing.")
                )
            if report.status != ModeratorReport.Status.PUBLISHED:
                report.status = ModeratorReport.Status.PUBLISHED
                report.published_at = timezone.now()
                newly_published = True
        report.full_clean()
        report.save()
        audit_record(
            action=(
                AuditEvent.Action.MODERATOR_REPORT_PUBLISHED
                if publish
                else AuditEvent.Action.MODERATOR_REPORT_SAVED
            ),
            actor=acting_user,
            centre=allocation.centre,
            target=allocation.unit.code,
            request=request,
        )
        if newly_published:
            # Sent now if results day has come; otherwise the daily run sends it then.
            notify("moderator_report", report_id=report.pk)
    return report
