"""Writes for an evidence file once its bytes are stored: recording it, deleting it, and
locking it past the cutoff (rules.py says when that is).

`file_record` is the last step of every upload path (uploads.py): the evidence row, the
session marked complete and the audit event in one transaction; once that commits the
upload's parts are removed and the file's virus scan is queued (scans.py). A file can
be deleted until its unit's cutoff; after it the beat task locks it, and deleting is
refused. `audit_target` names a file the same way in all their audit events and the
scan's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from iamis.models import Entry, Unit
from sampling.models import Sample

from .. import storage
from ..models import EvidenceFile, UploadSession
from .rules import Cutoff, cutoff_for, deletion_cutoff

if TYPE_CHECKING:
    from accounts.models import User


def audit_target(unit: Unit, kind: str, entry: Entry | None, name: str) -> str:
    """How an evidence file is named in its audit events (upload, delete, lock, scan)."""
    if entry is not None:
        return f"{unit.code} {entry.candidate.display_number}: {name}"
    return f"{unit.code} {kind}: {name}"


# --- Recording a finished upload -------------------------------------------------------


def file_record(
    *,
    session: UploadSession,
    key: str,
    size: int,
    sha256: str,
    acting_user: User,
    request: HttpRequest | None,
    put_in_place: Callable[[], None] | None = None,
) -> EvidenceFile:
    """The evidence row, the session marked complete and the audit event, all at once;
    `put_in_place` gives the bytes their key once the session is known to be open. If
    anything fails the object under `key` is removed: no file without its row."""
    unit, centre = session.unit, session.centre
    try:
        with transaction.atomic():
            locked = UploadSession.objects.select_for_update().get(pk=session.pk)
            if locked.status != UploadSession.Status.OPEN:
                _discard_unrecorded(key)
                if locked.evidence_file_id:
                    return EvidenceFile.objects.get(pk=locked.evidence_file_id)
                raise ValidationError(_("This upload is no longer open."))
            if put_in_place is not None:
                put_in_place()
            evidence = EvidenceFile(
                centre=centre,
                unit=unit,
                entry=locked.entry,
                kind=locked.kind,
                original_name=locked.declared_name,
                size=size,
                sha256=sha256,
                storage_key=key,
                uploaded_by=acting_user,
                scan_queued_at=timezone.now(),
            )
            evidence.full_clean()
            evidence.save()
            locked.status = UploadSession.Status.COMPLETE
            locked.evidence_file = evidence
            locked.save(update_fields=["status", "evidence_file", "updated_at"])
            audit_record(
                action=AuditEvent.Action.FILE_UPLOADED,
                actor=acting_user,
                centre=centre,
                target=audit_target(
                    unit, evidence.kind, evidence.entry, evidence.original_name
                ),
                request=request,
                file=str(evidence.public_id),
                size=evidence.size,
                sha256=evidence.sha256,
            )
            pk, evidence_pk = locked.pk, evidence.pk
            # robust: a failure to remove the parts must not undo a committed file (the
            # clean-up task removes them later).
            transaction.on_commit(lambda: _remove_parts(pk), robust=True)
            # Nobody outside the centre downloads it before its scan. robust: a broker
            # that is down must not fail the upload; beat queues the scan again.
            transaction.on_commit(lambda: _queue_scan(evidence_pk), robust=True)
    except Exception:
        _discard_unrecorded(key)
        raise
    return evidence


def _discard_unrecorded(key: str) -> None:
    """Remove the object under `key` unless an evidence row names it: the completions
    of one direct upload share its key, and the one that lost a race must not remove
    the file the other recorded (on the other paths every completion has its own)."""
    if not EvidenceFile.objects.filter(storage_key=key).exists():
        default_storage.delete(key)


def _remove_parts(session_pk: int) -> None:
    session = UploadSession.objects.get(pk=session_pk)
    storage.delete_prefix(session.parts_prefix)
    UploadSession.objects.filter(pk=session_pk).update(parts_removed_at=timezone.now())


def _queue_scan(evidence_pk: int) -> None:
    from .scans import file_scan_queue  # scans imports this module (audit_target)

    file_scan_queue(evidence_pk)


# --- Delete and lock -------------------------------------------------------------------


def file_delete(
    *,
    evidence: EvidenceFile,
    acting_user: User,
    request: HttpRequest | None = None,
) -> None:
    """Soft-delete (the audit trail keeps its subject) and remove the stored object."""
    with transaction.atomic():
        locked = (
            EvidenceFile.objects.select_for_update(of=("self",))
            .select_related("unit", "centre", "entry__candidate")
            .get(pk=evidence.pk)
        )
        if locked.deleted_at is not None:
            raise ValidationError(_("That file has already been deleted."))
        cutoff = cutoff_for(centre=locked.centre, unit=locked.unit)
        if locked.locked_at is not None or (
            cutoff is not None and cutoff.passed(timezone.now())
        ):
            raise ValidationError(_past_cutoff(cutoff))
        locked.deleted_at = timezone.now()
        locked.deleted_by = acting_user
        try:
            with transaction.atomic():
                locked.save(update_fields=["deleted_at", "deleted_by"])
        except IntegrityError:
            # The database's clock has passed the cutoff (uploads migration 0004) a
            # moment before ours did: the same answer as ours would have been.
            raise ValidationError(_past_cutoff(cutoff)) from None
        audit_record(
            action=AuditEvent.Action.FILE_DELETED,
            actor=acting_user,
            centre=locked.centre,
            target=audit_target(
                locked.unit, locked.kind, locked.entry, locked.original_name
            ),
            request=request,
            file=str(locked.public_id),
            sha256=locked.sha256,
        )
        key = locked.storage_key
        transaction.on_commit(lambda: default_storage.delete(key))


def _past_cutoff(cutoff: Cutoff | None) -> str:
    return (
        cutoff.message if cutoff is not None else _("Files can no longer be deleted.")
    )


def files_lock_past_cutoff(*, now: datetime | None = None) -> int:
    """Lock exactly the files whose unit's cutoff has passed; one audit event per file.
    Files already locked (or deleted) are left alone, so running it twice changes
    nothing."""
    now = now or timezone.now()
    sheets = (
        EvidenceFile.objects.filter(locked_at__isnull=True, deleted_at__isnull=True)
        .values_list("centre_id", "unit_id")
        .distinct()
    )
    locked_count = 0
    for centre_id, unit_id in sheets:
        sample = (
            Sample.objects.filter(centre_id=centre_id, unit_id=unit_id)
            .select_related("submission", "unit")
            .first()
        )
        if sample is None:
            continue
        if not deletion_cutoff(sample.unit, sample.submission.submitted_at).passed(now):
            continue
        with transaction.atomic():
            due = (
                EvidenceFile.objects.select_for_update(of=("self",))
                .select_related("unit", "centre", "entry__candidate")
                .filter(
                    centre_id=centre_id,
                    unit_id=unit_id,
                    locked_at__isnull=True,
                    deleted_at__isnull=True,
                )
            )
            for evidence in due:
                evidence.locked_at = now
                evidence.save(update_fields=["locked_at"])
                audit_record(
                    action=AuditEvent.Action.FILE_LOCKED,
                    centre=evidence.centre,
                    target=audit_target(
                        evidence.unit,
                        evidence.kind,
                        evidence.entry,
                        evidence.original_name,
                    ),
                    file=str(evidence.public_id),
                )
                locked_count += 1
    return locked_count
