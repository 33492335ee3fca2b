"""Requests centres make of the board: change of exams officer."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExamsOfficerChange(models.Model):
    """A change of exams officer, raised in Portal (with access) or by the public form.

    Board staff run a security check, then confirm (the new exams officer is invited) or
    reject. Whoever asked can see the status.
    """

    class Source(models.TextChoices):
        PORTAL = "portal", _("Manage Centre (with Portal access)")
        PUBLIC_FORM = "public_form", _("Public form (without Portal access)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received: awaiting the board's security check")
        CHECKED = "checked", _("Security check passed: awaiting confirmation")
        CONFIRMED = (
            "confirmed",
            _("Confirmed: an invite has been sent to the new exams officer"),
        )
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=20, choices=Source)
    status = models.CharField(max_length=20, choices=Status, default=Status.RECEIVED)
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exams_officer_changes",
        help_text=_(
            "Known for Portal requests; matched by board staff for the public form."
        ),
    )
    centre_number = models.PositiveIntegerField(_("centre number"))
    centre_name = models.CharField(_("centre name"), max_length=200)
    new_name = models.CharField(_("new exams officer name"), max_length=200)
    new_email = models.EmailField(_("new exams officer e-mail address"))
    sender_name = models.CharField(_("your name"), max_length=200, blank=True)
    sender_role = models.CharField(_("your role"), max_length=200, blank=True)
    sender_email = models.EmailField(_("your e-mail address"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    board_note = models.TextField(_("note from the board"), blank=True)
    # The language the request was made in: the new exams officer's invite is written
    # in it.
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=[("en", _("English")), ("cy", _("Cymraeg"))],
        default="en",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("change of exams officer")
        verbose_name_plural = _("changes of exams officer")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="eo_change_queue")
        ]

    def __str__(self) -> str:
        return f"{self.centre_number:05d} {self.centre_name}: {self.new_name}"


class RetentionRun(models.Model):
    """One run of the retention schedule: the log of what was removed, and when."""

    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    today = models.DateField(_("run as of"))
    evidence_results_before = models.DateField(
        _("evidence and PDFs of series with results on or before")
    )
    candidate_results_before = models.DateField(
        _("candidates whose every series had results on or before")
    )
    files_removed = models.PositiveIntegerField(_("evidence files removed"), default=0)
    pdfs_removed = models.PositiveIntegerField(_("report PDFs removed"), default=0)
    candidates_erased = models.PositiveIntegerField(_("candidates erased"), default=0)
    triggered_by = models.CharField(_("triggered by"), max_length=40)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"{self.today:%Y-%m-%d} ({self.triggered_by})"
