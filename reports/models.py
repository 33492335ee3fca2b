"""PDF reports rendered by WeasyPrint in a Celery worker.

A render is keyed on what it shows (its fingerprint) and its language, so asking twice
while the marks are unchanged reuses the same PDF, and a task run twice makes one file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.scoping import CentreScopedManager


class ReportRender(models.Model):
    class Kind(models.TextChoices):
        CANDIDATE_DETAILS = "candidate_details", _("Candidate details report")
        MODERATOR_REPORT = "moderator_report", _("Moderator's report")

    class Status(models.TextChoices):
        PENDING = "pending", _("Preparing the PDF...")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be made")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind)
    language = models.CharField(max_length=8)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    storage_key = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A worker's lease: set when a render starts, so a re-queued task does not render
    # the same PDF alongside one still running.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("PDF report")
        verbose_name_plural = _("PDF reports")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit", "kind", "language", "fingerprint"],
                name="one_render_per_content",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="render_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_id} at {self.centre_id}: {self.status}"

    @property
    def file_name(self) -> str:
        kind = (
            "moderator-report"
            if self.kind == self.Kind.MODERATOR_REPORT
            else "candidate-details"
        )
        code = self.unit.code.replace("/", "-")
        return f"{kind}-{self.centre.display_number}-{code}.pdf"
