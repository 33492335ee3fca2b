"""Saving what was typed on a marksheet: one cell (the page's inline saves, one request
a cell), or every changed cell of the form the page is without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from centres.models import Centre
from iamis.models import Entry, Task, Unit
from iamis.services import marks
from iamis.services.marks import CellResult

from ..forms.sheet import PostedRow
from ..rows import Row, build_row, row_after_save

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from accounts.models import User


def cell_save(
    *,
    centre: Centre,
    entry: Entry,
    tasks: list[Task],
    field_name: str,
    typed: str,
    version: int | None,
    confirm_absent: bool,
    acting_user: User,
) -> CellResult:
    """Save one typed value; a save that does not say which version of the row it was
    typed against is refused, so it can never overwrite someone else's change."""
    if version is None:
        return CellResult(
            getattr(entry, "mark", None),
            error=_(
                "This save did not say which version of the row it was typed "
                "against, so it was not saved. Reload the page and enter it again."
            ),
        )
    return marks.mark_save_cell(
        centre=centre,
        entry=entry,
        field=field_name,
        raw_value=typed,
        seen_version=version,
        confirm_absent=confirm_absent,
        acting_user=acting_user,
        tasks=tasks,
    )


@dataclass
class SheetSave:
    saved: int = 0
    # The rows that need attention, by candidate number, as the page shows them again.
    problems: dict[int, Row] = field(default_factory=dict)


def sheet_save(
    *,
    centre: Centre,
    unit: Unit,
    tasks: list[Task],
    entries: Iterable[Entry],
    posted: Mapping[int, PostedRow],
    acting_user: User,
) -> SheetSave:
    """Every posted cell whose value differs from what the page showed, each saved
    against the row's version. A refused cell keeps the others: the first problem of a
    row is shown and the row's other cells still save."""
    result = SheetSave()
    for entry in entries:
        number = entry.candidate.number
        row = posted.get(number)
        if row is None:
            continue
        version = row.version
        current = build_row(entry, unit, tasks)
        shown_cells = [
            *current.cells,
            *([current.initials] if current.initials else []),
        ]
        for shown in shown_cells:
            field_name = shown.field
            typed = row.typed.get(field_name)
            if typed is None or typed.strip() == shown.value:
                continue
            saving = cell_save(
                centre=centre,
                entry=entry,
                tasks=tasks,
                field_name=field_name,
                typed=typed,
                version=version,
                confirm_absent=row.confirm_absent,
                acting_user=acting_user,
            )
            if saving.saved:
                result.saved += 1
                version = saving.mark.version if saving.mark else version
                if saving.mark is not None:
                    entry.mark = saving.mark
            elif number not in result.problems:
                result.problems[number] = row_after_save(
                    entry,
                    unit,
                    tasks,
                    field_name=field_name,
                    typed=typed,
                    result=saving,
                )
    return result
