from __future__ import annotations

from django.apps import AppConfig


class IamisConfig(AppConfig):
    name = "iamis"
    verbose_name = "IAMIS"
