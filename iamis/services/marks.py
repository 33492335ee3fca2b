"""Mark entry and locking: the rules the server keeps, whatever the browser did.

A cell is one value on the marksheet: a task's mark, an outcome, or the teacher's initials.
Each save names the version of the mark it saw, so two people on one sheet never overwrite
each other silently. `marks_lock` locks every mark of the sheet in one transaction
(submitting a sheet is `sampling.services.marks_submit`, which also asks for the sample);
after that only an approved change request changes a mark (with history).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import Centre
from common import db_rules
from common.numbers import is_whole_number
from common.service_errors import service_message
from outbox.services import notify

from ..models import Entry, Mark, MarkChange, Marksheet, Submission, Task, Unit

if TYPE_CHECKING:
    from accounts.models import User

ABSENT_INPUTS = {"a"}
CARRY_FORWARD_INPUTS = {"c", "cf"}
ABSENT_GRADE = "Absent"
_INITIALS = re.compile(r"^[A-Z]{1,4}$")


@dataclass(frozen=True)
class Parsed:
    """What a typed value means: one of set_task/clear_task/absent/carry_forward/grade/
    initials, with its value."""

    action: str
    task: int | None = None
    value: Any = None


@dataclass
class CellResult:
    mark: Mark | None
    error: str = ""
    needs_absent_confirmation: bool = False
    conflict: bool = False

    @property
    def saved(self) -> bool:
        return not (self.error or self.needs_absent_confirmation or self.conflict)

    @property
    def outcome(self) -> str:
        """One word for the browser's save queue: saved, refused, conflict or confirm."""
        if self.conflict:
            return "conflict"
        if self.needs_absent_confirmation:
            return "confirm"
        return "refused" if self.error else "saved"


def _snapshot(mark: Mark | None) -> dict[str, Any]:
    if mark is None:
        return {"status": "", "task_marks": {}, "grade": "", "initials": ""}
    return {
        "status": mark.status,
        "task_marks": dict(mark.task_marks),
        "grade": mark.grade,
        "initials": mark.initials,
    }


def _entry_hint(unit: Unit) -> str:
    if unit.carry_forward_allowed:
        return _("A for absent, or C for carry forward")
    return _("or A for absent")


def parse_cell(*, unit: Unit, tasks: list[Task], field: str, raw: str) -> Parsed:
    """Read one typed value; raises ValidationError with a message a teacher understands."""
    value = (raw or "").strip()
    if field == "initials":
        initials = value.upper().replace(".", "").replace(" ", "")
        if initials and not _INITIALS.match(initials):
            raise ValidationError(_("Teacher initials are 1 to 4 letters, e.g. AB."))
        return Parsed("initials", value=initials)
    if value.lower() in ABSENT_INPUTS or value.lower() == ABSENT_GRADE.lower():
        return Parsed("absent")
    if value.lower() in CARRY_FORWARD_INPUTS:
        if not unit.carry_forward_allowed:
            raise ValidationError(
                _("Carry forward (C or CF) is not allowed for this unit.")
            )
        return Parsed("carry_forward")
    if field == "grade":
        if not unit.is_outcome_unit:
            raise ValidationError(_("This unit takes marks, not outcomes."))
        if value == "":
            return Parsed("grade", value="")
        for grade in unit.grade_scale:
            if grade.lower() == value.lower():
                return Parsed("grade", value=grade)
        raise ValidationError(
            _("Choose one of: %(grades)s.")
            % {"grades": ", ".join([*unit.grade_scale, ABSENT_GRADE])}
        )
    if not field.startswith("task-") or unit.is_outcome_unit:
        raise ValidationError(_("Unknown column."))
    try:
        number = int(field.removeprefix("task-"))
    except ValueError:
        raise ValidationError(_("Unknown column.")) from None
    task = next((t for t in tasks if t.number == number), None)
    if task is None:
        raise ValidationError(_("Unknown column."))
    if value == "":
        return Parsed("clear_task", task=number)
    if value.startswith("-") and is_whole_number(value[1:]):
        raise ValidationError(
            _("A mark cannot be below 0. Enter a mark from 0 to %(max)d.")
            % {"max": task.max_mark}
        )
    if not is_whole_number(value):
        raise ValidationError(
            _("Enter a whole number from 0 to %(max)d, %(hint)s.")
            % {"max": task.max_mark, "hint": _entry_hint(unit)}
        )
    mark = int(value)
    if mark > task.max_mark:
        raise ValidationError(
            _("The maximum mark for %(task)s is %(max)d: %(mark)d is too high.")
            % {"task": task.name, "max": task.max_mark, "mark": mark}
        )
    return Parsed("set_task", task=number, value=mark)


def _apply(state: dict[str, Any], parsed: Parsed) -> dict[str, Any]:
    new = {**state, "task_marks": dict(state["task_marks"])}
    if parsed.action == "initials":
        new["initials"] = parsed.value
        new["status"] = new["status"] or Mark.Status.MARKED
    elif parsed.action in ("absent", "carry_forward"):
        new["status"] = (
            Mark.Status.ABSENT
            if parsed.action == "absent"
            else Mark.Status.CARRY_FORWARD
        )
        new["task_marks"], new["grade"] = {}, ""
    elif parsed.action == "grade":
        new["status"], new["grade"] = Mark.Status.MARKED, parsed.value
    elif parsed.action == "set_task":
        if new["status"] != Mark.Status.MARKED:
            new["status"], new["task_marks"] = Mark.Status.MARKED, {}
        new["task_marks"][str(parsed.task)] = parsed.value
    elif parsed.action == "clear_task":
        new["task_marks"].pop(str(parsed.task), None)
    return new


def _total(state: dict[str, Any], tasks: list[Task]) -> int | None:
    marks = state["task_marks"]
    if state["status"] != Mark.Status.MARKED or not tasks:
        return None
    if any(str(task.number) not in marks for task in tasks):
        return None
    return sum(int(marks[str(task.number)]) for task in tasks)


def _is_complete(state: dict[str, Any], unit: Unit, tasks: list[Task]) -> bool:
    if state["status"] in (Mark.Status.ABSENT, Mark.Status.CARRY_FORWARD):
        return True
    if state["status"] != Mark.Status.MARKED:
        return False
    has_value = (
        bool(state["grade"])
        if unit.is_outcome_unit
        else (_total(state, tasks) is not None)
    )
    return has_value and (bool(state["initials"]) or not unit.initials_required)


def _write(
    *,
    mark: Mark | None,
    entry: Entry,
    unit: Unit,
    tasks: list[Task],
    new: dict[str, Any],
    acting_user: User | None,
    source: str,
) -> Mark:
    old = _snapshot(mark)
    if mark is None:
        mark = Mark(entry=entry, centre_id=entry.centre_id, unit=unit, version=0)
    _set_fields(mark, _fields_for(new, unit=unit, tasks=tasks, acting_user=acting_user))
    mark.save()
    _history(mark, old=old, acting_user=acting_user, source=source)
    return mark


def _fields_for(
    new: dict[str, Any], *, unit: Unit, tasks: list[Task], acting_user: User | None
) -> dict[str, Any]:
    """A row's stored fields for the new cell values (the version is the caller's)."""
    return {
        "status": new["status"] or Mark.Status.MARKED,
        "task_marks": new["task_marks"],
        "grade": new["grade"],
        "initials": new["initials"],
        "total": _total(new, tasks),
        "is_complete": _is_complete(new, unit, tasks),
        "updated_by": acting_user,
        "updated_at": timezone.now(),
    }


def _set_fields(mark: Mark, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(mark, name, value)
    mark.version += 1
    # Field checks only: the values were computed here, and the database's own constraints
    # (uniqueness, total-or-grade, lock) guard the rest without an extra query.
    mark.clean_fields(exclude=["entry", "centre", "unit", "updated_by", "submission"])


def _history(
    mark: Mark, *, old: dict[str, Any], acting_user: User | None, source: str
) -> None:
    MarkChange.objects.create(
        mark=mark,
        centre_id=mark.centre_id,
        changed_by=acting_user,
        source=source,
        old=old,
        new=_snapshot(mark),
    )


def _save_cell_unlocked(
    *,
    entry: Entry,
    unit: Unit,
    tasks: list[Task],
    field: str,
    raw_value: str,
    seen_version: int | None,
    confirm_absent: bool,
    acting_user: User | None,
    source: str,
) -> Mark | None:
    """The common save, without a row lock: the mark read with the entry is changed by
    one UPDATE that applies only if the row is still that version and not submitted.
    Anything else (no mark yet, a refusal, a conflict, nothing to change, or the row
    moved on meanwhile) returns None, and the caller decides again under the lock."""
    if not Entry.mark.is_cached(entry):
        return None
    mark: Mark | None = getattr(entry, "mark", None)
    if mark is None or mark.is_locked or seen_version != mark.version:
        return None
    try:
        parsed = parse_cell(unit=unit, tasks=tasks, field=field, raw=raw_value)
    except ValidationError:
        return None
    old = _snapshot(mark)
    new = _apply(old, parsed)
    if new == old or (parsed.action == "absent" and not confirm_absent):
        return None
    # A copy, so that an UPDATE that finds the row moved on leaves the entry's mark as read.
    changed = copy.copy(mark)
    fields = _fields_for(new, unit=unit, tasks=tasks, acting_user=acting_user)
    _set_fields(changed, fields)
    updated = Mark.objects.filter(pk=mark.pk, version=seen_version, is_locked=False)
    if not updated.update(**fields, version=changed.version):
        return None
    _history(changed, old=old, acting_user=acting_user, source=source)
    entry.mark = changed
    return changed


def mark_save_cell(
    *,
    centre: Centre,
    entry: Entry,
    field: str,
    raw_value: str,
    seen_version: int | None,
    confirm_absent: bool,
    acting_user: User | None,
    source: str = MarkChange.Source.ENTRY,
    tasks: list[Task] | None = None,
) -> CellResult:
    """Save one cell of one candidate's row.

    `seen_version` is the mark's version when the page showed it (0: no mark yet); a save
    against an older version is refused with the newer value (never a silent overwrite).
    Absent needs `confirm_absent`. Submitted marks are refused.
    """
    if entry.centre_id != centre.pk:
        raise ValueError("entry belongs to another centre")
    unit = entry.unit
    if tasks is None:
        tasks = list(unit.tasks.all())
    with transaction.atomic():
        saved = _save_cell_unlocked(
            entry=entry,
            unit=unit,
            tasks=tasks,
            field=field,
            raw_value=raw_value,
            seen_version=seen_version,
            confirm_absent=confirm_absent,
            acting_user=acting_user,
            source=source,
        )
        if saved is not None:
            return CellResult(saved)
        mark = Mark.objects.select_for_update().filter(entry=entry).first()
        if mark is not None and mark.is_locked:
            return CellResult(
                mark,
                error=_(
                    "These marks have been submitted and cannot be changed here. "
                    "Use the mark change request form."
                ),
            )
        try:
            parsed = parse_cell(unit=unit, tasks=tasks, field=field, raw=raw_value)
        except ValidationError as error:
            return CellResult(mark, error=service_message(error))
        old = _snapshot(mark)
        new = _apply(old, parsed)
        if new == old:
            # Nothing would change, so nothing is overwritten whatever version was seen:
            # a save replayed after its answer was lost (a dropped connection) lands here.
            return CellResult(mark)
        current_version = mark.version if mark is not None else 0
        if seen_version is not None and seen_version != current_version:
            return CellResult(mark, conflict=True)
        if parsed.action == "absent" and not confirm_absent:
            return CellResult(mark, needs_absent_confirmation=True)
        write = partial(
            _write,
            entry=entry,
            unit=unit,
            tasks=tasks,
            new=new,
            acting_user=acting_user,
            source=source,
        )
        if mark is not None:
            return CellResult(write(mark=mark))
        try:
            # A savepoint: two first saves of one candidate race to create the row;
            # the loser is told, like any other concurrent change.
            with transaction.atomic():
                mark = write(mark=None)
        except IntegrityError:
            winner = Mark.objects.select_for_update().filter(entry=entry).first()
            if winner is not None and _apply(_snapshot(winner), parsed) == _snapshot(
                winner
            ):
                # The other save was this one (a retry racing its own first try).
                return CellResult(winner)
            return CellResult(winner, conflict=True)
    return CellResult(mark)


def mark_replace(
    *,
    mark: Mark,
    new: dict[str, Any],
    acting_user: User | None,
    source: str,
) -> Mark:
    """Replace a mark's whole value (approved change requests: the lock stays)."""
    with transaction.atomic():
        locked = (
            Mark.objects.select_for_update()
            .select_related("entry", "unit")
            .get(pk=mark.pk)
        )
        tasks = list(locked.unit.tasks.all())
        if locked.is_locked:
            # The one path allowed to change a submitted mark's value (the database
            # refuses any other: iamis migration 0004).
            db_rules.declare(db_rules.LOCKED_MARK_CHANGE, str(locked.pk))
        return _write(
            mark=locked,
            entry=locked.entry,
            unit=locked.unit,
            tasks=tasks,
            new={**_snapshot(locked), **new},
            acting_user=acting_user,
            source=source,
        )


@dataclass(frozen=True)
class SheetProgress:
    entries: int
    complete: int
    submitted: int

    @property
    def left(self) -> int:
        return self.entries - self.complete

    @property
    def to_submit(self) -> int:
        return self.entries - self.submitted

    @property
    def can_submit(self) -> bool:
        return self.to_submit > 0 and self.complete == self.entries

    @property
    def all_submitted(self) -> bool:
        return self.entries > 0 and self.submitted == self.entries


def marks_lock(
    *,
    centre: Centre,
    unit: Unit,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Submission:
    """Lock every complete, unsubmitted mark of the sheet in one `Submission`, in one
    transaction (submitting a sheet: `sampling.services.marks_submit`, which also asks
    for the sample on the first submission).

    Refused unless every entry on the sheet has a complete mark. Two people pressing
    Submit at once queue on the sheet's row: the second finds nothing left to submit.
    """
    with transaction.atomic():
        sheet, _created = Marksheet.objects.get_or_create(centre=centre, unit=unit)
        sheet = Marksheet.objects.select_for_update().get(pk=sheet.pk)
        entries = Entry.objects.filter(centre=centre, unit=unit)
        pending = list(
            Mark.objects.select_for_update()
            .filter(centre=centre, unit=unit, is_locked=False)
            .values_list("pk", "is_complete")
        )
        unmarked = entries.filter(mark__isnull=True).count()
        incomplete = unmarked + sum(1 for _pk, complete in pending if not complete)
        if incomplete:
            raise ValidationError(
                ngettext(
                    "%(count)d candidate still needs a mark or outcome%(initials)s. "
                    "Show Unmarked to find them.",
                    "%(count)d candidates still need a mark or outcome%(initials)s. "
                    "Show Unmarked to find them.",
                    incomplete,
                )
                % {
                    "count": incomplete,
                    "initials": _(" and teacher initials")
                    if unit.initials_required
                    else "",
                }
            )
        if not pending:
            raise ValidationError(_("There are no marks to submit."))
        first = sheet.first_submitted_at is None
        submission = Submission.objects.create(
            centre=centre,
            unit=unit,
            submitted_by=acting_user,
            mark_count=len(pending),
            is_first=first,
        )
        Mark.objects.filter(pk__in=[pk for pk, _c in pending]).update(
            submission=submission, is_locked=True
        )
        if first:
            sheet.first_submitted_at = timezone.now()
            sheet.save(update_fields=["first_submitted_at"])
        audit_record(
            action=AuditEvent.Action.MARKS_SUBMITTED,
            actor=acting_user,
            centre=centre,
            target=unit.code,
            request=request,
            count=len(pending),
            submission=str(submission.public_id),
        )
        # Queued before the sample (sampling.services.marks_submit asks for it after
        # this): commit hooks run in the order they were added, so
        # where tasks run in-process (bin/run) the receipt goes before "sample ready".
        # With workers, the sample-ready e-mail sends the receipt first itself.
        notify("submission_receipt", submission_id=submission.pk)
    return submission


MARKED, ABSENT, CARRY_FORWARD = (
    Mark.Status.MARKED,
    Mark.Status.ABSENT,
    Mark.Status.CARRY_FORWARD,
)


# --- A mark as a value: its history, change requests and corrections -------------------


def snapshot_of(mark: Mark) -> dict[str, Any]:
    """A mark as a value to keep: what `_snapshot` compares, and its total."""
    return {**_snapshot(mark), "total": mark.total}


def value_display(value: Mapping[str, Any]) -> str:
    """A snapshot as the marksheet shows it: the total, the grade, A or CF."""
    status = value.get("status") or MARKED
    if status == ABSENT:
        return "A"
    if status == CARRY_FORWARD:
        return "CF"
    if value.get("grade"):
        return str(value["grade"])
    total = value.get("total")
    return "" if total is None else str(total)


def task_display(value: Mapping[str, Any], task: Task) -> str:
    status = value.get("status") or MARKED
    if status != MARKED:
        return value_display(value)
    mark = (value.get("task_marks") or {}).get(str(task.number))
    return "" if mark is None else str(mark)


def same_value(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def key(value: Mapping[str, Any]) -> tuple[str, dict[str, int], str]:
        marks = {str(k): int(v) for k, v in (value.get("task_marks") or {}).items()}
        return (value.get("status") or MARKED, marks, value.get("grade") or "")

    return key(a) == key(b)
