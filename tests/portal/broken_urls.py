"""A URL configuration for tests only: one view that fails, to see the 500 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail in /srv/app/portal/views.py")


urlpatterns = [path("broken/", broken)]
