"""PDFs the workers make (reports, certificates): rendering and storing one, and serving
it back never sniffed or cached."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.files import File
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


@dataclass(frozen=True)
class StoredPdf:
    key: str
    size: int
    pages: int


def pdf_store(html: str, key: str) -> StoredPdf:
    """Render `html` with WeasyPrint and store it under exactly `key`, replacing what a
    crashed earlier run left there, so a rerun never makes a second file."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    with tempfile.TemporaryFile() as pdf:
        document.write_pdf(target=pdf)
        size = pdf.tell()
        pdf.seek(0)
        default_storage.delete(key)
        saved = default_storage.save(key, File(pdf, name=key))
    return StoredPdf(key=saved, size=size, pages=len(document.pages))
