from __future__ import annotations

from django.urls import include, path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("centre/", include("portal.urls_centre")),
]
