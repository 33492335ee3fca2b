"""Edit your profile: name, language, password, authenticator."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
