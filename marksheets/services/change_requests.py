"""Mark change requests: after submission only the board changes a mark.

The guides: "Once marks have been submitted via IAMIS they cannot be amended by the centre. If
it is noticed that an incorrect mark has been submitted, centres must complete and submit the
request form" (Centre Mark Change Request / Cais am Newid Marciau Canolfan). Board staff
approve or reject the request in the back office; an approved change replaces the mark through
`iamis.services.marks.mark_replace`, so the mark stays locked and `MarkChange` keeps the old and the new
value. The person who asked and the exams officer get a receipt when the request is made
(notifications.emails.change_request_receipt); the centre (post-results address, else the
exams officer) and the person who asked are e-mailed the decision.

Values are snapshots in the shape of the marksheet's history:
`{"status", "task_marks": {"<task number>": int}, "grade", "total", "initials"}`. `current`
is the mark when the request was made; `requested` is what the centre asks for, checked with
the marksheet's own parser so the messages match. Initials are carried over from the current
mark; a request gives them only where the unit needs initials and the mark has none (an
Absent mark turned into a mark).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import CENTRE_NUMBER_MAX, Centre
from common.urls import absolute_url
from iamis.models import Entry, Mark, MarkChange, MarkChangeRequest, Task, Unit
from iamis.services.marks import (
    ABSENT,
    CARRY_FORWARD,
    MARKED,
    mark_replace,
    parse_cell,
    same_value,
    snapshot_of,
    value_display,
)
from outbox.services import notify

if TYPE_CHECKING:
    from accounts.models import User

Status = MarkChangeRequest.Status


# --- Checking a request --------------------------------------------------------------------


def submitted_mark(
    *, centre: Centre, unit: Unit, candidate_number: int, for_update: bool = False
) -> Mark:
    """The submitted (locked) mark of a candidate's entry for the unit.

    Raises ValidationError keyed `candidate_number` when there is no such entry or its mark
    has not been submitted yet (then the marksheet is the place to change it).
    """
    entry = (
        Entry.objects.select_related("candidate")
        .filter(centre=centre, unit=unit, candidate__number=candidate_number)
        .first()
    )
    if entry is None:
        raise ValidationError(
            {
                "candidate_number": _(
                    "Candidate %(number)04d has no entry for this unit at your centre."
                )
                % {"number": candidate_number}
            }
        )
    marks = Mark.objects.filter(entry=entry)
    mark = (marks.select_for_update() if for_update else marks).first()
    if mark is None or not mark.is_locked:
        raise ValidationError(
            {
                "candidate_number": _(
                    "Only submitted marks can be changed this way; before submission "
                    "change the mark on the marksheet."
                )
            }
        )
    mark.entry, mark.unit = entry, unit
    return mark


def _field(unit: Unit, tasks: list[Task]) -> str:
    """The form field an error about the whole value belongs to."""
    return "grade" if unit.is_outcome_unit or not tasks else f"task-{tasks[0].number}"


def requested_clean(
    *,
    unit: Unit,
    tasks: list[Task],
    requested: Mapping[str, Any],
    current: Mapping[str, Any],
) -> dict[str, Any]:
    """Check a requested value against the unit (maximum marks, grade scale, carry forward)
    and return it normalised. Errors are keyed by the request form's field names
    (`task-<n>`, `grade`, `initials`) and worded as on the marksheet."""
    status = requested.get("status") or MARKED
    first = _field(unit, tasks)
    clean: dict[str, Any] = {"status": status, "task_marks": {}, "grade": ""}
    if status == CARRY_FORWARD:
        # The marksheet's own refusal when the unit does not allow carry forward.
        try:
            parse_cell(unit=unit, tasks=tasks, field=first, raw="C")
        except ValidationError as error:
            raise ValidationError({first: error.messages}) from error
    elif status == MARKED and unit.is_outcome_unit:
        grade = str(requested.get("grade") or "")
        try:
            parsed = parse_cell(unit=unit, tasks=tasks, field="grade", raw=grade)
        except ValidationError as error:
            raise ValidationError({"grade": error.messages}) from error
        if parsed.action != "grade" or not parsed.value:
            raise ValidationError({"grade": _("Choose the requested grade.")})
        clean["grade"] = parsed.value
    elif status == MARKED:
        clean["task_marks"], clean["total"] = _clean_task_marks(
            unit=unit, tasks=tasks, task_marks=requested.get("task_marks") or {}
        )
    elif status != ABSENT:
        raise ValidationError({first: _("Choose a mark, Absent or Carry forward.")})
    if unit.initials_required:
        initials = _clean_initials(unit, str(requested.get("initials") or ""))
        if status == MARKED and not (initials or current.get("initials")):
            raise ValidationError(
                {
                    "initials": _(
                        "Enter the teacher's initials: this unit needs them with "
                        "every mark."
                    )
                }
            )
        if initials:
            clean["initials"] = initials
    return clean


def _clean_task_marks(
    *, unit: Unit, tasks: list[Task], task_marks: Mapping[str, Any]
) -> tuple[dict[str, int], int]:
    errors: dict[str, list[str]] = {}
    marks: dict[str, int] = {}
    numbers = {str(task.number) for task in tasks}
    for key in task_marks:
        if str(key) not in numbers:
            errors.setdefault(_field(unit, tasks), []).append(_("Unknown column."))
    for task in tasks:
        name = f"task-{task.number}"
        raw = task_marks.get(str(task.number))
        try:
            parsed = parse_cell(
                unit=unit, tasks=tasks, field=name, raw="" if raw is None else str(raw)
            )
        except ValidationError as error:
            errors[name] = error.messages
            continue
        if parsed.action != "set_task":
            errors[name] = [
                _("Enter a mark for %(task)s, from 0 to %(max)d.")
                % {"task": task.name, "max": task.max_mark}
            ]
            continue
        marks[str(task.number)] = parsed.value
    if errors:
        raise ValidationError(errors)
    return marks, sum(marks.values())


def _clean_initials(unit: Unit, raw: str) -> str:
    try:
        return str(parse_cell(unit=unit, tasks=[], field="initials", raw=raw).value)
    except ValidationError as error:
        raise ValidationError({"initials": error.messages}) from error


# --- Services ------------------------------------------------------------------------------


def _target(change: MarkChangeRequest) -> str:
    return f"{change.entry.unit.code} {change.entry.candidate.display_number}"


def change_request_create(
    *,
    centre: Centre,
    unit: Unit,
    candidate_number: int,
    centre_number: int,
    centre_name: str,
    requested: Mapping[str, Any],
    reason: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> MarkChangeRequest:
    """File a Centre Mark Change Request for a submitted mark.

    Raises ValidationError keyed by the form's field names (`centre_number`,
    `candidate_number`, `task-<n>`, `grade`, ...); nothing is saved then. One request per
    entry waits for the board at a time.
    """
    errors: dict[str, list[str]] = {}
    if not 0 <= centre_number <= CENTRE_NUMBER_MAX:
        errors["centre_number"] = [_("Number must be between 0 ~ 79999")]
    elif centre_number != centre.number:
        errors["centre_number"] = [
            _(
                "This is not your centre's number: you are signed in for centre %(number)s."
            )
            % {"number": centre.display_number}
        ]
    centre_name = " ".join(centre_name.split())
    if not centre_name:
        errors["centre_name"] = [_("Enter the centre name.")]
    reason = reason.strip()
    if not reason:
        errors["reason"] = [_("Enter the reason for the change.")]
    tasks = list(unit.tasks.all())
    with transaction.atomic():
        try:
            # Locking the mark makes two requests for one candidate queue, so the second
            # sees the first and is refused.
            mark = submitted_mark(
                centre=centre,
                unit=unit,
                candidate_number=candidate_number,
                for_update=True,
            )
        except ValidationError as error:
            raise ValidationError({**errors, **error.message_dict}) from error
        pending = MarkChangeRequest.objects.filter(
            entry=mark.entry, status=Status.PENDING
        ).first()
        if pending is not None:
            errors["candidate_number"] = [
                _(
                    "A request to change this candidate's mark is already with the "
                    "board (sent %(date)s). Wait for the board's answer before sending "
                    "another."
                )
                % {
                    "date": timezone.localtime(pending.requested_at).strftime(
                        "%d/%m/%Y"
                    )
                }
            ]
        current = snapshot_of(mark)
        try:
            clean = requested_clean(
                unit=unit, tasks=tasks, requested=requested, current=current
            )
        except ValidationError as error:
            errors = {**error.message_dict, **errors}
        else:
            if same_value(clean, current):
                errors.setdefault("__all__", []).append(
                    _(
                        "The requested mark is the same as the submitted mark "
                        "(%(value)s)."
                    )
                    % {"value": value_display(current)}
                )
        if errors:
            raise ValidationError(errors)
        change = MarkChangeRequest(
            centre=centre,
            entry=mark.entry,
            centre_number=centre_number,
            centre_name=centre_name,
            current=current,
            requested=clean,
            reason=reason,
            requested_by=acting_user,
        )
        change.full_clean()
        change.save()
        audit_record(
            action=AuditEvent.Action.MARK_CHANGE_REQUESTED,
            actor=acting_user,
            centre=centre,
            target=_target(change),
            request=request,
            change_request=str(change.public_id),
            current=current,
            requested=clean,
        )
        notify("change_request_receipt", change_request_id=change.pk)
    return change


def _locked(change_request: MarkChangeRequest) -> MarkChangeRequest:
    return (
        MarkChangeRequest.objects.select_for_update(of=("self",))
        .select_related("centre", "entry__candidate", "entry__unit", "requested_by")
        .get(pk=change_request.pk)
    )


def _require_pending(change: MarkChangeRequest) -> None:
    if change.status != Status.PENDING:
        raise ValidationError(
            _("The request is “%(status)s”; only a waiting request can be decided.")
            % {"status": change.get_status_display()}
        )


def _decide(
    change: MarkChangeRequest,
    *,
    status: str,
    acting_user: User,
    note: str,
    request: HttpRequest | None,
    **detail: Any,
) -> None:
    change.status = status
    change.decided_by = acting_user
    change.decided_at = timezone.now()
    change.board_note = note
    change.full_clean()
    change.save(update_fields=["status", "decided_by", "decided_at", "board_note"])
    audit_record(
        action=AuditEvent.Action.MARK_CHANGE_DECIDED,
        actor=acting_user,
        centre=change.centre,
        target=_target(change),
        request=request,
        change_request=str(change.public_id),
        before=Status.PENDING,
        after=status,
        **detail,
    )
    link = absolute_url(
        reverse("iamis:change_request_detail", args=[change.public_id]), request
    )
    notify("change_request_decided", change_request_id=change.pk, link=link)


def change_request_approve(
    *,
    change_request: MarkChangeRequest,
    acting_user: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> MarkChangeRequest:
    """Board staff: apply the requested value to the submitted mark and tell the centre.

    Refused when the mark is no longer the one the centre saw (changed since by other
    means): the board then rejects and the centre asks again with the mark as it is.
    """
    with transaction.atomic():
        locked = _locked(change_request)
        _require_pending(locked)
        mark = Mark.objects.select_for_update().filter(entry=locked.entry).first()
        if mark is None or not mark.is_locked:
            raise ValidationError(
                _("The candidate's mark is not a submitted mark; nothing was changed.")
            )
        before = snapshot_of(mark)
        if not same_value(before, locked.current):
            raise ValidationError(
                _(
                    "The mark has changed since the request was made (it is now "
                    "%(now)s; the request says %(then)s). Reject the request and ask "
                    "the centre to send a new one."
                )
                % {"now": value_display(before), "then": value_display(locked.current)}
            )
        unit = locked.entry.unit
        # Checked again: the board may have changed the unit's tasks since.
        new = requested_clean(
            unit=unit,
            tasks=list(unit.tasks.all()),
            requested=locked.requested,
            current=before,
        )
        new.pop("total", None)
        mark = mark_replace(
            mark=mark,
            new=new,
            acting_user=acting_user,
            source=MarkChange.Source.CHANGE_REQUEST,
        )
        # The board's approved value is the mark now; a clerical correction made on the
        # old value no longer applies (it stays on record, no longer in force).
        from moderation.models import ClericalCorrection

        ClericalCorrection.objects.filter(entry=locked.entry, is_current=True).update(
            is_current=False
        )
        _decide(
            locked,
            status=Status.APPROVED,
            acting_user=acting_user,
            note=note.strip(),
            request=request,
            old=before,
            new=snapshot_of(mark),
        )
    return locked


def change_request_reject(
    *,
    change_request: MarkChangeRequest,
    acting_user: User,
    note: str,
    request: HttpRequest | None = None,
) -> MarkChangeRequest:
    """Board staff: refuse the request, saying why; the mark is not touched."""
    note = note.strip()
    if not note:
        raise ValidationError(
            {"note": _("Give the centre the reason for rejecting the request.")}
        )
    with transaction.atomic():
        locked = _locked(change_request)
        _require_pending(locked)
        _decide(
            locked,
            status=Status.REJECTED,
            acting_user=acting_user,
            note=note,
            request=request,
        )
    return locked
