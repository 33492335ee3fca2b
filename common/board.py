"""The exam board's name, as certificates and other documents issued in its name give it."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def board_name() -> str:
    """The board's name in the active language: its Welsh name in Welsh when one is set,
    otherwise its English name; the portal's own name until the board sets one."""
    if get_language() == "cy" and settings.BOARD_NAME_CY:
        return str(settings.BOARD_NAME_CY)
    return str(settings.BOARD_NAME) or _("Internal Assessment Portal")
