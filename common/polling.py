"""Requests a page sends by itself to follow work in progress (htmx polling)."""

from __future__ import annotations

from django.http import HttpRequest

BACKGROUND_POLL_HEADER = "X-Background-Poll"


def is_background_poll(request: HttpRequest) -> bool:
    """A page checking on work by itself (a sample, a PDF, a certificate being made).

    Polling elements send this header (`hx-headers` in their templates); such a request
    does not count as activity, so a page left open does not keep the session alive.
    A forged header can only make a session end sooner.
    """
    return request.headers.get(BACKGROUND_POLL_HEADER) == "true"
