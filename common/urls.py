"""Absolute links for e-mails, also when no request is at hand (tasks, the shell)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{path}" if base else path
