"""What one marksheet row shows: built from an entry and its mark, with any message a save
produced. Kept apart from the views so the page, the htmx partial and the no-JavaScript form
render the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from iamis.models import Candidate, Entry, Mark, Task, Unit
from iamis.services.marks import CellResult

if TYPE_CHECKING:
    from moderation.models import ClericalCorrection


@dataclass
class Cell:
    field: str
    label: str
    value: str
    max_mark: int | None = None
    error: str = ""
    accepted: bool = False
    # The moderator's clerical correction of this value, shown beside it in red.
    amended: str = ""
    # What the teacher is told about the value in words: "saved" (the server holds it),
    # "refused", "confirm" (absent awaiting confirmation) or "" (nothing entered).
    state: str = ""

    @property
    def max_digits(self) -> int:
        return len(str(self.max_mark)) if self.max_mark else 0


@dataclass
class Row:
    entry: Entry
    mark: Mark | None
    cells: list[Cell]
    initials: Cell | None
    version: int
    locked: bool
    # Precomputed once per row: the template would otherwise format the number and
    # reverse the URL for every cell (a real cost on a 500-row sheet).
    key: str = ""
    url: str = ""
    in_sample: bool = False
    # In the sample once, but its work was unavailable and another candidate replaces it.
    sample_replaced: bool = False
    # Changed after submission by an approved mark change request.
    amended_by_request: bool = False
    message: str = ""
    needs_absent_confirmation: bool = False
    absent_field: str = ""
    conflict: bool = False
    # The refused value of a conflict and its cell, offered to save over the other's.
    conflict_field: str = ""
    conflict_value: str = ""
    saved: bool = False
    errors: list[str] = field(default_factory=list)
    amended_total: str = ""

    @property
    def candidate(self) -> Candidate:
        return self.entry.candidate

    @property
    def total(self) -> str:
        mark = self.mark
        if mark is None:
            return ""
        if mark.status != Mark.Status.MARKED:
            return mark.display_value
        return "" if mark.total is None else str(mark.total)

    @property
    def amended_value(self) -> str:
        """The moderator's clerical correction of the total (or outcome), if any."""
        if self.amended_total:
            return self.amended_total
        return self.cells[0].amended if len(self.cells) == 1 else ""

    @property
    def is_complete(self) -> bool:
        return bool(self.mark and self.mark.is_complete)


def _mark_of(entry: Entry) -> Mark | None:
    try:
        return entry.mark
    except Mark.DoesNotExist:
        return None


def _task_value(mark: Mark | None, task: Task) -> str:
    if mark is None:
        return ""
    if mark.status != Mark.Status.MARKED:
        return mark.display_value
    value = mark.task_marks.get(str(task.number))
    return "" if value is None else str(value)


def build_row(entry: Entry, unit: Unit, tasks: list[Task], url_prefix: str = "") -> Row:
    mark = _mark_of(entry)
    if unit.is_outcome_unit:
        grade = mark.display_value if mark is not None else ""
        cells = [Cell("grade", str(_("Grade")), grade)]
    else:
        cells = [
            Cell(f"task-{t.number}", t.name, _task_value(mark, t), max_mark=t.max_mark)
            for t in tasks
        ]
    initials = (
        Cell("initials", str(_("Teacher initials")), mark.initials if mark else "")
        if unit.initials_required
        else None
    )
    for cell in [*cells, *([initials] if initials else [])]:
        cell.state = "saved" if cell.value else ""
    row = Row(
        entry=entry,
        mark=mark,
        cells=cells,
        initials=initials,
        version=mark.version if mark is not None else 0,
        locked=bool(mark and mark.is_locked),
        key=str(entry.candidate.number),
        url=f"{url_prefix}{entry.candidate.number}/",
    )
    members = getattr(entry, "membership", None) or []
    row.in_sample = any(not member.work_unavailable for member in members)
    row.sample_replaced = bool(members) and not row.in_sample
    row.amended_by_request = bool(getattr(entry, "changed_by_request", False))
    corrections = getattr(entry, "corrections", None)
    if corrections:
        _show_correction(row, corrections[0], tasks)
    return row


def _show_correction(
    row: Row, correction: ClericalCorrection, tasks: list[Task]
) -> None:
    if correction.grade:
        row.cells[0].amended = correction.grade
        return
    for cell, task in zip(row.cells, tasks, strict=False):
        cell.amended = correction.task_value(task.number)
    if correction.total is not None:
        row.amended_total = str(correction.total)
        if len(tasks) == 1 and not row.cells[0].amended:
            row.cells[0].amended = row.amended_total


def row_after_save(
    entry: Entry,
    unit: Unit,
    tasks: list[Task],
    *,
    field_name: str,
    typed: str,
    result: CellResult,
    url_prefix: str = "",
) -> Row:
    """The row as it now stands, plus what the save said about the typed value."""
    if result.mark is not None:
        entry.mark = result.mark
    row = build_row(entry, unit, tasks, url_prefix)
    target = row.initials if field_name == "initials" else None
    target = target or next((c for c in row.cells if c.field == field_name), None)
    if result.conflict:
        row.conflict = True
        if target is not None and typed.strip() != target.value:
            row.conflict_field, row.conflict_value = field_name, typed.strip()
        row.message = str(
            _(
                "Someone else changed this row after you opened the sheet. Their "
                "value: %(theirs)s. Yours (%(typed)s) was not saved."
            )
            % {
                "theirs": (target.value if target is not None else "") or "-",
                "typed": typed.strip() or "-",
            }
        )
    elif result.needs_absent_confirmation:
        row.needs_absent_confirmation = True
        row.absent_field = field_name
        if target is not None:
            target.value = typed
            target.state = "confirm"
        row.message = str(
            _("Please note an ABSENT should only be used if a candidate is absent.")
        )
    elif result.error:
        row.message = result.error
        if target is not None:
            target.error = result.error
            target.value = typed
            target.state = "refused"
    elif target is not None:
        target.accepted = True
        row.saved = True
    return row
