"""Centre Mark Change Request: the centre's form, its list of requests and one request.

After submission a mark changes only through the board (see marksheets.services.change_requests). The form
works without JavaScript: `?candidate=NNNN` (a plain GET form) shows the submitted mark and
fills the requested-mark inputs with it; the POST sends the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from centres.tenancy import CentreRequest, iamis_required
from common.service_errors import add_service_error
from iamis import selectors
from iamis.models import Mark, Task, Unit
from iamis.services import marks as mark_values

from ..forms.change_requests import (
    CandidateLookupForm,
    ChangeRequestForm,
    initial_inputs,
)
from ..services import change_requests

REQUESTS_PER_PAGE = 50


@dataclass(frozen=True)
class ValueRow:
    label: str
    current: str
    requested: str = ""


def _value_rows(
    unit: Unit,
    tasks: list[Task],
    current: dict[str, Any],
    requested: dict[str, Any] | None = None,
) -> list[ValueRow]:
    """Current (and requested) value side by side, one row per task for multi-task units."""
    other = requested or {}
    display = mark_values.value_display
    if unit.is_outcome_unit:
        rows = [ValueRow(_("Grade"), display(current), display(other))]
    elif len(tasks) > 1:
        rows = [
            ValueRow(
                f"{task.name} (Max:{task.max_mark})",
                mark_values.task_display(current, task),
                mark_values.task_display(other, task) if other else "",
            )
            for task in tasks
        ]
        rows.append(
            ValueRow(
                _("Total (Max:%(max)s)") % {"max": sum(t.max_mark for t in tasks)},
                display(current),
                display(other),
            )
        )
    else:
        max_mark = tasks[0].max_mark if tasks else ""
        rows = [
            ValueRow(
                _("Mark (Max:%(max)s)") % {"max": max_mark},
                display(current),
                display(other),
            )
        ]
    if unit.initials_required:
        rows.append(
            ValueRow(
                _("Teacher Initials"),
                current.get("initials", ""),
                (other.get("initials") or current.get("initials", "")) if other else "",
            )
        )
    return rows


@require_http_methods(["GET", "POST"])
@iamis_required
def change_request_new(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    tasks = list(unit.tasks.all())
    centre = request.centre
    lookup: CandidateLookupForm | None = None
    form: ChangeRequestForm | None = None
    mark: Mark | None = None
    pending = None
    if request.method == "POST":
        form = ChangeRequestForm(request.POST, unit=unit, tasks=tasks)
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = change_requests.change_request_create(
                    centre=centre,
                    unit=unit,
                    candidate_number=data["candidate_number"],
                    centre_number=data["centre_number"],
                    centre_name=data["centre_name"],
                    requested=data["requested"],
                    reason=data["reason"],
                    acting_user=request.user,
                    request=request,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your mark change request has been sent to the board. You will "
                        "be told by e-mail when it has been decided."
                    ),
                )
                return redirect(
                    "iamis:change_request_detail", change_request_id=change.public_id
                )
        number = getattr(form, "cleaned_data", {}).get("candidate_number")
        if number is not None:
            try:
                mark = change_requests.submitted_mark(
                    centre=centre, unit=unit, candidate_number=number
                )
            except ValidationError:
                mark = None
    else:
        lookup = CandidateLookupForm(
            request.GET if "candidate" in request.GET else None
        )
        if lookup.is_valid():
            number = lookup.cleaned_data["candidate"]
            try:
                mark = change_requests.submitted_mark(
                    centre=centre, unit=unit, candidate_number=number
                )
            except ValidationError as error:
                lookup.add_error("candidate", error.messages)
            else:
                pending = selectors.pending_change_request(
                    centre=centre, entry=mark.entry
                )
                if pending is None:
                    form = ChangeRequestForm(
                        unit=unit,
                        tasks=tasks,
                        initial={
                            "centre_number": centre.number,
                            "centre_name": centre.name,
                            "candidate_number": number,
                            **initial_inputs(unit, tasks, mark),
                        },
                    )
    current_rows = (
        _value_rows(unit, tasks, mark_values.snapshot_of(mark)) if mark else []
    )
    return render(
        request,
        "marksheets/change_requests/new.html",
        {
            "unit": unit,
            "lookup": lookup,
            "form": form,
            "mark": mark,
            "current_rows": current_rows,
            "pending": pending,
        },
    )


@require_safe
@iamis_required
def change_request_list(request: CentreRequest) -> HttpResponse:
    changes = selectors.change_requests_for_member(membership=request.membership)
    page = Paginator(changes, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (
            change,
            mark_values.value_display(change.current),
            mark_values.value_display(change.requested),
        )
        for change in page
    ]
    return render(
        request, "marksheets/change_requests/list.html", {"page": page, "rows": rows}
    )


@require_safe
@iamis_required
def change_request_detail(
    request: CentreRequest, change_request_id: UUID
) -> HttpResponse:
    change = selectors.access_change_request(
        centre=request.centre,
        change_request_id=change_request_id,
        membership=request.membership,
    )
    unit = change.entry.unit
    tasks = list(unit.tasks.all())
    return render(
        request,
        "marksheets/change_requests/detail.html",
        {
            "change": change,
            "unit": unit,
            "value_rows": _value_rows(unit, tasks, change.current, change.requested),
        },
    )
