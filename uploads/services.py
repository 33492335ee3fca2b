"""Writes for evidence files: the upload rules, the resumable protocol, delete and lock.

Rules (DESIGN.md rule 5 and the guide's "IAMIS Upload"):
- Uploads open when the unit's work is uploaded (e-submission or upload only), its marks
  are submitted and its sample is ready. Any file type; at most UPLOAD_MAX_BYTES a file,
  checked on the declared size at the start and on the bytes that actually arrive.
- A candidate's file is for a sample member of any origin (system, centre, substitute,
  moderator-requested). A member whose work was recorded as unavailable takes no new
  files: a substitute's work replaces it (files uploaded before stay, and can be deleted
  until the cutoff). Group/admin files only where the unit uses group upload; the
  explanatory note to the moderator whenever uploads are open.
- A file can be deleted until the unit's cutoff (`deletion_cutoff`); after it, or once
  the beat task has locked the file, deleting is refused. Uploading stays open after the
  cutoff (a moderator may ask for further samples), but such files cannot be deleted.

Protocol (direct uploads to S3 have their own, uploads/direct.py):
`upload_start` -> `upload_receive` for each chunk, in order, at the offset the
server expects (a re-send of the last chunk is accepted and ignored) -> `upload_complete`
records the file with its SHA-256 and, once that commits, queues its virus scan
(uploads/scans.py). No transaction stays open while bytes arrive. On the
filesystem the chunks are appended to one file under the parts prefix and hashed on
their way to the disk, the SHA-256 state carried from chunk to chunk in the session row
(only where it could not be carried is the file read again at completion); completing
links the file under its evidence key, so the bytes are written once. On object storage
each chunk is its own part object and the parts are joined into the final object while
hashing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import Centre
from iamis.models import Entry, Unit
from sampling.models import Sample, SampleMember

from . import resumable_sha256, storage
from .models import EvidenceFile, Kind, UploadSession
from .resumable_sha256 import ResumableSha256

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")


class TooLarge(ValidationError):
    """The file (or the bytes received so far) would pass the size limit."""


class OffsetMismatch(Exception):
    """A chunk arrived for an offset other than the next expected one."""

    def __init__(self, expected: int) -> None:
        super().__init__(expected)
        self.expected = expected


class IncompleteChunk(Exception):
    """The connection ended before the chunk's declared length arrived."""


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def chunk_bytes() -> int:
    return int(settings.UPLOAD_CHUNK_BYTES)


# --- The cutoff ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cutoff:
    at: datetime  # deleting is allowed strictly before this instant
    last_day: date  # the day shown to people ("the deadline ... was 12/06/2027")

    def passed(self, now: datetime) -> bool:
        return now >= self.at

    @property
    def message(self) -> str:
        return _(
            "Files can no longer be deleted: the deadline for changes to uploads "
            "was %(date)s."
        ) % {"date": self.last_day.strftime("%d/%m/%Y")}


def deletion_cutoff(unit: Unit, submitted_at: datetime) -> Cutoff:
    """By default `deletion_days` after the marks were submitted; a unit may instead use
    its sample deadline, up to the end of that day in Wales. A unit set to the deadline
    without a deadline date falls back to the days."""
    if (
        unit.deletion_policy == Unit.DeletionPolicy.SERIES_DEADLINE
        and unit.sample_deadline is not None
    ):
        end = datetime.combine(
            unit.sample_deadline + timedelta(days=1), time.min, tzinfo=LONDON
        )
        return Cutoff(at=end, last_day=unit.sample_deadline)
    at = submitted_at + timedelta(days=unit.deletion_days)
    return Cutoff(at=at, last_day=timezone.localtime(at, LONDON).date())


def cutoff_for(*, centre: Centre, unit: Unit) -> Cutoff | None:
    """The cutoff of the centre's sheet, counted from its first submission (the one that
    made the sample); None before there is a sample."""
    sample = (
        Sample.objects.filter(centre=centre, unit=unit)
        .select_related("submission")
        .first()
    )
    if sample is None:
        return None
    return deletion_cutoff(unit, sample.submission.submitted_at)


# --- When uploads are open -------------------------------------------------------------


def upload_refusal(
    *,
    centre: Centre,
    unit: Unit,
    kind: str,
    entry: Entry | None,
    known_sample: Sample | None = None,
) -> str | None:
    """Why this upload is refused, or None when it is allowed. `known_sample`: the
    centre's sample of the unit when the caller has read it already."""
    if not unit.has_uploads:
        return _("Work for this unit is sent to the moderator, not uploaded.")
    sample = known_sample or Sample.objects.filter(centre=centre, unit=unit).first()
    if sample is None or sample.status != Sample.Status.READY:
        return _(
            "Files can be uploaded once the marks are submitted and the sample has "
            "been generated."
        )
    if kind == Kind.CANDIDATE:
        member = (
            SampleMember.objects.filter(sample=sample, centre=centre, entry=entry)
            .only("work_unavailable")
            .first()
            if entry is not None
            else None
        )
        if member is None:
            return _("Work is uploaded only for candidates in the sample.")
        if member.work_unavailable:
            return _(
                "This candidate's work was recorded as unavailable; upload the "
                "replacement candidate's work instead."
            )
    elif kind == Kind.GROUP:
        if not unit.group_upload:
            return _("This unit does not use group upload.")
    elif kind != Kind.NOTE:
        return _("Unknown kind of upload.")
    return None


def _check_open(*, centre: Centre, unit: Unit, kind: str, entry: Entry | None) -> None:
    refusal = upload_refusal(centre=centre, unit=unit, kind=kind, entry=entry)
    if refusal:
        raise ValidationError(refusal)


def too_large_message(size: int) -> str:
    return _(
        "The file is too large (%(size)s bytes): each file can be at most %(max)s."
    ) % {"size": f"{size:,}", "max": filesizeformat(max_bytes())}


# --- The resumable protocol ------------------------------------------------------------


def upload_start(
    *,
    centre: Centre,
    unit: Unit,
    kind: str,
    entry: Entry | None,
    name: str,
    size: int,
    acting_user: User,
    direct: bool = False,
) -> UploadSession:
    """An upload session. `direct`: where the default storage is S3, the browser will
    send the parts straight to it (uploads/direct.py); elsewhere the chunks come
    through the portal whatever `direct` says."""
    if size <= 0:
        raise ValidationError(_("The file is empty."))
    if size > max_bytes():
        raise TooLarge(too_large_message(size))
    _check_open(centre=centre, unit=unit, kind=kind, entry=entry)
    public_id = uuid.uuid4()
    session = UploadSession(
        public_id=public_id,
        centre=centre,
        unit=unit,
        entry=entry if kind == Kind.CANDIDATE else None,
        kind=kind,
        declared_name=storage.sanitise_name(name),
        declared_size=size,
        parts_prefix=storage.parts_prefix(
            centre_number=centre.number, session_public_id=public_id
        ),
        created_by=acting_user,
    )
    if direct and storage.is_s3():
        session.object_key = storage.evidence_key(
            centre_number=centre.number, unit_public_id=unit.public_id
        )
        session.multipart_id = storage.multipart_start(session.object_key)
    try:
        with transaction.atomic():
            session.full_clean()
            session.save()
    except Exception:
        if session.is_direct:
            storage.multipart_abort(session.object_key, session.multipart_id)
        raise
    if storage.is_filesystem():
        # Made here, not by the first chunk: a chunk never creates the file, so a late
        # one for an upload already completed or cleaned up cannot leave one behind.
        storage.create_empty(storage.upload_file_key(session.parts_prefix))
    return session


def upload_receive(
    *, session: UploadSession, offset: int, length: int, stream: storage.Readable
) -> UploadSession:
    """Store one chunk of `length` bytes read from `stream` at `offset`."""
    if storage.is_filesystem():
        return _receive_in_place(
            session=session, offset=offset, length=length, stream=stream
        )
    if _chunk_is_resend(session, offset=offset, length=length):
        return session
    key = f"{session.parts_prefix}{session.chunk_index:06d}-{uuid.uuid4().hex[:12]}"
    reader = storage.LimitedReader(stream, length)
    try:
        storage.save_exact(key, reader)
    except Exception:
        default_storage.delete(key)
        raise
    if reader.count != length:
        default_storage.delete(key)
        raise IncompleteChunk

    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        accepted = (
            locked.status == UploadSession.Status.OPEN and locked.received == offset
        )
        if accepted:
            locked.parts = [*locked.parts, [key, length]]
            locked.received += length
            locked.last_chunk_size = length
            locked.save(
                update_fields=["parts", "received", "last_chunk_size", "updated_at"]
            )
    if not accepted:
        # Another request stored this chunk first.
        default_storage.delete(key)
        raise OffsetMismatch(locked.received)
    return locked


def _chunk_is_resend(session: UploadSession, *, offset: int, length: int) -> bool:
    """True for a re-send of the last chunk (ignore it); raises when the chunk cannot
    be taken. Nothing is stored before this passes."""
    if session.status != UploadSession.Status.OPEN:
        raise ValidationError(_("This upload is no longer open."))
    if session.is_direct:
        raise ValidationError(
            _(
                "This upload sends its parts straight to the store, not through the portal."
            )
        )
    if offset != session.received:
        last = session.last_chunk_size
        # The client lost our answer and sent the last chunk again: already stored.
        if last and offset == session.received - last and length == last:
            return True
        raise OffsetMismatch(session.received)
    if length <= 0:
        raise ValidationError(_("The chunk is empty."))
    if length > chunk_bytes():
        raise TooLarge(_("The chunk is larger than the server accepts."))
    if offset + length > max_bytes():
        raise TooLarge(too_large_message(offset + length))
    if offset + length > session.declared_size:
        raise TooLarge(_("The upload is larger than the size it declared."))
    return False


def _receive_in_place(
    *, session: UploadSession, offset: int, length: int, stream: storage.Readable
) -> UploadSession:
    """Append the chunk to the upload's one file. The file lock makes this request the
    only writer; every writer updates the row before it lets go, so the row read under
    the lock is current and the bytes past `received` are nobody's."""
    fields = ["status", "received", "last_chunk_size", "hash_state"]
    try:
        with storage.locked_upload_file(
            storage.upload_file_key(session.parts_prefix), wait=False
        ) as fd:
            session.refresh_from_db(fields=fields)
            if _chunk_is_resend(session, offset=offset, length=length):
                return session
            stored = storage.file_size(fd)
            if stored < offset:
                # Bytes acknowledged before a crash never reached the disk: resume
                # from what is there rather than leave a hole.
                _rewind(session, to=stored)
                raise OffsetMismatch(stored)
            digest = _carried_digest(session, offset=offset)
            if storage.append_at(fd, offset, stream, length, digest=digest) != length:
                raise IncompleteChunk
            hash_state = digest.save() if digest is not None else None
            accepted = UploadSession.objects.filter(
                pk=session.pk, status=UploadSession.Status.OPEN, received=offset
            ).update(
                received=offset + length,
                last_chunk_size=length,
                hash_state=hash_state,
                updated_at=timezone.now(),
            )
            if not accepted:  # cleaned up as abandoned while the bytes arrived
                raise ValidationError(_("This upload is no longer open."))
    except storage.Busy:
        # Another request of this upload is storing a chunk (a client retrying while
        # its first try still runs): tell it where the upload stands now.
        session.refresh_from_db(fields=fields)
        raise OffsetMismatch(session.received) from None
    except FileNotFoundError:
        session.refresh_from_db(fields=fields)
        raise ValidationError(_("This upload is no longer open.")) from None
    session.received = offset + length
    session.last_chunk_size = length
    session.hash_state = hash_state
    return session


def _carried_digest(session: UploadSession, *, offset: int) -> ResumableSha256 | None:
    """The SHA-256 of the upload's first `offset` bytes, carried over from the last
    chunk; None where the state was lost (a rewind after a crash, a refused state: the
    file is then hashed once at completion). Without OpenSSL's SHA-256 it raises
    `resumable_sha256.Unavailable` (system check uploads.E001 catches that first)."""
    if offset == 0:
        return ResumableSha256()
    if session.hash_state is None:
        return None
    try:
        return ResumableSha256.load(session.hash_state, count=offset)
    except resumable_sha256.StateRefused:
        logger.warning("upload %s: hash state refused", session.public_id)
        return None


def _rewind(session: UploadSession, *, to: int) -> None:
    # The carried hash covered bytes that are gone: completion hashes the file instead.
    UploadSession.objects.filter(pk=session.pk, received=session.received).update(
        received=to, last_chunk_size=0, hash_state=None, updated_at=timezone.now()
    )
    session.received, session.last_chunk_size, session.hash_state = to, 0, None


def _remove_parts(session_pk: int) -> None:
    session = UploadSession.objects.get(pk=session_pk)
    storage.delete_prefix(session.parts_prefix)
    UploadSession.objects.filter(pk=session_pk).update(parts_removed_at=timezone.now())


def audit_target(unit: Unit, kind: str, entry: Entry | None, name: str) -> str:
    """How an evidence file is named in its audit events (upload, delete, lock, scan)."""
    if entry is not None:
        return f"{unit.code} {entry.candidate.display_number}: {name}"
    return f"{unit.code} {kind}: {name}"


def upload_complete(
    *,
    session: UploadSession,
    acting_user: User,
    request: HttpRequest | None = None,
) -> EvidenceFile:
    """Hash the stored bytes, put them under their evidence key and record the file."""
    if session.status == UploadSession.Status.COMPLETE and session.evidence_file:
        return session.evidence_file
    if session.status != UploadSession.Status.OPEN:
        raise ValidationError(_("This upload is no longer open."))
    if not session.is_direct and session.received != session.declared_size:
        raise ValidationError(
            _("The upload is not finished: %(received)s of %(size)s bytes arrived.")
            % {"received": session.received, "size": session.declared_size}
        )
    unit, centre = session.unit, session.centre
    _check_open(centre=centre, unit=unit, kind=session.kind, entry=session.entry)
    if session.is_direct:
        return _complete_direct(
            session=session, acting_user=acting_user, request=request
        )

    key = storage.evidence_key(
        centre_number=centre.number, unit_public_id=unit.public_id
    )
    if storage.is_filesystem():
        return _complete_in_place(
            session=session, key=key, acting_user=acting_user, request=request
        )
    joined = storage.JoinedParts([part[0] for part in session.parts], storage.open_part)
    try:
        storage.save_exact(key, joined)
    except Exception:
        default_storage.delete(key)
        raise
    finally:
        joined.close()
    if joined.count != session.declared_size:
        default_storage.delete(key)
        raise ValidationError(_("The upload is incomplete; please upload it again."))
    return _record_file(
        session=session,
        key=key,
        size=joined.count,
        sha256=joined.digest.hexdigest(),
        acting_user=acting_user,
        request=request,
    )


def _complete_in_place(
    *,
    session: UploadSession,
    key: str,
    acting_user: User,
    request: HttpRequest | None,
) -> EvidenceFile:
    """The SHA-256 carried through the chunks (or, failing that, one read of the file),
    then a second name for the file: the bytes are not copied. Under the file lock, so
    no chunk changes it meanwhile."""
    upload_key = storage.upload_file_key(session.parts_prefix)
    try:
        with storage.locked_upload_file(upload_key, wait=True) as fd:
            session.refresh_from_db(fields=["received", "hash_state"])
            size = storage.file_size(fd)
            carried = _carried_digest(session, offset=size)
            if carried is not None and size == session.received:
                sha256 = carried.hexdigest()
            else:
                size, sha256 = storage.hash_file(fd)
            if size != session.declared_size:
                raise ValidationError(
                    _("The upload is incomplete; please upload it again.")
                )
            return _record_file(
                session=session,
                key=key,
                size=size,
                sha256=sha256,
                acting_user=acting_user,
                request=request,
                put_in_place=lambda: storage.link_into_place(upload_key, key),
            )
    except FileNotFoundError:
        # Another request completed it while this one waited for the lock.
        session.refresh_from_db(fields=["status", "evidence_file"])
        if session.evidence_file_id is not None:
            return EvidenceFile.objects.get(pk=session.evidence_file_id)
        raise ValidationError(_("This upload is no longer open.")) from None


def _complete_direct(
    *, session: UploadSession, acting_user: User, request: HttpRequest | None
) -> EvidenceFile:
    """The parts in the store become the file under its evidence key; the file is
    recorded without its SHA-256, which its scan task computes from the stored object
    before scanning it (uploads/scans.py)."""
    from .direct import direct_finish  # direct imports this module (the rules)

    try:
        size = direct_finish(session=session)
    except Exception as error:
        if not storage.is_missing_upload(error):
            raise
        # Another request completed (or the clean-up aborted) it meanwhile.
        session.refresh_from_db(fields=["status", "evidence_file"])
        if session.evidence_file_id is not None:
            return EvidenceFile.objects.get(pk=session.evidence_file_id)
        raise ValidationError(_("This upload is no longer open.")) from None
    return _record_file(
        session=session,
        key=session.object_key,
        size=size,
        sha256="",
        acting_user=acting_user,
        request=request,
    )


def _queue_scan(evidence_pk: int) -> None:
    from .scans import file_scan_queue  # scans imports this module (audit_target)

    file_scan_queue(evidence_pk)


def _record_file(
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


def uploads_clean_abandoned(*, now: datetime | None = None) -> int:
    """Delete the parts of uploads idle for longer than UPLOAD_ABANDON_HOURS, and of
    finished uploads whose parts were not removed (a crash after commit)."""
    now = now or timezone.now()
    idle_since = now - timedelta(hours=int(settings.UPLOAD_ABANDON_HOURS))
    stale = UploadSession.objects.filter(
        parts_removed_at__isnull=True, updated_at__lt=idle_since
    ).values_list("pk", flat=True)
    cleaned = 0
    for pk in stale:
        with transaction.atomic():
            session = (
                UploadSession.objects.select_for_update()
                .filter(pk=pk, parts_removed_at__isnull=True, updated_at__lt=idle_since)
                .first()
            )
            if session is None:
                continue
            storage.delete_prefix(session.parts_prefix)
            if session.is_direct and session.status == UploadSession.Status.OPEN:
                storage.multipart_abort(session.object_key, session.multipart_id)
            if session.status == UploadSession.Status.OPEN:
                session.status = UploadSession.Status.ABANDONED
            session.parts_removed_at = now
            session.parts = []
            # QuerySet.update keeps updated_at: it records the last client activity.
            UploadSession.objects.filter(pk=pk).update(
                status=session.status, parts_removed_at=now, parts=[]
            )
            cleaned += 1
    return cleaned
