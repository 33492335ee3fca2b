from __future__ import annotations

from django.urls import include, path

from . import views

app_name = "moderation"

allocation = [
    path("", views.workspace, name="workspace"),
    path("marks/", views.marks, name="marks"),
    path("files/<uuid:file_id>/", views.file_download, name="file_download"),
    path(
        "candidates/<int:candidate_no>/correction/",
        views.correction,
        name="correction",
    ),
    path("further-sample/", views.further_sample, name="further_sample"),
    path("report/", views.report_edit, name="report"),
]

urlpatterns = [
    path("", views.allocations, name="allocations"),
    path("centres/<int:centre_number>/units/<uuid:unit_id>/", include(allocation)),
]
