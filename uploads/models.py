"""Evidence files: candidates' work, group/admin uploads and the explanatory note, uploaded
in chunks through `UploadSession` (see uploads/services/uploads.py for the protocol and
uploads/services/rules.py for the rules).

Files are soft-deleted so the audit trail keeps its subject; the stored object is removed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.scoping import CentreScopedManager


class Kind(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate's work")
    GROUP = "group", _("Group/admin upload")
    NOTE = "note", _("Explanatory note to the moderator")


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("Being checked for viruses")
    CLEAN = "clean", _("No virus found")
    INFECTED = "infected", _("A virus was found")
    ERROR = "error", _("Could not be checked for viruses")


class EvidenceFile(models.Model):
    Kind = Kind
    ScanStatus = ScanStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    # Null for group/admin files and the explanatory note: they belong to the unit.
    entry = models.ForeignKey(
        "iamis.Entry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_files",
    )
    kind = models.CharField(max_length=10, choices=Kind)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    # Empty only while a worker computes it: a file uploaded straight to object storage
    # (uploads/direct.py) is hashed by its scan task before it is scanned.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # Made by the server (evidence/<centre>/<unit>/<uuid>); never the uploader's name.
    storage_key = models.CharField(max_length=300, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set by the beat task once the unit's deletion cutoff has passed.
    locked_at = models.DateTimeField(null=True, blank=True)
    # The virus scan (uploads/services/scans.py): nobody outside the centre downloads a
    # file until it is clean. Files from before scanning began were marked clean
    # unscanned (migration 0005 says so in scan_detail).
    scan_status = models.CharField(
        _("virus check"), max_length=10, choices=ScanStatus, default=ScanStatus.PENDING
    )
    # The signature found, or why the scan could not finish.
    scan_detail = models.CharField(max_length=255, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    # When a scan was last queued; beat queues a pending file again when this is old.
    scan_queued_at = models.DateTimeField(null=True, blank=True)
    # Scans begun and not finished (a worker killed mid-scan): counted so such a file
    # is given up on instead of being redelivered forever.
    scan_attempts = models.PositiveSmallIntegerField(default=0)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        indexes = [
            models.Index(fields=["centre", "unit"], name="evidence_centre_unit"),
            models.Index(
                fields=["unit", "centre"],
                condition=Q(locked_at__isnull=True, deleted_at__isnull=True),
                name="evidence_unlocked",
            ),
            models.Index(
                fields=["scan_queued_at"],
                condition=Q(scan_status="pending"),
                name="evidence_scan_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="candidate", entry__isnull=False)
                | (~Q(kind="candidate") & Q(entry__isnull=True)),
                name="evidence_entry_only_for_candidate_files",
            ),
            # A pending file has no verdict time yet; a virus found is named.
            models.CheckConstraint(
                condition=~Q(scan_status="pending") | Q(scanned_at__isnull=True),
                name="evidence_pending_scan_has_no_time",
            ),
            models.CheckConstraint(
                condition=~Q(scan_status="infected") | ~Q(scan_detail=""),
                name="evidence_infected_names_its_signature",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.kind}, {self.size} bytes)"

    @property
    def is_clean(self) -> bool:
        return self.scan_status == ScanStatus.CLEAN

    @property
    def is_infected(self) -> bool:
        return self.scan_status == ScanStatus.INFECTED


class UploadSession(models.Model):
    """One file on its way in: chunks arrive in order at the offset `received`."""

    class Status(models.TextChoices):
        OPEN = "open", _("Uploading")
        COMPLETE = "complete", _("Complete")
        ABANDONED = "abandoned", _("Abandoned")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(
        "iamis.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind)
    declared_name = models.CharField(max_length=255)
    declared_size = models.PositiveBigIntegerField()
    received = models.PositiveBigIntegerField(default=0)
    # The size of the last chunk accepted: a re-send of it is accepted and ignored.
    last_chunk_size = models.PositiveBigIntegerField(default=0)
    # Object storage: [[storage key, size], ...] in order. On the filesystem it stays
    # empty: the chunks grow one file under `parts_prefix` (storage.upload_file_key).
    parts = models.JSONField(default=list, blank=True)
    # Filesystem uploads: the SHA-256 state after `received` bytes (resumable_sha256), so
    # completing needs no second read. Empty when it could not be carried (then the
    # file is read once at completion).
    hash_state = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    # Direct uploads (object storage, uploads/direct.py): the browser sends the parts
    # of this S3 multipart upload straight to the store, to land under `object_key`.
    # Empty for uploads whose chunks come through the web process.
    multipart_id = models.CharField(max_length=1024, blank=True)
    object_key = models.CharField(max_length=300, blank=True)
    parts_prefix = models.CharField(max_length=200)
    parts_removed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    evidence_file = models.OneToOneField(
        EvidenceFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=Q(parts_removed_at__isnull=True),
                name="upload_parts_to_clean",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(received__lte=models.F("declared_size")),
                name="upload_received_within_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declared_name}: {self.received}/{self.declared_size}"

    @property
    def chunk_index(self) -> int:
        return len(self.parts)

    @property
    def is_direct(self) -> bool:
        return bool(self.multipart_id)
