"""Helpers for tests that need marks on a sheet."""

from __future__ import annotations

from iamis.marks import mark_save_cell
from iamis.models import Entry, Mark


def fill(entry: Entry, value: str, *, field: str = "task-1", user=None, confirm=False):
    """Save one cell as a teacher would, against the mark's current version."""
    mark = Mark.objects.filter(entry=entry).first()
    version = mark.version if mark is not None else 0
    return mark_save_cell(
        centre=entry.centre,
        entry=entry,
        field=field,
        raw_value=value,
        seen_version=version,
        confirm_absent=confirm,
        acting_user=user,
    )


# Typed values that are not marks: superscript two, circled one, Arabic-Indic five,
# full-width five (the last two are read as 5 by int()), a sign, an exponent, a decimal.
NOT_MARKS = ["\u00b2", "\u2460", "\u0665", "\uff15", "-1", "1e3", "12.5"]
