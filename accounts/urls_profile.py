"""Edit your profile: name, language, password, authenticator."""

from __future__ import annotations

from django.urls import path

from .views import profile

urlpatterns = [
    path("", profile.profile, name="profile"),
    path("password/", profile.password_change, name="password_change"),
    path("reminders/", profile.reminders, name="reminders"),
    path(
        "authenticator/",
        profile.replace_authenticator,
        name="replace_authenticator",
    ),
]
