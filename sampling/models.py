"""Moderation samples: the chosen candidates and why (see shared SAMPLING.md).

A sheet's sample is made once, when its marks are first submitted, and is never silently
made again: a review of moderation needs the original. Centres add members; moderators ask
for more; lost work is replaced by a substitute while the original stays, marked unavailable.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.scoping import CentreScopedManager


class Sample(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Generating sample...")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be generated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "iamis.Unit", on_delete=models.PROTECT, related_name="samples"
    )
    submission = models.ForeignKey(
        "iamis.Submission", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    # Counted in the database: a task that keeps dying is not retried for ever.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The parameters used (size table, anchors, grade scale), for a later review.
    rules = models.JSONField(default=dict, blank=True)

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit"], name="one_sample_per_sheet"
            ),
        ]

    def __str__(self) -> str:
        return f"Sample {self.unit_id} at {self.centre_id}: {self.status}"


class SampleMember(models.Model):
    class Origin(models.TextChoices):
        SYSTEM = "system", _("Chosen by the system")
        CENTRE = "centre", _("Added by the centre")
        MODERATOR = "moderator", _("Requested by the moderator")
        SUBSTITUTE = "substitute", _("Replaces unavailable work")

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="members")
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "iamis.Entry", on_delete=models.PROTECT, related_name="sample_members"
    )
    origin = models.CharField(max_length=12, choices=Origin)
    # Reason codes from sampling.algorithm.Reason (a member may have several).
    reasons = models.JSONField(default=list, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    # The teacher whose marking a TEACHER reason covers.
    teacher = models.CharField(max_length=4, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    work_unavailable = models.BooleanField(default=False)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CentreScopedManager()

    class Meta:
        ordering = ["sample", "rank", "entry__candidate__number"]
        verbose_name = _("sample member")
        verbose_name_plural = _("sample members")
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "entry"], name="member_once_per_sample"
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "sample"], name="member_centre_sample")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} in {self.sample_id} ({self.origin})"
