"""Manage Centre and change of exams officer."""

from __future__ import annotations

from django.urls import path

from .views import centre

urlpatterns = [
    path("", centre.manage_centre, name="manage_centre"),
    path("exams-officer-change/", centre.eo_change_public, name="eo_change_public"),
    path(
        "exams-officer-change/<uuid:change_id>/",
        centre.eo_change_status,
        name="eo_change_status",
    ),
]
