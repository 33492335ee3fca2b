from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentresConfig(AppConfig):
    name = "centres"
    verbose_name = _("Centres")

    def ready(self) -> None:
        from . import membership_cache

        membership_cache.connect()
