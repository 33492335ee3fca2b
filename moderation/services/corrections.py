"""Clerical corrections: the moderator's amended value beside the centre's mark."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import ModeratorAllocation
from common.numbers import is_whole_number
from iamis.models import Entry, Mark, MarkChange, Task
from iamis.services.marks import snapshot_of
from outbox.services import notify

from ..models import ClericalCorrection
from .outcomes import awaiting_decision

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Amended:
    task_marks: dict[str, int]
    total: int | None
    grade: str


def _whole_number(raw: str, *, label: str, maximum: int) -> int:
    if not is_whole_number(raw):
        raise ValidationError(
            _("%(label)s: enter a whole number from 0 to %(max)d.")
            % {"label": label, "max": maximum}
        )
    value = int(raw)
    if value > maximum:
        raise ValidationError(
            _("%(label)s: the maximum is %(max)d, so %(value)d is too high.")
            % {"label": label, "max": maximum, "value": value}
        )
    return value


def correction_parse(
    *, mark: Mark, tasks: list[Task], typed: dict[str, str]
) -> Amended:
    """Read the amended values the moderator typed ("task-<n>", "total" or "grade"; a
    blank field leaves that value as the centre gave it)."""
    unit = mark.unit
    typed = {key: (value or "").strip() for key, value in typed.items()}
    if unit.is_outcome_unit:
        grade = typed.get("grade", "")
        for choice in unit.grade_scale:
            if choice.lower() == grade.lower():
                if mark.status == Mark.Status.MARKED and choice == mark.grade:
                    raise ValidationError(
                        _("That is the centre's outcome: there is nothing to correct.")
                    )
                return Amended(task_marks={}, total=None, grade=choice)
        raise ValidationError(
            _("Choose the amended outcome: %(grades)s.")
            % {"grades": ", ".join(unit.grade_scale)}
        )

    amended: dict[str, int] = {}
    for task in tasks:
        raw = typed.get(f"task-{task.number}", "")
        if raw:
            amended[str(task.number)] = _whole_number(
                raw, label=task.name, maximum=task.max_mark
            )
    raw_total = typed.get("total", "")
    max_total = sum(t.max_mark for t in tasks)
    total = (
        _whole_number(raw_total, label=_("Total"), maximum=max_total)
        if raw_total
        else None
    )
    if not amended and total is None:
        raise ValidationError(_("Enter the amended mark."))
    if not amended and len(tasks) > 1:
        # The total is the sum of the task marks, so only a task mark can be wrong.
        raise ValidationError(
            _("Amend the task marks: the total is added up from them.")
        )
    if amended:
        original = mark.task_marks if mark.status == Mark.Status.MARKED else {}
        effective = {**original, **amended}
        missing = [t.name for t in tasks if str(t.number) not in effective]
        if missing and total is None:
            raise ValidationError(
                _("Enter an amended mark for %(tasks)s as well: the centre gave none.")
                % {"tasks": ", ".join(missing)}
            )
        if not missing:
            computed = sum(int(v) for v in effective.values())
            if total is not None and total != computed:
                raise ValidationError(
                    _(
                        "The amended total must be the sum of the task marks "
                        "(%(sum)d), or leave it blank."
                    )
                    % {"sum": computed}
                )
            total = computed
    if (
        mark.status == Mark.Status.MARKED
        and total == mark.total
        and all(mark.task_marks.get(k) == v for k, v in amended.items())
    ):
        raise ValidationError(
            _("That is the centre's mark: there is nothing to correct.")
        )
    return Amended(task_marks=amended, total=total, grade="")


def _target(entry: Entry) -> str:
    return f"{entry.unit.code} {entry.candidate.display_number}"


def correction_make(
    *,
    allocation: ModeratorAllocation,
    entry: Entry,
    typed: dict[str, str],
    note: str = "",
    acting_user: User,
    request: HttpRequest | None = None,
) -> ClericalCorrection:
    """Record the moderator's amended value beside the centre's (which stays as it is),
    replacing any earlier correction of the same entry, and tell the centre."""
    if entry.centre_id != allocation.centre_id or entry.unit_id != allocation.unit_id:
        raise ValidationError(_("That candidate is not on this marksheet."))
    centre, unit = allocation.centre, allocation.unit
    if timezone.localdate() >= unit.series.results_day:
        raise ValidationError(
            _(
                "Results for this unit are released: a clerical correction can no "
                "longer be made. The centre can ask for a mark change."
            )
        )
    if awaiting_decision(centre=centre, unit=unit):
        raise ValidationError(
            _(
                "Your proposed outcome is waiting for the board's decision: corrections "
                "can be made again if the board sends it back."
            )
        )
    with transaction.atomic():
        mark = (
            Mark.objects.select_for_update()
            .select_related("unit")
            .filter(entry=entry)
            .first()
        )
        if mark is None or not mark.is_locked:
            raise ValidationError(
                _("Marks can be corrected once the centre has submitted them.")
            )
        tasks = list(mark.unit.tasks.all())
        amended = correction_parse(mark=mark, tasks=tasks, typed=typed)
        previous = (
            ClericalCorrection.objects.select_for_update()
            .filter(entry=entry, is_current=True)
            .first()
        )
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        correction = ClericalCorrection(
            centre=entry.centre,
            unit=entry.unit,
            entry=entry,
            mark=mark,
            task_marks=amended.task_marks,
            total=amended.total,
            grade=amended.grade,
            original=snapshot_of(mark),
            note=note.strip(),
            made_by=acting_user,
        )
        correction.full_clean()
        correction.save()
        replaced = (
            correction_snapshot(previous) if previous is not None else snapshot_of(mark)
        )
        MarkChange.objects.create(
            mark=mark,
            centre=entry.centre,
            changed_by=acting_user,
            source=MarkChange.Source.CLERICAL_CORRECTION,
            old=replaced,
            new=correction_snapshot(correction),
        )
        audit_record(
            action=AuditEvent.Action.CLERICAL_CORRECTION,
            actor=acting_user,
            centre=entry.centre,
            target=_target(entry),
            request=request,
            original=replaced,
            amended=correction_snapshot(correction),
        )
        notify("clerical_correction", correction_id=correction.pk)
    return correction


def correction_snapshot(correction: ClericalCorrection) -> dict[str, Any]:
    return {
        "clerical_correction": True,
        "task_marks": dict(correction.task_marks),
        "total": correction.total,
        "grade": correction.grade,
    }
