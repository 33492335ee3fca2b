from __future__ import annotations

from django.urls import include, path

from . import views

app_name = "reports"

# The moderator's own report, for the moderator allocated to the centre's unit.
moderator = [
    path("pdf/", views.moderator_report_pdf, name="moderator_report_pdf"),
    path(
        "renders/<uuid:render_id>/",
        views.moderator_render_status,
        name="moderator_render",
    ),
    path(
        "renders/<uuid:render_id>/download/",
        views.moderator_render_download,
        name="moderator_render_download",
    ),
]

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
    path(
        "units/<uuid:unit_id>/moderator-report/pdf/",
        views.centre_moderator_report_pdf,
        name="centre_moderator_report_pdf",
    ),
    path(
        "moderation/centres/<int:centre_number>/units/<uuid:unit_id>/",
        include(moderator),
    ),
]
