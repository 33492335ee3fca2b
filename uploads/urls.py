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
    # One file list of View samples as it now stands (polled while a file in it is
    # still being hashed or checked for viruses).
    path(
        "units/<uuid:unit_id>/files/candidates/<int:candidate_no>/",
        views.file_list,
        name="candidate_files",
    ),
    path(
        "units/<uuid:unit_id>/files/group/",
        views.file_list,
        {"kind": "group"},
        name="group_files",
    ),
    path(
        "units/<uuid:unit_id>/files/notes/",
        views.file_list,
        {"kind": "note"},
        name="note_files",
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
