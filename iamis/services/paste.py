"""Paste from a spreadsheet: read marks copied from Excel, Sheets or LibreOffice, preview
every line as accepted or refused, then save the accepted lines.

Two shapes are understood:

- a single column of values, one line per candidate in the order the sheet shows them
  (candidate number order unless the teacher chose name order); the number of lines must
  equal the number of candidates, or nothing is used: a missing line would shift every
  mark below it onto the wrong candidate;
- candidate number + values: the candidate number, then one column per task (or the
  grade for an outcome unit), then the teacher's initials where the unit asks for them.

Every value goes through `marks.parse_cell`, so a refusal reads exactly as it does on the
marksheet. Saving goes through `marks.mark_save_cell` with the version each mark had when
the preview was made: a row someone changed since is reported, never overwritten.

Choices the guides leave open, written down here:

- A blank cell leaves the value as it is (pasting never clears a mark); a line with no
  value at all is refused.
- A heading row is the first line whose first cell has a letter in it and is not a value
  (A, CF, a grade): "Candidate No", "Mark".
- A candidate pasted twice is refused on every line: which value is right is unknowable.
- Absent or carry forward stands for the whole row: the other mark columns must be empty.
- Candidate numbers may lose their leading zeros in a spreadsheet ("12" is 0012).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from centres.models import Centre
from common.service_errors import service_message

from ..models import Entry, MarkChange, Task, Unit
from .marks import (
    ABSENT_GRADE,
    ABSENT_INPUTS,
    CARRY_FORWARD_INPUTS,
    Parsed,
    mark_save_cell,
    parse_cell,
)

if TYPE_CHECKING:
    from accounts.models import User

# A sheet holds a few hundred candidates; this bounds the work one paste can ask for.
MAX_LINES = 5000
MAX_CHARS = 200_000

# ASCII digits only: `\d` also matches other scripts' digits, which int() accepts.
_CANDIDATE_NUMBER = re.compile(r"[0-9]{1,4}")
_VERSION_PAIR = re.compile(r"([0-9]{1,4}):([0-9]{1,9})")


@dataclass
class PreviewRow:
    """One pasted line: the candidate it names, its values, and why it is refused (if)."""

    line: int
    pasted_number: str
    values: list[str]
    entry: Entry | None = None
    # (marksheet field, raw value) for each non-blank value, in save order.
    cells: list[tuple[str, str]] = field(default_factory=list)
    # The mark's version when the preview was made (0: no mark yet).
    version: int | None = None
    absent: bool = False
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return not self.reason

    @property
    def candidate_number(self) -> str:
        if self.entry is not None:
            return self.entry.candidate.display_number
        return self.pasted_number

    @property
    def name(self) -> str:
        return self.entry.candidate.display_name if self.entry is not None else ""


@dataclass
class Preview:
    rows: list[PreviewRow]
    # Headings of the value columns, as the sheet names them.
    columns: list[str]
    error: str = ""
    header_skipped: bool = False

    @property
    def accepted(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.accepted]

    @property
    def refused(self) -> list[PreviewRow]:
        return [row for row in self.rows if not row.accepted]

    @property
    def absent_count(self) -> int:
        return sum(1 for row in self.accepted if row.absent)

    @property
    def versions(self) -> dict[int, int]:
        """Candidate number -> mark version, for the accepted rows (the confirm form)."""
        return {
            row.entry.candidate.number: row.version
            for row in self.accepted
            if row.entry is not None and row.version is not None
        }


@dataclass(frozen=True)
class PasteResult:
    saved: int
    unchanged: int
    refused: int
    # Display numbers of the candidates someone else changed after the preview.
    conflicts: tuple[str, ...] = ()


def encode_versions(versions: Mapping[int, int]) -> str:
    return " ".join(f"{number}:{version}" for number, version in versions.items())


def decode_versions(text: str) -> dict[int, int]:
    """Read `encode_versions` back; ValueError for anything else."""
    versions: dict[int, int] = {}
    for pair in text.split():
        match = _VERSION_PAIR.fullmatch(pair)
        if match is None:
            raise ValueError(pair)
        versions[int(match[1])] = int(match[2])
    return versions


def split_paste(text: str) -> list[tuple[int, list[str]]]:
    """The pasted text as (line number, cells), blank lines and trailing empty cells
    dropped. Tab wins over semicolon over comma: Excel copies with tabs, and a European
    CSV uses semicolons because its decimal point is a comma."""
    delimiter = next((d for d in ("\t", ";", ",") if d in text), "\t")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: list[tuple[int, list[str]]] = []
    for cells in reader:
        stripped = [cell.strip() for cell in cells]
        while stripped and not stripped[-1]:
            stripped.pop()
        if stripped:
            lines.append((reader.line_num, stripped))
    return lines


def value_columns(unit: Unit, tasks: Sequence[Task]) -> list[tuple[str, str]]:
    """(marksheet field, heading) of each value a line may carry, initials excluded."""
    if unit.is_outcome_unit:
        return [("grade", _("Grade"))]
    return [(f"task-{task.number}", str(task)) for task in tasks]


def _value_words(unit: Unit) -> set[str]:
    words = {*ABSENT_INPUTS, *CARRY_FORWARD_INPUTS, ABSENT_GRADE.lower()}
    return words | {grade.lower() for grade in unit.grade_scale}


def _is_header(first_cell: str, unit: Unit) -> bool:
    return any(
        ch.isalpha() for ch in first_cell
    ) and first_cell.lower() not in _value_words(unit)


def paste_preview(
    *,
    unit: Unit,
    tasks: Sequence[Task],
    entries: Sequence[Entry],
    text: str,
    seen_versions: Mapping[int, int] | None = None,
) -> Preview:
    """Read a paste against the sheet's entries (in the order the sheet shows them, which
    is the order a single column applies in).

    `seen_versions` is None for a first preview: each row then carries its mark's current
    version. On confirm it holds the versions that preview showed, so a row changed since
    fails the save's version check; a line without one was not accepted then, and is not
    saved now.
    """
    columns = value_columns(unit, tasks)
    headings = [heading for _field, heading in columns]
    lines = split_paste(text)
    header_skipped = bool(lines) and _is_header(lines[0][1][0], unit)
    if header_skipped:
        lines = lines[1:]
    if not lines:
        return Preview([], headings, error=_("Paste at least one mark."))
    if len(lines) > MAX_LINES:
        return Preview(
            [],
            headings,
            error=_("Paste at most %(max)d lines at a time.") % {"max": MAX_LINES},
        )

    if all(len(cells) == 1 for _line, cells in lines):
        if len(columns) > 1:
            return Preview(
                [],
                headings,
                error=_(
                    "This unit has %(count)d tasks, so a single column cannot say "
                    "which task a mark is for. Paste the candidate number, then one "
                    "column per task."
                )
                % {"count": len(columns)},
            )
        if len(lines) != len(entries):
            return Preview(
                [],
                headings,
                error=_(
                    "Lines of marks pasted: %(lines)d. Candidates on the sheet: "
                    "%(count)d. They must match, so nothing was used: paste one mark "
                    "per candidate in the order shown, or paste each candidate "
                    "number beside its mark."
                )
                % {"lines": len(lines), "count": len(entries)},
            )
        rows = [
            PreviewRow(
                line=line,
                pasted_number=entry.candidate.display_number,
                values=cells,
                entry=entry,
            )
            for (line, cells), entry in zip(lines, entries, strict=True)
        ]
    else:
        if unit.initials_required:
            headings.append(_("Teacher Initials"))
        by_number = {entry.candidate.number: entry for entry in entries}
        rows = [
            PreviewRow(line=line, pasted_number=cells[0], values=cells[1:])
            for line, cells in lines
        ]
        numbers = Counter(
            int(row.pasted_number)
            for row in rows
            if _CANDIDATE_NUMBER.fullmatch(row.pasted_number)
        )
        for row in rows:
            row.reason = _candidate_problem(row, by_number, numbers)

    for row in rows:
        if not row.reason and row.entry is not None:
            _check_row(row, row.entry, unit, tasks, columns, seen_versions)
        # The preview shows one cell per heading, whatever was pasted.
        row.values = (row.values + [""] * len(headings))[: len(headings)]
    return Preview(rows, headings, header_skipped=header_skipped)


def _candidate_problem(
    row: PreviewRow, by_number: Mapping[int, Entry], numbers: Counter[int]
) -> str:
    if not _CANDIDATE_NUMBER.fullmatch(row.pasted_number):
        return _(
            "“%(value)s” is not a candidate number: the first column needs the "
            "candidate number (up to 4 digits)."
        ) % {"value": row.pasted_number}
    number = int(row.pasted_number)
    row.entry = by_number.get(number)
    if row.entry is None:
        return _(
            "Candidate %(number)04d is not entered for this unit at this centre."
        ) % {"number": number}
    if numbers[number] > 1:
        return _(
            "Candidate %(number)04d is pasted more than once, so none of their "
            "lines is used."
        ) % {"number": number}
    return ""


def _check_row(
    row: PreviewRow,
    entry: Entry,
    unit: Unit,
    tasks: Sequence[Task],
    columns: Sequence[tuple[str, str]],
    seen_versions: Mapping[int, int] | None,
) -> None:
    mark = getattr(entry, "mark", None)
    if mark is not None and mark.is_locked:
        # The same words as the marksheet's refusal (marks.mark_save_cell).
        row.reason = _(
            "These marks have been submitted and cannot be changed here. "
            "Use the mark change request form."
        )
        return
    allowed = len(columns) + (1 if unit.initials_required else 0)
    if len(row.values) > allowed:
        expected = [_("candidate number"), *(heading for _f, heading in columns)]
        if unit.initials_required:
            expected.append(_("teacher initials"))
        row.reason = _("Too many columns: expected %(columns)s.") % {
            "columns": ", ".join(expected)
        }
        return
    fields = [field_name for field_name, _heading in columns] + ["initials"]
    parsed: list[Parsed] = []
    for field_name, raw in zip(fields, row.values, strict=False):
        if not raw:
            continue
        try:
            parsed.append(
                parse_cell(unit=unit, tasks=list(tasks), field=field_name, raw=raw)
            )
        except ValidationError as error:
            row.reason = service_message(error)
            return
        row.cells.append((field_name, raw))
    if not parsed:
        row.reason = _("There is no mark on this line.")
        return
    values = [p for p in parsed if p.action != "initials"]
    whole_row = [p for p in values if p.action in ("absent", "carry_forward")]
    if whole_row and len(values) > 1:
        row.reason = _(
            "A (absent) or CF (carry forward) stands for the whole row: leave the "
            "other mark columns empty."
        )
        return
    row.absent = any(p.action == "absent" for p in values)
    if seen_versions is None:
        row.version = mark.version if mark is not None else 0
    elif entry.candidate.number in seen_versions:
        row.version = seen_versions[entry.candidate.number]
    else:
        row.reason = _(
            "This line was not accepted in the preview you confirmed: preview again "
            "to save it."
        )


class _RowNotSaved(Exception):
    def __init__(self, *, conflict: bool) -> None:
        super().__init__()
        self.conflict = conflict


def paste_apply(
    *,
    centre: Centre,
    unit: Unit,
    preview: Preview,
    acting_user: User | None,
    confirm_absent: bool,
) -> PasteResult:
    """Save the preview's accepted rows, each row whole or not at all.

    Each row is its own transaction, so a long paste never holds every mark of the sheet
    locked (Submit locks them too). A row whose mark changed after the preview is a
    conflict: it keeps the other person's values. Refused rows get their reason on
    `preview` (absent not confirmed, submitted meanwhile).
    """
    if preview.error:
        raise ValidationError(preview.error)
    saved = unchanged = refused = 0
    conflicts: list[str] = []
    for row in preview.rows:
        if not row.accepted:
            refused += 1
            continue
        entry = row.entry
        if entry is None or row.version is None:
            raise ValueError("an accepted row names its entry and version")
        if entry.centre_id != centre.pk or entry.unit_id != unit.pk:
            raise ValueError("entry belongs to another sheet")
        if row.absent and not confirm_absent:
            row.reason = _("Absent was not confirmed, so this line was not saved.")
            refused += 1
            continue
        try:
            with transaction.atomic():
                changed = _save_row(
                    centre=centre,
                    row=row,
                    entry=entry,
                    version=row.version,
                    acting_user=acting_user,
                    confirm_absent=confirm_absent,
                )
        except _RowNotSaved as problem:
            if problem.conflict:
                conflicts.append(row.candidate_number)
            else:
                refused += 1
            continue
        except IntegrityError:
            # Two first saves of one candidate's mark at once: the other one won.
            conflicts.append(row.candidate_number)
            continue
        if changed:
            saved += 1
        else:
            unchanged += 1
    return PasteResult(
        saved=saved, unchanged=unchanged, refused=refused, conflicts=tuple(conflicts)
    )


def _save_row(
    *,
    centre: Centre,
    row: PreviewRow,
    entry: Entry,
    version: int,
    acting_user: User | None,
    confirm_absent: bool,
) -> bool:
    """Save a row's cells; True when its mark changed. Raises _RowNotSaved to roll the
    row back."""
    changed = False
    for field_name, raw in row.cells:
        result = mark_save_cell(
            centre=centre,
            entry=entry,
            field=field_name,
            raw_value=raw,
            seen_version=version,
            confirm_absent=confirm_absent,
            acting_user=acting_user,
            source=MarkChange.Source.PASTE,
        )
        if result.conflict:
            raise _RowNotSaved(conflict=True)
        if not result.saved:
            row.reason = result.error or _("This line was not saved.")
            raise _RowNotSaved(conflict=False)
        if result.mark is not None and result.mark.version != version:
            # The first cell saved took the row lock; the row's next cells follow it.
            changed, version = True, result.mark.version
    return changed
