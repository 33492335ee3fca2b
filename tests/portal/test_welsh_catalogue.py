"""Welsh on equal terms: every user-facing string in the code has a Welsh translation.

Two checks: the committed catalogue has no untranslated or fuzzy entry, and extracting the
strings afresh from the code (makemessages, in a copy of the tree so the working tree is
left alone) finds none missing either, so a string added without updating the catalogue
fails here rather than showing in English to a Welsh reader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path("locale/cy/LC_MESSAGES/django.po")
# What makemessages skips in bin/test's instructions (README, Welsh): not user-facing.
NOT_EXTRACTED = (".venv", ".tools", ".git", "bench", "tests", "node_modules", "media")


def _msgattrib(flag: str, catalogue: Path) -> str:
    result = subprocess.run(  # noqa: S603 - fixed gettext tool and arguments
        ["msgattrib", flag, "--no-obsolete", str(catalogue)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _entries(po_text: str) -> list[str]:
    return [
        line
        for line in po_text.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


def test_every_string_has_a_welsh_translation():
    assert _msgattrib("--untranslated", ROOT / CATALOGUE) == ""


def test_no_welsh_translation_is_marked_fuzzy():
    assert _msgattrib("--only-fuzzy", ROOT / CATALOGUE) == ""


def test_the_code_has_no_string_missing_from_the_welsh_catalogue(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            *NOT_EXTRACTED, "__pycache__", "*.mo", "staticfiles", "test-artifacts"
        ),
    )
    command = [sys.executable, "manage.py", "makemessages", "-l", "cy", "-v0"]
    command += [f"--ignore={name}" for name in NOT_EXTRACTED]
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        command, cwd=copy, check=True, capture_output=True, env={**os.environ}
    )

    untranslated = _entries(_msgattrib("--untranslated", copy / CATALOGUE))
    fuzzy = _entries(_msgattrib("--only-fuzzy", copy / CATALOGUE))
    assert untranslated == [], f"strings with no Welsh yet: {untranslated}"
    assert fuzzy == [], f"strings whose Welsh is only a guess: {fuzzy}"
