"""Centre Users: list, invite, manage access, remove (exams officers and Admin accounts)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
