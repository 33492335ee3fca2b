from __future__ import annotations

from django.urls import include, path

from . import views
from .views import centre

app_name = "portal"

# Manage Centre and change of exams officer.
centre_patterns = [
    path("", centre.manage_centre, name="manage_centre"),
    path("exams-officer-change/", centre.eo_change_public, name="eo_change_public"),
    path(
        "exams-officer-change/<uuid:change_id>/",
        centre.eo_change_status,
        name="eo_change_status",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("centre/", include(centre_patterns)),
]
