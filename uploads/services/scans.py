"""Writes for the virus scan of evidence files (uploads.py beside this module keeps the
upload protocol, files.py records the files; uploads/clamd.py talks to the scanner).

Every file recorded by `files.file_record` is queued for a scan when its transaction
commits. A file uploaded straight to object storage (uploads/direct.py) arrives without
its SHA-256: the scan task first reads the stored object once to compute it and records
it (the receipt then shows it), and then scans. The scan reads the stored bytes in
blocks and records one verdict: clean, infected (with the signature) or error (with the
reason), with an audit event. Until a file is clean nobody outside its centre can
download it (`download_refusal` in uploads/selectors.py); the centre cannot download it
either once a virus is found.

Idempotent: a file with a verdict is left alone, so a task run twice changes nothing.
A scanner that cannot be reached leaves the file pending (the task retries with
back-off, then `files_requeue_pending_scans` queues it again). A scan begun and never
finished (a worker killed mid-scan) counts as an attempt; after MAX_ATTEMPTS of those
the file gets an error verdict instead of being redelivered forever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

from .. import clamd, storage
from ..models import EvidenceFile, ScanStatus
from .files import audit_target

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def file_scan_queue(evidence_id: int) -> None:
    """Send the file to the scan task; call it from `transaction.on_commit`."""
    from ..tasks import scan_file

    scan_file.delay(evidence_id)


def file_scan(*, evidence_id: int) -> str:
    """Scan one stored file and record the verdict; returns the file's scan status.
    Raises `clamd.ScannerUnavailable` (nothing recorded) when the scanner cannot be
    reached."""
    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return "missing"
    if evidence.scan_status != ScanStatus.PENDING or evidence.deleted_at is not None:
        return evidence.scan_status
    # Committed before the scan, so a worker killed mid-scan leaves the count behind.
    EvidenceFile.objects.filter(pk=evidence_id).update(
        scan_attempts=F("scan_attempts") + 1
    )
    if evidence.scan_attempts + 1 > MAX_ATTEMPTS:
        verdict = clamd.Verdict.error(
            f"the scan did not finish in {MAX_ATTEMPTS} attempts"
        )
    else:
        try:
            hash_problem = _hash_stored(evidence) if not evidence.sha256 else None
            verdict = hash_problem or _scan_stored(evidence.storage_key)
        except clamd.ScannerUnavailable:
            # Not the file's fault: this try does not count.
            EvidenceFile.objects.filter(pk=evidence_id).update(
                scan_attempts=F("scan_attempts") - 1
            )
            raise
    return _record_verdict(evidence_id, verdict)


def _hash_stored(evidence: EvidenceFile) -> clamd.Verdict | None:
    """Record the SHA-256 of a file that arrived without one; an error verdict when the
    stored object is missing or not the size recorded at completion."""
    try:
        size, sha256 = storage.hash_stored(evidence.storage_key)
    except FileNotFoundError:
        return clamd.Verdict.error("the stored file is missing")
    if size != evidence.size:
        return clamd.Verdict.error(
            f"the stored file has {size} bytes, {evidence.size} were uploaded"
        )
    # Only where none is recorded yet: a second run of the task changes nothing.
    EvidenceFile.objects.filter(pk=evidence.pk, sha256="").update(sha256=sha256)
    evidence.sha256 = sha256
    return None


def _scan_stored(key: str) -> clamd.Verdict:
    try:
        stored = storage.BlockReader(key)
    except FileNotFoundError:
        return clamd.Verdict.error("the stored file is missing")
    try:
        return clamd.scan(stored)
    finally:
        stored.close()


def _record_verdict(evidence_id: int, verdict: clamd.Verdict) -> str:
    with transaction.atomic():
        evidence = (
            EvidenceFile.objects.select_for_update(of=("self",))
            .select_related("unit", "centre", "entry__candidate")
            .get(pk=evidence_id)
        )
        if evidence.scan_status != ScanStatus.PENDING:
            return evidence.scan_status  # another run got there first
        evidence.scan_status = verdict.status
        evidence.scan_detail = verdict.detail
        evidence.scanned_at = timezone.now()
        evidence.full_clean()
        evidence.save(update_fields=["scan_status", "scan_detail", "scanned_at"])
        audit_record(
            action=AuditEvent.Action.FILE_SCANNED,
            centre=evidence.centre,
            target=audit_target(
                evidence.unit, evidence.kind, evidence.entry, evidence.original_name
            ),
            file=str(evidence.public_id),
            sha256=evidence.sha256,
            verdict=verdict.status,
            detail=verdict.detail,
            scanner=str(settings.UPLOAD_SCANNER),
        )
    if verdict.status != ScanStatus.CLEAN:
        logger.warning(
            "evidence file %s: scan %s (%s)",
            evidence.public_id,
            verdict.status,
            verdict.detail,
        )
    return verdict.status


def files_requeue_pending_scans(*, now: datetime | None = None) -> int:
    """Queue again the files still pending UPLOAD_SCAN_STUCK_MINUTES after their scan
    was last queued (the task was lost, or the scanner was down for longer than its
    retries). Fresh ones are left to their task."""
    now = now or timezone.now()
    stuck_before = now - timedelta(minutes=int(settings.UPLOAD_SCAN_STUCK_MINUTES))
    # A row made without the upload protocol has never been queued: its upload time
    # stands in.
    due = Q(scan_queued_at__lt=stuck_before) | Q(
        scan_queued_at__isnull=True, uploaded_at__lt=stuck_before
    )
    stuck = EvidenceFile.objects.filter(
        due, scan_status=ScanStatus.PENDING, deleted_at__isnull=True
    )
    queued = 0
    for pk in list(stuck.values_list("pk", flat=True)):
        # Claimed row by row, so two sweeps at once queue each file once.
        if stuck.filter(pk=pk).update(scan_queued_at=now):
            file_scan_queue(pk)
            queued += 1
    return queued
