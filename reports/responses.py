"""The render status page and the PDF download, shared by the centre's and the
moderator's URLs (each view does its own access check first)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render as render_page

from common.files import stored_pdf_response

from .models import ReportRender


def render_status(
    request: HttpRequest,
    render: ReportRender,
    *,
    download_url: str,
    back_url: str,
) -> HttpResponse:
    """Polls (htmx) while the worker renders, then shows the download link."""
    context = {
        "render": render,
        "download_url": download_url,
        "back_url": back_url,
        "done": render.status != ReportRender.Status.PENDING,
    }
    template = "reports/render.html"
    if getattr(request, "htmx", False):
        template += "#render-status"
    return render_page(request, template, context)


def render_download(render: ReportRender) -> HttpResponse:
    if render.status != ReportRender.Status.READY or not render.storage_key:
        raise Http404
    return stored_pdf_response(render.storage_key, render.file_name)
