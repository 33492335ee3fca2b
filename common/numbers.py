"""Whole numbers typed by people: ASCII digits 0-9 only.

Python's `int()`, `str.isdigit()` and `\\d` accept digits of every script (Arabic-Indic
and full-width five both read as 5) and `isdigit()` even accepts superscript two and
circled one, which `int()` then rejects with a 500. Every value a
person types that becomes a number goes through here instead.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

_WHOLE_NUMBER = re.compile(r"[0-9]+")


def is_whole_number(text: str) -> bool:
    """True for one or more ASCII digits and nothing else (no sign, no spaces)."""
    return _WHOLE_NUMBER.fullmatch(text) is not None


def whole_number_or_none(text: str | None) -> int | None:
    """The number `text` spells (surrounding spaces allowed), or None for anything else."""
    stripped = (text or "").strip()
    return int(stripped) if is_whole_number(stripped) else None


class WholeNumberField(forms.IntegerField):
    """An IntegerField that takes ASCII digits only (Django's reads Arabic-Indic five as 5)."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if not isinstance(value, int) and not is_whole_number(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
