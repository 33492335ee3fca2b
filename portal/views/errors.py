"""Error pages that need a view of their own (Django's handlers cover 403, 404 and 500)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (settings.CSRF_FAILURE_VIEW).

    Django's own page explains cookies and the Referer header to developers; people
    need to know their form was not sent and how to send it again. The reason stays in
    the log (django.security.csrf), never on the page.
    """
    return render(request, "403_csrf.html", status=403)
