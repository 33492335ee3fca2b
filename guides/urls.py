from __future__ import annotations

from django.urls import path

from . import views

app_name = "guides"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:topic>/", views.topic, name="topic"),
]
