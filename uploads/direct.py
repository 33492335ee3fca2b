"""Writes for direct uploads: on object storage (S3) the browser sends a file's parts
straight to the store with presigned multipart URLs. The web process only signs and
checks; a worker hashes and scans the finished object (uploads/services/scans.py).

Protocol (uploads/views.py; the services in uploads/services/uploads.py): `upload_start`
with `direct` begins an S3 multipart upload that will land under the file's evidence key
-> `direct_part_urls` signs a URL for each part the browser asks for (in any order,
again after a failure) -> the browser PUTs each part to its URL -> `direct_status` lists
the parts already in the store, so an upload resumes where it stopped ->
`upload_complete` calls `direct_finish`, which checks the parts and completes the
multipart upload; the file is recorded without its SHA-256 and its scan task computes it
first.

Rules, as on the chunked path (uploads/services/rules.py): a file declares its size, at
most UPLOAD_MAX_BYTES, when it starts; no URL is signed for a part past the declared
size. A URL cannot bound the size of what is PUT to it, so completing checks what the
store holds: parts 1..N, each `part_bytes()` but the last, adding up to the declared
size. More than the limit, or parts that cannot be the declared file, abort the
multipart upload (its parts are freed) and end the session with a message; parts still
missing leave it open to resume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from . import storage
from .models import UploadSession
from .services.rules import TooLarge, max_bytes, too_large_message

# A presigned URL is asked for just before its part is sent; this long covers a slow
# link's part with room to spare, and what it allows is checked at completion anyway.
URL_SECONDS = 15 * 60
# The most URLs signed in one request.
MAX_URLS = 100


class PartsMissing(ValidationError):
    """Completion asked for while parts are still missing from the store: send them."""


def part_bytes() -> int:
    """The size of every part but the last (UPLOAD_PART_BYTES, 8 MiB: 128 parts for
    1 GiB)."""
    return int(settings.UPLOAD_PART_BYTES)


def part_count(session: UploadSession) -> int:
    return max(1, math.ceil(session.declared_size / part_bytes()))


@dataclass(frozen=True)
class DirectStatus:
    parts: list[int]  # the part numbers in the store
    received: int  # their bytes together


def _check_open_direct(session: UploadSession) -> None:
    if session.status != UploadSession.Status.OPEN:
        raise ValidationError(_("This upload is no longer open."))
    if not session.is_direct:
        raise ValidationError(
            _("This upload is sent through the portal, not straight to the store.")
        )


def _touch(session: UploadSession) -> None:
    # Activity: the clean-up task leaves uploads in progress alone.
    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())


def direct_part_urls(*, session: UploadSession, numbers: list[int]) -> dict[int, str]:
    """A presigned PUT URL for each part number asked for."""
    _check_open_direct(session)
    if not numbers or len(numbers) > MAX_URLS:
        raise ValidationError(
            _("Ask for between 1 and %(most)s parts at a time.") % {"most": MAX_URLS}
        )
    size = part_bytes()
    for number in numbers:
        if number < 1:
            raise ValidationError(_("Part numbers start at 1."))
        if (number - 1) * size >= max_bytes():
            raise TooLarge(too_large_message((number - 1) * size + 1))
        if number > part_count(session):
            raise TooLarge(_("The upload is larger than the size it declared."))
    _touch(session)
    return {
        number: storage.multipart_part_url(
            session.object_key, session.multipart_id, number, expires=URL_SECONDS
        )
        for number in sorted(set(numbers))
    }


def direct_status(*, session: UploadSession) -> DirectStatus:
    """The parts already in the store (a browser resuming sends the others)."""
    _check_open_direct(session)
    parts = storage.multipart_parts(session.object_key, session.multipart_id)
    _touch(session)
    return DirectStatus(
        parts=[part.number for part in parts],
        received=sum(part.size for part in parts),
    )


def direct_abort(*, session: UploadSession) -> None:
    """Abort the multipart upload (its parts are freed) and end the session."""
    storage.multipart_abort(session.object_key, session.multipart_id)
    UploadSession.objects.filter(
        pk=session.pk, status=UploadSession.Status.OPEN
    ).update(
        status=UploadSession.Status.ABANDONED,
        parts_removed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    session.status = UploadSession.Status.ABANDONED


def direct_finish(*, session: UploadSession) -> int:
    """Check the parts in the store and complete the multipart upload, so the object
    exists under `session.object_key`; returns its size. TooLarge or ValidationError
    (the session ended) when the parts cannot be the declared file; ValidationError
    (the session still open) while parts are missing."""
    _check_open_direct(session)
    parts = storage.multipart_parts(session.object_key, session.multipart_id)
    total = sum(part.size for part in parts)
    if total > max_bytes():
        direct_abort(session=session)
        raise TooLarge(too_large_message(total))
    size, count = part_bytes(), part_count(session)
    last = session.declared_size - (count - 1) * size
    if any(
        part.number > count or part.size != (last if part.number == count else size)
        for part in parts
    ):
        direct_abort(session=session)
        raise ValidationError(
            _(
                "The parts received do not make up the file that was declared; "
                "please upload it again."
            )
        )
    if [part.number for part in parts] != list(range(1, count + 1)):
        raise PartsMissing(
            _("The upload is not finished: %(received)s of %(size)s bytes arrived.")
            % {"received": total, "size": session.declared_size}
        )
    storage.multipart_complete(session.object_key, session.multipart_id, parts)
    return total
