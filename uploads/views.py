"""Evidence uploads for the centre: the chunked upload API, download and delete.

The upload API speaks JSON over plain HTTP (so the Django test client drives it):
- POST  units/<unit>/uploads/                 name, size, kind, candidate -> 201 {id, ...}
- GET   units/<unit>/uploads/<id>/            -> {offset}: where to resume
- POST  units/<unit>/uploads/<id>/            raw body, header Upload-Offset -> {offset}
- POST  units/<unit>/uploads/<id>/complete/   -> {file, html} (the refreshed file list)
A chunk at the wrong offset gets 409 with the expected offset; too large gets 413; a
chunk for an upload that is no longer open gets 410.

On S3, a start with `direct=1` answers `direct: true` and the browser sends the parts
straight to the store (uploads/direct.py):
- POST  units/<unit>/uploads/<id>/parts/      numbers=1,2,3 -> {parts: [{number, url}]}
- GET   units/<unit>/uploads/<id>/            -> {offset, parts}: the parts in the store
- PUT   <each part's presigned URL>           the part's bytes, to the store itself
- POST  units/<unit>/uploads/<id>/complete/   -> {file, html}, the SHA-256 to follow
A part past the declared size gets 413; completing while parts are missing, 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from centres.tenancy import CentreRequest, iamis_required
from common.service_errors import service_message
from iamis import selectors as iamis_selectors
from iamis.models import Entry, Unit

from . import direct, downloads, request_body, selectors
from .models import EvidenceFile, Kind, UploadSession
from .services import files as file_services
from .services import rules
from .services import uploads as upload_services


def _error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _offset_response(session: UploadSession, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        {"offset": session.received, "size": session.declared_size}, status=status
    )
    response["Upload-Offset"] = str(session.received)
    response["Cache-Control"] = "no-store"
    return response


def _session_json(request: CentreRequest, session: UploadSession) -> dict[str, Any]:
    args = [session.unit.public_id, session.public_id]
    data: dict[str, Any] = {
        "id": str(session.public_id),
        "offset": session.received,
        "size": session.declared_size,
        "chunk_size": rules.chunk_bytes(),
        "url": reverse("uploads:upload", args=args),
        "complete_url": reverse("uploads:upload_complete", args=args),
        "direct": session.is_direct,
    }
    if session.is_direct:
        data["part_size"] = direct.part_bytes()
        data["parts_url"] = reverse("uploads:upload_parts", args=args)
    return data


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def list_id(kind: str, entry: Entry | None) -> str:
    if entry is not None:
        return f"files-{entry.candidate.number}"
    return f"files-{kind}"


def _access_upload(
    request: CentreRequest, unit_id: UUID, upload_id: UUID
) -> tuple[Unit, UploadSession]:
    """The unit this member may open and the centre's upload on it named in the URL."""
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    return unit, selectors.access_upload(
        centre=request.centre, unit=unit, upload_id=upload_id
    )


@require_POST
@iamis_required
def upload_start(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    kind = request.POST.get("kind", Kind.CANDIDATE)
    size = _int(request.POST.get("size"))
    if kind not in Kind.values or size is None:
        return _error(_("Say which file is being uploaded and its size."))
    entry = None
    if kind == Kind.CANDIDATE:
        candidate_no = _int(request.POST.get("candidate"))
        if candidate_no is None:
            return _error(_("Say which candidate the work belongs to."))
        entry = iamis_selectors.access_entry(
            centre=request.centre, unit=unit, candidate_no=candidate_no
        )
    try:
        session = upload_services.upload_start(
            centre=request.centre,
            unit=unit,
            kind=kind,
            entry=entry,
            name=request.POST.get("name", ""),
            size=size,
            acting_user=request.user,
            direct=request.POST.get("direct") == "1",
        )
    except rules.TooLarge as error:
        return _error(service_message(error), status=413)
    except ValidationError as error:
        return _error(service_message(error))
    return JsonResponse(_session_json(request, session), status=201)


@require_http_methods(["GET", "POST"])
@iamis_required
def upload(request: CentreRequest, unit_id: UUID, upload_id: UUID) -> HttpResponse:
    """GET: how many bytes arrived (resume from there). POST: the next chunk."""
    _unit, session = _access_upload(request, unit_id, upload_id)
    if request.method == "GET" and session.is_direct:
        try:
            status = direct.direct_status(session=session)
        except ValidationError as error:
            return _error(service_message(error), status=410)
        response = JsonResponse(
            {
                "offset": status.received,
                "size": session.declared_size,
                "parts": status.parts,
            }
        )
        response["Cache-Control"] = "no-store"
        return response
    if request.method == "GET":
        return _offset_response(session)
    offset = _int(request.headers.get("Upload-Offset"))
    length = _int(request.META.get("CONTENT_LENGTH"))
    if offset is None or length is None:
        return _error(_("A chunk needs an Upload-Offset and a Content-Length."))
    # Read in blocks, never whole: straight from gunicorn's connection where it can be
    # (uploads/request_body.py), else through `request`.
    stream = request_body.socket_body(request, length) or request
    try:
        session = upload_services.upload_receive(
            session=session, offset=offset, length=length, stream=stream
        )
    except upload_services.OffsetMismatch as mismatch:
        response = _error(
            _("That part was not expected; resume from the offset given."),
            status=409,
            offset=mismatch.expected,
        )
        response["Upload-Offset"] = str(mismatch.expected)
        return response
    except rules.TooLarge as error:
        return _error(service_message(error), status=413)
    except ValidationError as error:
        return _error(service_message(error), status=410)
    except (upload_services.IncompleteChunk, OSError):
        session.refresh_from_db()
        response = _error(
            _("The connection was interrupted; resume from the offset given."),
            offset=session.received,
        )
        response["Upload-Offset"] = str(session.received)
        return response
    return _offset_response(session)


@require_POST
@iamis_required
def upload_parts(
    request: CentreRequest, unit_id: UUID, upload_id: UUID
) -> HttpResponse:
    """Presigned URLs for the parts of a direct upload the browser is about to send."""
    _unit, session = _access_upload(request, unit_id, upload_id)
    numbers = [_int(n.strip()) for n in request.POST.get("numbers", "").split(",")]
    if not numbers or None in numbers:
        return _error(_("Say which parts of the file are to be sent."))
    try:
        urls = direct.direct_part_urls(
            session=session, numbers=[n for n in numbers if n is not None]
        )
    except rules.TooLarge as error:
        return _error(service_message(error), status=413)
    except ValidationError as error:
        return _error(service_message(error))
    response = JsonResponse(
        {"parts": [{"number": n, "url": url} for n, url in urls.items()]}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@iamis_required
def upload_complete(
    request: CentreRequest, unit_id: UUID, upload_id: UUID
) -> HttpResponse:
    unit, session = _access_upload(request, unit_id, upload_id)
    try:
        evidence = upload_services.upload_complete(
            session=session, acting_user=request.user, request=request
        )
    except rules.TooLarge as error:
        return _error(service_message(error), status=413)
    except direct.PartsMissing as error:
        # The browser sends the parts the store lacks, then completes again.
        return _error(service_message(error), status=409)
    except ValidationError as error:
        session.refresh_from_db(fields=["status"])
        # An upload that ended (a direct one whose parts could not be the file) is
        # gone: 410, so the browser stops rather than resumes.
        gone = session.status == UploadSession.Status.ABANDONED
        return _error(
            service_message(error), status=410 if gone else 400, offset=session.received
        )
    target = list_id(evidence.kind, evidence.entry)
    html = render_to_string(
        "uploads/files.html#file-list",
        _file_list(request, unit, evidence.kind, evidence.entry),
        request=request,
    )
    return JsonResponse(
        {
            "file": {
                "id": str(evidence.public_id),
                "name": evidence.original_name,
                "size": evidence.size,
                "sha256": evidence.sha256 or None,
            },
            "target": target,
            "html": html,
        }
    )


@require_safe
@iamis_required
def file_download(request: CentreRequest, unit_id: UUID, file_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    evidence = selectors.access_file(centre=request.centre, unit=unit, file_id=file_id)
    refusal = selectors.download_refusal(evidence, by_centre=True)
    if refusal:
        return downloads.withheld_response(
            request, message=refusal, back=_samples_page(unit)
        )
    return downloads.evidence_response(evidence)


def _file_list(
    request: CentreRequest, unit: Unit, kind: str, entry: Entry | None
) -> dict[str, Any]:
    """What `uploads/files.html#file-list` shows for one list of View samples: a
    candidate's work (`entry`), the group uploads or the notes."""
    panel = selectors.upload_panel(centre=request.centre, unit=unit)
    if entry is not None:
        files = panel.files_for(entry.pk)
    else:
        files = panel.group if kind == Kind.GROUP else panel.notes
    return {
        "unit": unit,
        "files": files,
        "panel": panel,
        "list_id": list_id(kind, entry),
    }


@require_safe
@iamis_required
def file_list(
    request: CentreRequest,
    unit_id: UUID,
    candidate_no: int | None = None,
    kind: str = Kind.CANDIDATE,
) -> HttpResponse:
    """One file list of View samples as it now stands: the page asks again every few
    seconds while a file in it is still being hashed or checked for viruses. Asked
    for as a page (not by htmx), it goes to View samples."""
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    if not request.htmx:
        return redirect(_samples_page(unit))
    entry = (
        iamis_selectors.access_entry(
            centre=request.centre, unit=unit, candidate_no=candidate_no
        )
        if candidate_no is not None
        else None
    )
    return render(
        request, "uploads/files.html#file-list", _file_list(request, unit, kind, entry)
    )


def _samples_page(unit: Unit) -> str:
    return reverse("sampling:samples", args=[unit.public_id])


@require_http_methods(["GET", "POST"])
@iamis_required
def file_delete(request: CentreRequest, unit_id: UUID, file_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    evidence = selectors.access_file(centre=request.centre, unit=unit, file_id=file_id)
    cutoff = rules.cutoff_for(centre=request.centre, unit=unit)
    if request.method == "POST":
        try:
            file_services.file_delete(
                evidence=evidence, acting_user=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, service_message(error))
        else:
            messages.success(
                request, _("%(name)s was deleted.") % {"name": evidence.original_name}
            )
        return redirect(_samples_page(unit))
    return render(
        request,
        "uploads/file_delete.html",
        {
            "unit": unit,
            "file": evidence,
            "cutoff": cutoff,
            "can_delete": _deletable(evidence, cutoff),
            "back": _samples_page(unit),
        },
    )


def _deletable(evidence: EvidenceFile, cutoff: rules.Cutoff | None) -> bool:
    return evidence.locked_at is None and not (
        cutoff is not None and cutoff.passed(timezone.now())
    )
