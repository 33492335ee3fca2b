"""Helpers for tests that need marks on a sheet."""

from __future__ import annotations

from datetime import date

from iamis.models import Candidate, Entry, Mark, Unit
from iamis.services.marks import mark_save_cell
from tests.factories import TaskFactory, UnitFactory


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


def bulk_sheet(
    centre, *, candidates: int, first: int, tasks: int = 1, initials: bool = False
) -> Unit:
    """A unit of `candidates` entries numbered from `first`, each task out of 40, made
    in bulk (a 2,000-candidate sheet in a second)."""
    unit = UnitFactory(code=f"39{first // 100:02d}U9", initials_required=initials)
    for number in range(1, tasks + 1):
        TaskFactory(unit=unit, number=number, max_mark=40)
    made = Candidate.objects.bulk_create(
        Candidate(
            centre=centre,
            number=first + i,
            surname=f"Bulk{i:04d}",
            forename="Sam",
            date_of_birth=date(2010, 9, 1),
        )
        for i in range(candidates)
    )
    Entry.objects.bulk_create(
        Entry(centre=centre, candidate=candidate, unit=unit) for candidate in made
    )
    return unit
