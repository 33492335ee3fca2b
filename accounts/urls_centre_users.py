"""Centre Users: list, invite, manage access, remove (exams officers and Admin accounts)."""

from __future__ import annotations

from django.urls import path

from .views import centre_users as views

urlpatterns = [
    path("", views.centre_users, name="centre_users"),
    path("invite/", views.invite_user, name="invite_user"),
    path("invites/<uuid:invite_id>/resend/", views.invite_resend, name="invite_resend"),
    path("invites/<uuid:invite_id>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("<uuid:member_id>/access/", views.member_access, name="member_access"),
    path("<uuid:member_id>/remove/", views.member_remove, name="member_remove"),
    path("audit/", views.centre_audit, name="centre_audit"),
]
