"""The root URL configuration: every app's URLs under their own prefix."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("portal.urls")),
    path("accounts/", include("accounts.urls")),
    path("iamis/", include("iamis.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("board/", admin.site.urls),
]
