"""Serving a stored PDF made by a worker (reports, certificates): an attachment that is
never sniffed or cached."""

from __future__ import annotations

from typing import cast

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse


def stored_pdf_response(
    key: str, filename: str, *, inline: bool = False
) -> HttpResponse:
    # Our own PDFs may open in the browser's viewer (to read or print); uploaded files
    # never do (uploads.downloads).
    response = FileResponse(
        default_storage.open(key, "rb"),
        content_type="application/pdf",
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A FileResponse streams; the view decorators only pass it through.
    return cast(HttpResponse, response)
