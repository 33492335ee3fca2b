"""Session lifetime: 20 minutes idle and 12 hours in all (ASVS 7.3.1, 7.3.2).

Django's cookie age alone cannot tell "idle" from "too old", nor tell the person why they
were signed out; this middleware keeps both times in the session and says which ended it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from centres.tenancy import remember_memberships
from common.polling import is_background_poll

if TYPE_CHECKING:
    from accounts.models import User

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            reason = None
            # `last_seen` may lag real activity by up to SESSION_TOUCH_SECONDS (it is
            # written at most that often), so idleness counts from after that lag.
            idle_limit = settings.SESSION_IDLE_SECONDS + settings.SESSION_TOUCH_SECONDS
            if now - last_seen > idle_limit:
                reason = "idle"
            elif now - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                reason = "expired"
            if reason is not None:
                logout(request)
                query = urlencode({"reason": reason, "next": request.get_full_path()})
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(
                        f"{reverse('accounts:sign_in')}?{query}"
                    )
                return redirect(f"{reverse('accounts:sign_in')}?{query}")
            stale = now - session.get(LAST_SEEN, 0) >= settings.SESSION_TOUCH_SECONDS
            if stale and not is_background_poll(request):
                session[LAST_SEEN] = now
        return self.get_response(request)


def start_session_clock(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """Every sign-in (user_logged_in) starts both clocks and notes the person's
    centres, so the first page after it need not write the session again."""
    now = int(timezone.now().timestamp())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    remember_memberships(request, user)
