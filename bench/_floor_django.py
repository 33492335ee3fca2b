"""The floor for bench/cpu.py: bare Django with the portal's own settings (database,
secret key, user model, authentication backends), read from the same environment, but
Django's default database sessions (saved only when changed), only the session and
authentication middleware and one view that reads the signed-in user. A session cookie from the
portal signs the same user in here. `/hello/` goes to a second handler with no
middleware at all: Django's own cost for a request.

    DJANGO_SETTINGS_MODULE=bench._floor_django gunicorn bench._floor_django:application

This module is the settings, the URLconf and the WSGI application at once, so the floor
is one file; Django is set up by the first request (gunicorn's start-up probe), since it
imports this module as its settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.settings import *  # noqa: F403 - the portal's settings, then the floor's changes

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "bench._floor_django"
# The floor is bare Django's own session set-up, fixed whatever the portal uses,
# so that a cheaper session in the portal shows as a lower ratio.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_SAVE_EVERY_REQUEST = False


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"hello", content_type="text/plain")


def signed_in(request: HttpRequest) -> HttpResponse:
    """The user from the session: one query for the session, one for the user."""
    if not request.user.is_authenticated:
        return HttpResponse(b"signed out", status=403, content_type="text/plain")
    return HttpResponse(f"hello {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("hello/", hello),
    path("signed-in/", signed_in),
]

_handlers: dict[str, Callable[..., Iterable[bytes]]] = {}


def _load() -> None:
    import django
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    django.setup(set_prefix=False)
    _handlers["floor"] = WSGIHandler()
    with override_settings(MIDDLEWARE=[]):
        _handlers["bare"] = WSGIHandler()


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    if not _handlers:
        _load()
    bare = environ.get("PATH_INFO") == "/hello/"
    return _handlers["bare" if bare else "floor"](environ, start_response)
