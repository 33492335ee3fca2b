from __future__ import annotations

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<uuid:unit_id>/", views.candidate_details, name="candidate_details"),
    path("units/<uuid:unit_id>/pdf/", views.pdf_request, name="pdf_request"),
    path("renders/<uuid:render_id>/", views.render_status, name="render"),
    path(
        "renders/<uuid:render_id>/download/",
        views.render_download,
        name="render_download",
    ),
]
