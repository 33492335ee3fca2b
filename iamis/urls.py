from __future__ import annotations

from django.urls import path

from . import views

app_name = "iamis"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<uuid:unit_id>/", views.unit_entries, name="unit_entries"),
    path(
        "candidates/<int:candidate_no>/",
        views.candidate_detail,
        name="candidate_detail",
    ),
]
