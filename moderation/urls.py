from __future__ import annotations

from django.urls import include, path

from .views import centre, moderate, moderator

app_name = "moderation"

allocation = [
    path("", moderator.workspace, name="workspace"),
    path("marks/", moderator.marks, name="marks"),
    path("files/<uuid:file_id>/", moderator.file_download, name="file_download"),
    path("sample.zip", moderator.sample_zip, name="sample_zip"),
    path(
        "candidates/<int:candidate_no>/correction/",
        moderator.correction,
        name="correction",
    ),
    path("further-sample/", moderator.further_sample, name="further_sample"),
    path("report/", moderator.report_edit, name="report"),
    path("moderate/", moderate.moderate, name="moderate"),
    path("moderate/<int:candidate_no>/", moderate.moderate_cell, name="moderate_cell"),
    path("moderate/outcome/", moderate.outcome_panel, name="outcome_panel"),
    path("moderate/propose/", moderate.propose, name="propose"),
]

urlpatterns = [
    path("", moderator.allocations, name="allocations"),
    path("centres/<int:centre_number>/units/<uuid:unit_id>/", include(allocation)),
]

# The centre's side, under /iamis/ in its own namespace (portal/root_urls.py).
centre_urlpatterns = [
    path(
        "units/<uuid:unit_id>/moderator-report/",
        centre.centre_report,
        name="centre_report",
    ),
]
