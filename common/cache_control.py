"""No page for a signed-in person is kept by a browser or a proxy.

Every response to someone signed in, or part-way through signing in, gets
`Cache-Control: no-store` (ASVS 14.3.2): at a shared school computer the next person
cannot bring a marksheet back from the browser's cache after the first has signed out.
Other responses (the sign-in page, the public change-of-exams-officer form) are
`private, no-cache`: no shared cache keeps them, since each carries its visitor's CSRF
token and CSP nonce, and the browser asks again before reusing its own copy (so Back
still works, but a stale token is never used). A response that sets its own
Cache-Control keeps it: downloads and the upload protocol already say `no-store`, and
WhiteNoise's static files never reach this middleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _signed_in_or_signing_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    # A pending sign-in (or invite) lives in the session of someone not yet signed in.
    session = getattr(request, "session", None)
    return session is not None and not session.is_empty()


class CacheControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if _signed_in_or_signing_in(request):
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response
