"""Serving an evidence file, for the centre and for the allocated moderator alike (each
view checks access first): always an attachment, never rendered in our origin (an uploaded
HTML or SVG file must not run here); from S3 through a short-lived signed URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render

from . import storage
from .models import EvidenceFile

SIGNED_URL_SECONDS = 60


def content_disposition(name: str) -> str:
    # A plain ASCII name for old clients and the exact name per RFC 5987/6266.
    return "attachment; filename=\"{}\"; filename*=UTF-8''{}".format(
        storage.ascii_name(name), quote(name, safe="")
    )


def withheld_response(request: HttpRequest, *, message: str, back: str) -> HttpResponse:
    """The page for a file that exists for this person but cannot be downloaded now
    (still being scanned, or a virus found): 409, the file's state is the conflict."""
    return render(
        request,
        "uploads/file_withheld.html",
        {"message": message, "back": back},
        status=409,
    )


def evidence_response(evidence: EvidenceFile) -> HttpResponse:
    disposition = content_disposition(evidence.original_name)
    response: HttpResponseBase
    if storage.is_filesystem():
        response = FileResponse(
            default_storage.open(evidence.storage_key, "rb"),
            content_type="application/octet-stream",
        )
        response["Content-Disposition"] = disposition
        response["Content-Length"] = str(evidence.size)
    else:
        # S3Storage.url takes the signed URL's parameters and lifetime.
        url = cast(Any, default_storage).url(
            evidence.storage_key,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": "application/octet-stream",
            },
            expire=SIGNED_URL_SECONDS,
        )
        response = HttpResponseRedirect(url)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A FileResponse streams; the decorators only pass it through.
    return cast(HttpResponse, response)


def zip_response(chunks: Iterator[bytes], *, filename: str) -> HttpResponse:
    """A zip made while it is sent (uploads.zips): no Content-Length, as its size is
    known only at the end."""
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A StreamingHttpResponse streams; the decorators only pass it through.
    return cast(HttpResponse, response)
