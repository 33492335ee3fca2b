"""Writes for the resumable upload protocol: start, receive each chunk, complete, and
clean up the uploads abandoned on the way. Whether an upload may go on, and how large it
may be, is rules.py's; recording the finished file (with its audit event) is files.py's.

Protocol (direct uploads to S3 have their own, uploads/direct.py):
`upload_start` -> `upload_receive` for each chunk, in order, at the offset the
server expects (a re-send of the last chunk is accepted and ignored) -> `upload_complete`
records the file with its SHA-256 and, once that commits, queues its virus scan
(scans.py). No transaction stays open while bytes arrive. On the
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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.models import Centre
from iamis.models import Entry, Unit

from .. import resumable_sha256, storage
from ..direct import direct_finish
from ..models import EvidenceFile, Kind, UploadSession
from ..resumable_sha256 import ResumableSha256
from .files import file_record
from .rules import TooLarge, check_open, chunk_bytes, max_bytes, too_large_message

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class OffsetMismatch(Exception):
    """A chunk arrived for an offset other than the next expected one."""

    def __init__(self, expected: int) -> None:
        super().__init__(expected)
        self.expected = expected


class IncompleteChunk(Exception):
    """The connection ended before the chunk's declared length arrived."""


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
    check_open(centre=centre, unit=unit, kind=kind, entry=entry)
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
    check_open(centre=centre, unit=unit, kind=session.kind, entry=session.entry)
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
    return file_record(
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
            return file_record(
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
    before scanning it (scans.py)."""
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
    return file_record(
        session=session,
        key=session.object_key,
        size=size,
        sha256="",
        acting_user=acting_user,
        request=request,
    )


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
