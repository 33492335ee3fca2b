from __future__ import annotations

from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.index, name="index"),
    path("outcomes/<uuid:outcome_id>/", views.outcome, name="outcome"),
    path(
        "change-requests/<uuid:request_id>/",
        views.change_request,
        name="change_request",
    ),
]
