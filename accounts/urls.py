from __future__ import annotations

from django.urls import include, path

from .views import sign_in

app_name = "accounts"

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign_in"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("centre/", sign_in.choose_centre, name="choose_centre"),
    path("invite/<str:token>/", sign_in.invite_accept, name="invite_accept"),
    path("users/", include("accounts.urls_centre_users")),
    path("profile/", include("accounts.urls_profile")),
]
