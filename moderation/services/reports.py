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

if TYPE_CHECKING:
    from accounts.models import User


def report_save(
    *,
    allocation: ModeratorAllocation,
    data: dict[str, str],
    publish: bool,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ModeratorReport:
    """Save the report (a draft until published). A published report can still be
    edited; the centre sees the current text from results day."""
    with transaction.atomic():
        report, _created = ModeratorReport.objects.select_for_update().get_or_create(
            centre=allocation.centre,
            unit=allocation.unit,
            defaults={"moderator": acting_user},
        )
        for name in (*ModeratorReport.SECTIONS, "outcome"):
            setattr(report, name, (data.get(name) or "").strip())
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
