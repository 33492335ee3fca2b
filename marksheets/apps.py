from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarksheetsConfig(AppConfig):
    """IAMIS's screens for centres: they show the marks with what sampling, uploads and
    moderation add to them, so they sit above those apps; the marks domain they show
    (models and rules) is `iamis`, below."""

    name = "marksheets"
    verbose_name = _("IAMIS screens")
