from __future__ import annotations

from django.urls import path

from . import views_centre

app_name = "moderation_centre"

urlpatterns = [
    path(
        "units/<uuid:unit_id>/moderator-report/",
        views_centre.centre_report,
        name="centre_report",
    ),
]
