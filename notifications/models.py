"""What the portal has e-mailed: one row per (notification, recipient), so a task that is
run again (a retry, a crash, a redelivered message) never sends the same e-mail twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SentNotification(models.Model):
    class Kind(models.TextChoices):
        INVITE = "invite", _("Invite")
        SUBMISSION_RECEIPT = "submission_receipt", _("Submission receipt")
        SAMPLE_READY = "sample_ready", _("Sample ready")
        FURTHER_SAMPLE = "further_sample", _("Further sample requested")
        CLERICAL_CORRECTION = "clerical_correction", _("Clerical correction made")
        MODERATOR_REPORT = "moderator_report", _("Moderator report available")
        DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
        PASSWORD_RESET = "password_reset", _("Password reset link")
        CHANGE_REQUEST_RECEIPT = (
            "change_request_receipt",
            _("Mark change request receipt"),
        )
        CHANGE_REQUEST_DECIDED = (
            "change_request_decided",
            _("Mark change request decided"),
        )
        EO_CHANGE_RECEIPT = "eo_change_receipt", _("Change of exams officer receipt")
        EO_CHANGE_CONFIRMED = (
            "eo_change_confirmed",
            _("Change of exams officer confirmed"),
        )
        OUTCOME_RETURNED = "outcome_returned", _("Moderation outcome sent back")
        OUTCOME_CORRECTED = (
            "outcome_corrected",
            _("Released moderation outcome corrected"),
        )

    # "<kind>:<what it is about>:<address>", e.g. "sample_ready:sample-12:eo@x.example".
    key = models.CharField(max_length=400, unique=True)
    kind = models.CharField(_("notification"), max_length=30, choices=Kind)
    # What the notification is about, e.g. "sample-12"; with the kind, one event.
    about = models.CharField(max_length=120)
    address = models.EmailField(_("sent to"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=2)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("sent notification")
        verbose_name_plural = _("sent notifications")
        indexes = [models.Index(fields=["kind", "about"], name="notification_event")]

    def __str__(self) -> str:
        return self.key
