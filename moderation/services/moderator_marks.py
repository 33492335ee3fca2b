"""The moderator's own marks for the sample, saved one cell at a time like the centre's
marksheet: each save names the version it was typed against, a stale one is refused as a
conflict (two tabs never overwrite each other silently), a replay of a save already made
is answered as saved, and every change is kept as a history row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from centres.models import ModeratorAllocation
from common.numbers import is_whole_number
from iamis.models import Entry, Task
from sampling.models import Sample, SampleMember

from ..models import ClericalCorrection, ModeratorMark, ModeratorMarkChange
from ..moderated import centre_grade, centre_value
from .outcomes import awaiting_decision

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class MarkSave:
    moderator_mark: ModeratorMark | None
    error: str = ""
    conflict: bool = False

    @property
    def saved(self) -> bool:
        return not (self.error or self.conflict)

    @property
    def outcome(self) -> str:
        """One word for the browser's save queue (static/js/marksheet.js)."""
        if self.conflict:
            return "conflict"
        return "refused" if self.error else "saved"


GRADE_FIELD = "grade"


def field_names(*, outcome_unit: bool, tasks: list[Task]) -> list[str]:
    """The fields of a row: one a task ("t1", "t2", ...), or the grade."""
    if outcome_unit:
        return [GRADE_FIELD]
    return [f"t{task.number}" for task in tasks]


def snapshot(moderator_mark: ModeratorMark | None) -> dict[str, Any]:
    if moderator_mark is None:
        return {}
    return {
        "task_marks": dict(moderator_mark.task_marks),
        "total": moderator_mark.total,
        "grade": moderator_mark.grade,
    }


def _value_of(moderator_mark: ModeratorMark | None, field_name: str) -> str:
    if moderator_mark is None:
        return ""
    if field_name == GRADE_FIELD:
        return moderator_mark.grade
    return moderator_mark.task_value(int(field_name[1:]))


def _parsed(
    *, field_name: str, typed: str, tasks: list[Task], grade_scale: list[str]
) -> str:
    """The value to store ("" clears it), or ValueError with what to do instead."""
    typed = typed.strip()
    if field_name == GRADE_FIELD:
        if not typed:
            return ""
        for grade in grade_scale:
            if grade.lower() == typed.lower():
                return grade
        raise ValueError(
            _("Choose one of: %(grades)s.") % {"grades": ", ".join(grade_scale)}
        )
    task = next((t for t in tasks if f"t{t.number}" == field_name), None)
    if task is None:
        raise ValueError(_("That is not a mark of this unit."))
    if not typed:
        return ""
    if not is_whole_number(typed):
        raise ValueError(
            _("%(task)s: enter a whole number from 0 to %(max)d.")
            % {"task": task.name, "max": task.max_mark}
        )
    if int(typed) > task.max_mark:
        raise ValueError(
            _("%(task)s: the maximum is %(max)d, so %(value)s is too high.")
            % {"task": task.name, "max": task.max_mark, "value": typed}
        )
    return str(int(typed))


def _member_refusal(allocation: ModeratorAllocation, entry: Entry) -> str:
    """Why this candidate cannot be moderated now, or "" when it can."""
    member = (
        SampleMember.objects.filter(
            sample__centre=allocation.centre,
            sample__unit=allocation.unit,
            sample__status=Sample.Status.READY,
            entry=entry,
        )
        .only("work_unavailable")
        .first()
    )
    if member is None:
        return _("This candidate is not in the sample.")
    if member.work_unavailable:
        return _(
            "This candidate's work is unavailable: moderate the candidate who "
            "replaces them."
        )
    correction = ClericalCorrection.objects.filter(entry=entry, is_current=True).first()
    mark = getattr(entry, "mark", None)
    if centre_value(mark, correction) is None and not centre_grade(mark, correction):
        return _("This candidate has no mark to moderate (absent or carried forward).")
    return ""


def moderator_mark_save(
    *,
    allocation: ModeratorAllocation,
    entry: Entry,
    tasks: list[Task],
    field_name: str,
    typed: str,
    version: int | None,
    acting_user: User,
) -> MarkSave:
    """Save one value of the moderator's mark for a sample member."""
    if entry.centre_id != allocation.centre_id or entry.unit_id != allocation.unit_id:
        return MarkSave(None, error=_("That candidate is not on this marksheet."))
    unit = allocation.unit
    with transaction.atomic():
        # The entry's row lock makes two first saves of one candidate take turns.
        Entry.objects.select_for_update().filter(pk=entry.pk).first()
        current = ModeratorMark.objects.select_for_update().filter(entry=entry).first()
        refusal = _member_refusal(allocation, entry)
        if not refusal and awaiting_decision(centre=allocation.centre, unit=unit):
            refusal = _(
                "Your proposed outcome is waiting for the board's decision: your marks "
                "can change again if the board sends it back."
            )
        if refusal:
            return MarkSave(current, error=refusal)
        try:
            value = _parsed(
                field_name=field_name,
                typed=typed,
                tasks=tasks,
                grade_scale=list(unit.grade_scale),
            )
        except ValueError as exc:
            return MarkSave(current, error=str(exc))
        if value == _value_of(current, field_name):
            # Nothing changes, whatever the version: a replay of a save already made.
            return MarkSave(current)
        current_version = current.version if current is not None else 0
        if version is not None and version != current_version:
            return MarkSave(current, conflict=True)
        before = snapshot(current)
        if current is None:
            current = ModeratorMark(
                centre=allocation.centre,
                unit=unit,
                entry=entry,
                version=0,
                updated_by=acting_user,
            )
        _apply(current, field_name=field_name, value=value, tasks=tasks)
        current.version += 1
        current.updated_by = acting_user
        current.save()
        ModeratorMarkChange.objects.create(
            moderator_mark=current,
            centre=allocation.centre,
            changed_by=acting_user,
            old=before,
            new=snapshot(current),
        )
    return MarkSave(current)


def _apply(
    moderator_mark: ModeratorMark, *, field_name: str, value: str, tasks: list[Task]
) -> None:
    if field_name == GRADE_FIELD:
        moderator_mark.grade = value
        return
    number = field_name[1:]
    marks = dict(moderator_mark.task_marks)
    if value:
        marks[number] = int(value)
    else:
        marks.pop(number, None)
    moderator_mark.task_marks = marks
    complete = all(str(task.number) in marks for task in tasks)
    moderator_mark.total = sum(marks.values()) if complete and tasks else None
