"""Template context every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def session_lifetime(request: HttpRequest) -> dict[str, int]:
    """The idle limit, for the warning shown before a session ends (static/js/session.js)."""
    return {
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
        # The server may keep a session up to this much longer (accounts.middleware).
        "session_touch_seconds": settings.SESSION_TOUCH_SECONDS,
    }
