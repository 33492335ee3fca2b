"""Welsh on equal terms: the catalogue has no untranslated or fuzzy entries."""

from __future__ import annotations

import subprocess
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/cy/LC_MESSAGES/django.po"


def _msgattrib(flag: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed gettext tool and arguments
        ["msgattrib", flag, str(CATALOGUE)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_every_string_has_a_welsh_translation():
    assert _msgattrib("--untranslated") == ""


def test_no_welsh_translation_is_marked_fuzzy():
    assert _msgattrib("--only-fuzzy") == ""
