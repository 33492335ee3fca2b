from __future__ import annotations

from django.urls import path

from .views import change_requests as views_change_requests
from .views import paste as views_paste
from .views import sheets as views

# The URL names stay in the "iamis" namespace: these are the IAMIS screens.
app_name = "iamis"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("units/<uuid:unit_id>/", views.marksheet, name="marksheet"),
    path(
        "units/<uuid:unit_id>/candidates/<int:candidate_no>/",
        views.mark_cell,
        name="mark_cell",
    ),
    path("units/<uuid:unit_id>/submit/", views.submit, name="submit"),
    path(
        "units/<uuid:unit_id>/submitted/<uuid:submission_id>/",
        views.submitted,
        name="submitted",
    ),
    path(
        "units/<uuid:unit_id>/moderator/",
        views.moderator_details,
        name="moderator_details",
    ),
    path("units/<uuid:unit_id>/print/", views.print_marksheet, name="print"),
    path("units/<uuid:unit_id>/paste/", views_paste.paste, name="paste"),
    path("units/<uuid:unit_id>/export.csv", views_paste.export_csv, name="export_csv"),
    path(
        "candidates/<int:candidate_no>/",
        views.candidate_detail,
        name="candidate_detail",
    ),
    path(
        "units/<uuid:unit_id>/change-request/",
        views_change_requests.change_request_new,
        name="change_request_new",
    ),
    path(
        "change-requests/",
        views_change_requests.change_request_list,
        name="change_requests",
    ),
    path(
        "change-requests/<uuid:change_request_id>/",
        views_change_requests.change_request_detail,
        name="change_request_detail",
    ),
]
