from __future__ import annotations

from django.urls import include, path

from .views import password_reset, sign_in

app_name = "accounts"

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
    path("users/", include("accounts.urls_centre_users")),
    path("profile/", include("accounts.urls_profile")),
]
