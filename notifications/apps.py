from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Outbox kinds (outbox.services.notify) and the task that sends each.
HANDLED_KINDS = (
    "invite",
    "password_reset",
    "submission_receipt",
    "sample_ready",
    "further_sample",
    "clerical_correction",
    "moderator_report",
    "change_request_receipt",
    "change_request_decided",
    "eo_change_receipt",
    "eo_change_confirmed",
    "outcome_returned",
    "outcome_corrected",
)


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from outbox import handlers

        from . import tasks

        for kind in HANDLED_KINDS:
            handlers.register(kind, getattr(tasks, kind))
