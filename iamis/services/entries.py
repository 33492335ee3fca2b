"""Writes for IAMIS. Each service is keyword-only and runs in one transaction."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Count, F, Func, IntegerField, Max, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from centres.models import CENTRE_NUMBER_MAX, Centre
from common import scoping
from common.numbers import is_whole_number

from ..models import CANDIDATE_NUMBER_MAX, Candidate, Entry, Mark, Series, Task, Unit

if TYPE_CHECKING:
    from accounts.models import User

ENTRY_COLUMNS = (
    "centre_number",
    "candidate_number",
    "surname",
    "forename",
    "date_of_birth",
    "unit_code",
)
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
_NAME_MAX = 100


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)d: %(message)s") % {
            "line": self.line,
            "message": self.message,
        }


@dataclass
class EntriesImportResult:
    problems: list[ImportProblem] = field(default_factory=list)
    rows: int = 0
    candidates_created: int = 0
    candidates_updated: int = 0
    entries_created: int = 0
    entries_already_present: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Row:
    line: int
    centre_number: int
    candidate_number: int
    surname: str
    forename: str
    date_of_birth: date
    unit_code: str

    @property
    def person(self) -> tuple[str, str, date]:
        return (self.surname, self.forename, self.date_of_birth)


def _header_key(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _parse_date(raw: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def _parse_row(line: int, raw: dict[str, str]) -> tuple[_Row | None, list[str]]:
    errors: list[str] = []
    values = {key: (raw.get(key) or "").strip() for key in ENTRY_COLUMNS}

    centre_number = values["centre_number"]
    if not is_whole_number(centre_number) or int(centre_number) > CENTRE_NUMBER_MAX:
        errors.append(
            _("centre number %(value)r is not a number from 0 to 79999")
            % {"value": centre_number}
        )
    candidate_number = values["candidate_number"]
    if (
        not is_whole_number(candidate_number)
        or not 1 <= int(candidate_number) <= CANDIDATE_NUMBER_MAX
    ):
        errors.append(
            _("candidate number %(value)r is not a number from 1 to 9999")
            % {"value": candidate_number}
        )
    for key, label in (("surname", _("surname")), ("forename", _("forename"))):
        if not values[key]:
            errors.append(_("%(field)s is empty") % {"field": label})
        elif len(values[key]) > _NAME_MAX:
            errors.append(
                _("%(field)s is longer than %(max)d characters")
                % {"field": label, "max": _NAME_MAX}
            )
    date_of_birth = _parse_date(values["date_of_birth"])
    if date_of_birth is None:
        errors.append(
            _("date of birth %(value)r is not a date (use DD/MM/YYYY)")
            % {"value": values["date_of_birth"]}
        )
    if not values["unit_code"]:
        errors.append(_("unit code is empty"))
    if errors or date_of_birth is None:
        return None, errors
    return (
        _Row(
            line=line,
            centre_number=int(centre_number),
            candidate_number=int(candidate_number),
            surname=values["surname"],
            forename=values["forename"],
            date_of_birth=date_of_birth,
            unit_code=values["unit_code"].upper(),
        ),
        [],
    )


def _read_rows(lines: Iterable[str], result: EntriesImportResult) -> list[_Row]:
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        result.problems.append(ImportProblem(1, _("the file is empty")))
        return []
    reader.fieldnames = [_header_key(name) for name in reader.fieldnames]
    missing = [column for column in ENTRY_COLUMNS if column not in reader.fieldnames]
    if missing:
        result.problems.append(
            ImportProblem(
                1,
                ngettext(
                    "the header lacks the column %(columns)s; expected %(expected)s",
                    "the header lacks the columns %(columns)s; expected %(expected)s",
                    len(missing),
                )
                % {"columns": ", ".join(missing), "expected": ",".join(ENTRY_COLUMNS)},
            )
        )
        return []
    rows = []
    for raw in reader:
        line = reader.line_num
        if not any(
            (value or "").strip() for value in raw.values() if isinstance(value, str)
        ):
            continue  # blank line
        result.rows += 1
        row, errors = _parse_row(line, raw)
        result.problems.extend(ImportProblem(line, message) for message in errors)
        if row is not None:
            rows.append(row)
    return rows


def _check_references(
    rows: list[_Row], series: Series, result: EntriesImportResult
) -> tuple[dict[int, Centre], dict[str, int]]:
    centres = Centre.objects.in_bulk(
        {row.centre_number for row in rows}, field_name="number"
    )
    units = dict(series.units.values_list("code", "pk"))
    first_seen: dict[tuple[int, int], _Row] = {}
    for row in rows:
        if row.centre_number not in centres:
            result.problems.append(
                ImportProblem(
                    row.line,
                    _("there is no centre %(number)05d")
                    % {"number": row.centre_number},
                )
            )
        if row.unit_code not in units:
            result.problems.append(
                ImportProblem(
                    row.line,
                    _("there is no unit %(code)s in %(series)s")
                    % {"code": row.unit_code, "series": series.name},
                )
            )
        key = (row.centre_number, row.candidate_number)
        earlier = first_seen.setdefault(key, row)
        if earlier.person != row.person:
            result.problems.append(
                ImportProblem(
                    row.line,
                    _("candidate %(number)04d has different details on line %(other)d")
                    % {"number": row.candidate_number, "other": earlier.line},
                )
            )
    return centres, units


def entries_import(
    *, series: Series, lines: Iterable[str], acting_user: User | None
) -> EntriesImportResult:
    """Import processed entries for one series: all rows, or none when any row is wrong.

    Columns: centre_number, candidate_number, surname, forename, date_of_birth, unit_code.
    Candidates are created, or their details brought up to date; entries already present are
    left alone, so importing the same file twice changes nothing.
    """
    result = EntriesImportResult()
    rows = _read_rows(lines, result)
    if not rows and not result.problems:
        result.problems.append(ImportProblem(1, _("the file has no entries")))
    # Every problem in one pass, so a file is fixed in one go.
    centres, units = _check_references(rows, series, result)
    if result.problems:
        result.problems.sort(key=lambda problem: problem.line)
        return result

    with transaction.atomic():
        candidates = _upsert_candidates(rows, centres, result)
        _create_entries(rows, candidates, units, result)
    return result


def _upsert_candidates(
    rows: list[_Row], centres: dict[int, Centre], result: EntriesImportResult
) -> dict[tuple[int, int], Candidate]:
    wanted = {(row.centre_number, row.candidate_number): row for row in rows}
    existing: dict[tuple[int, int], Candidate] = {}
    for centre_number in {key[0] for key in wanted}:
        numbers = [key[1] for key in wanted if key[0] == centre_number]
        for candidate in Candidate.objects.select_for_update().filter(
            centre=centres[centre_number], number__in=numbers
        ):
            existing[(centre_number, candidate.number)] = candidate

    to_create: list[Candidate] = []
    to_update: list[Candidate] = []
    for key, row in wanted.items():
        found = existing.get(key)
        if found is None:
            candidate = Candidate(
                centre=centres[key[0]],
                number=row.candidate_number,
                surname=row.surname,
                forename=row.forename,
                date_of_birth=row.date_of_birth,
            )
            to_create.append(candidate)
            existing[key] = candidate
        elif (found.surname, found.forename, found.date_of_birth) != row.person:
            found.surname, found.forename, found.date_of_birth = row.person
            to_update.append(found)
    Candidate.objects.bulk_create(to_create)
    Candidate.objects.bulk_update(to_update, ["surname", "forename", "date_of_birth"])
    result.candidates_created = len(to_create)
    result.candidates_updated = len(to_update)
    return existing


def _create_entries(
    rows: list[_Row],
    candidates: dict[tuple[int, int], Candidate],
    units: dict[str, int],
    result: EntriesImportResult,
) -> None:
    wanted = {
        (candidates[(row.centre_number, row.candidate_number)], units[row.unit_code])
        for row in rows
    }
    present = set(
        Entry.objects.filter(
            candidate__in={candidate for candidate, _unit in wanted},
            unit_id__in={unit_id for _candidate, unit_id in wanted},
        ).values_list("candidate_id", "unit_id")
    )
    new_entries = [
        Entry(centre_id=candidate.centre_id, candidate=candidate, unit_id=unit_id)
        for candidate, unit_id in wanted
        if (candidate.pk, unit_id) not in present
    ]
    Entry.objects.bulk_create(new_entries)
    result.entries_created = len(new_entries)
    result.entries_already_present = len(wanted) - len(new_entries)


def entries_import_file(
    *, series: Series, data: bytes, acting_user: User | None
) -> EntriesImportResult:
    """The same import from an uploaded file's bytes (UTF-8, with or without a BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return EntriesImportResult(
            problems=[
                ImportProblem(1, _("the file is not UTF-8 text (save it as CSV UTF-8)"))
            ]
        )
    return entries_import(
        series=series, lines=io.StringIO(text, newline=""), acting_user=acting_user
    )


# --- What a unit's marks mean -----------------------------------------------------------

# The unit's and its tasks' fields that submitted marks are measured against. A task's
# name and the unit's other details may change at any time.
UNIT_STRUCTURE_FIELDS = frozenset(
    {"assessment", "grade_scale", "tasks", "number", "max_mark", "unit"}
)


def unit_marks_submitted(*, unit: Unit) -> bool:
    """Whether any centre has submitted a mark for the unit."""
    # A board-wide question (any centre's mark counts), asked from the back office.
    with scoping.every_centre("iamis.unit_marks_submitted"):
        return Mark.objects.filter(unit=unit, is_locked=True).exists()


def unit_structure_check(*, unit: Unit, changed: Iterable[str]) -> None:
    """Refuse a change to what the unit's marks mean (its tasks, their maximum marks,
    its grade scale) once any mark for it is submitted: a maximum lowered from 100 to
    50 would leave submitted marks of 91 above it. PostgreSQL refuses it as well
    (iamis migration 0006). `changed` names the fields changed, "tasks" for a task
    added or removed."""
    if unit.pk is None or not UNIT_STRUCTURE_FIELDS.intersection(changed):
        return
    if unit_marks_submitted(unit=unit):
        raise ValidationError(
            _(
                "Marks for this unit have been submitted, so its tasks, their maximum "
                "marks and its grade scale can no longer be changed. Submitted marks "
                "change only through mark change requests."
            ),
            code="marks_submitted",
        )


def task_maximum_check(*, task: Task, max_mark: int) -> None:
    """Refuse to lower a task's maximum below a mark already saved for it (at any
    centre, submitted or not): the sheet would hold marks its own rule refuses.
    PostgreSQL refuses it as well (iamis migration 0006)."""
    stored = (
        Task.objects.filter(pk=task.pk).values("number", "max_mark", "name").first()
    )
    if stored is None or max_mark >= stored["max_mark"]:
        return
    with scoping.every_centre("iamis.task_maximum_check"):
        over = (
            Mark.objects.filter(unit_id=task.unit_id)
            .annotate(
                # jsonb_extract_path_text, not KeyTextTransform: a key of digits
                # would be read as an array index.
                value=Cast(
                    Func(
                        F("task_marks"),
                        Value(str(stored["number"])),
                        function="jsonb_extract_path_text",
                        output_field=CharField(),
                    ),
                    IntegerField(),
                )
            )
            .filter(value__gt=max_mark)
            .aggregate(count=Count("pk"), highest=Max("value"))
        )
    if over["count"]:
        raise ValidationError(
            ngettext(
                "%(count)d saved mark for %(task)s is above %(max)d (the highest is "
                "%(highest)d): the maximum cannot be lowered below a mark already "
                "saved.",
                "%(count)d saved marks for %(task)s are above %(max)d (the highest is "
                "%(highest)d): the maximum cannot be lowered below a mark already "
                "saved.",
                over["count"],
            )
            % {
                "count": over["count"],
                "task": stored["name"],
                "max": max_mark,
                "highest": over["highest"],
            },
            code="marks_above_maximum",
        )
