from __future__ import annotations

from django.urls import include, path

from .views import centre_users, password_reset, profile, sign_in

app_name = "accounts"

# Centre Users: list, invite, manage access, remove (exams officers and Admin accounts).
centre_user_patterns = [
    path("", centre_users.centre_users, name="centre_users"),
    path("invite/", centre_users.invite_user, name="invite_user"),
    path(
        "invites/<uuid:invite_id>/resend/",
        centre_users.invite_resend,
        name="invite_resend",
    ),
    path(
        "invites/<uuid:invite_id>/revoke/",
        centre_users.invite_revoke,
        name="invite_revoke",
    ),
    path("<uuid:member_id>/access/", centre_users.member_access, name="member_access"),
    path("<uuid:member_id>/remove/", centre_users.member_remove, name="member_remove"),
    path("audit/", centre_users.centre_audit, name="centre_audit"),
]

# Edit your profile: name, language, password, authenticator.
profile_patterns = [
    path("", profile.profile, name="profile"),
    path("password/", profile.password_change, name="password_change"),
    path("reminders/", profile.reminders, name="reminders"),
    path(
        "authenticator/",
        profile.replace_authenticator,
        name="replace_authenticator",
    ),
]

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign_in"),
    path("sign-in/password/", sign_in.sign_in_password, name="sign_in_password"),
    path("sign-in/code/", sign_in.sign_in_code, name="sign_in_code"),
    path("sign-in/authenticator/", sign_in.enrol, name="enrol"),
    path("sign-in/recovery-codes/", sign_in.recovery_codes, name="recovery_codes"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("centre/", sign_in.choose_centre, name="choose_centre"),
    path("invite/<str:token>/", sign_in.invite_accept, name="invite_accept"),
    path("password-reset/", password_reset.request_reset, name="password_reset"),
    path("password-reset/sent/", password_reset.reset_sent, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        password_reset.reset_complete,
        name="password_reset_complete",
    ),
    path("users/", include(centre_user_patterns)),
    path("profile/", include(profile_patterns)),
]
