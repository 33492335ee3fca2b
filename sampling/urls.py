from __future__ import annotations

from django.urls import path

from . import views

app_name = "sampling"

urlpatterns = [
    path("units/<uuid:unit_id>/samples/", views.samples, name="samples"),
    path(
        "units/<uuid:unit_id>/samples/<int:candidate_no>/add/",
        views.member_add,
        name="member_add",
    ),
    path(
        "units/<uuid:unit_id>/samples/<int:candidate_no>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "units/<uuid:unit_id>/samples/<int:candidate_no>/substitute/",
        views.substitute,
        name="substitute",
    ),
]
