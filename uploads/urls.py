from __future__ import annotations

from django.urls import path

from . import views

app_name = "uploads"

urlpatterns = [
    path("units/<uuid:unit_id>/uploads/", views.upload_start, name="upload_start"),
    path(
        "units/<uuid:unit_id>/uploads/<uuid:upload_id>/",
        views.upload,
        name="upload",
    ),
    path(
        "units/<uuid:unit_id>/uploads/<uuid:upload_id>/parts/",
        views.upload_parts,
        name="upload_parts",
    ),
    path(
        "units/<uuid:unit_id>/uploads/<uuid:upload_id>/complete/",
        views.upload_complete,
        name="upload_complete",
    ),
    path(
        "units/<uuid:unit_id>/files/<uuid:file_id>/",
        views.file_download,
        name="file_download",
    ),
    path(
        "units/<uuid:unit_id>/files/<uuid:file_id>/delete/",
        views.file_delete,
        name="file_delete",
    ),
]
