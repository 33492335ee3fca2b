"""The moderator marks the sample: one row a moderated member, saved a cell at a time by
the marksheet's save queue (static/js/marksheet.js speaks the same protocol: `field`,
`value`, `version` in, the row and X-Mark-Outcome / X-Mark-Version out), or all at once by
the form without JavaScript. Beside it, the outcome as the rule makes it so far.

Every view loads the allocation through `selectors.access_allocation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from centres.models import ModeratorAllocation
from centres.tenancy import AuthenticatedRequest
from common.numbers import whole_number_or_none
from common.save_queue import save_queue_words
from common.service_errors import service_message
from iamis.models import Task

from .. import scatter, selectors
from ..moderated import MemberState, ModeratedSample, moderated_sample
from ..services import moderator_marks, outcomes
from ..services.moderator_marks import MarkSave, field_names
from .moderator import allocation_args, allocation_for


@dataclass
class Cell:
    field: str
    label: str
    value: str
    max_mark: int | None
    state: str = ""
    error: bool = False

    @property
    def max_digits(self) -> int:
        return len(str(self.max_mark)) if self.max_mark else 0


@dataclass
class Row:
    state: MemberState
    cells: list[Cell]
    hidden: bool
    url: str
    version: int
    message: str = ""
    saved: bool = False
    conflict_field: str = ""
    conflict_value: str = ""

    @property
    def key(self) -> int:
        return self.state.entry.candidate.number


def _cells(
    state: MemberState, sample: ModeratedSample, typed: dict[str, str]
) -> list[Cell]:
    mark = state.moderator_mark
    if sample.unit.is_outcome_unit:
        value = typed.get("grade", mark.grade if mark else "")
        return [Cell("grade", _("Moderator's grade"), value, None)]
    tasks: list[Task] = sample.tasks
    return [
        Cell(
            f"t{task.number}",
            _("Moderator's mark") if len(tasks) == 1 else task.name,
            typed.get(f"t{task.number}", mark.task_value(task.number) if mark else ""),
            task.max_mark,
        )
        for task in tasks
    ]


def _row(
    state: MemberState,
    sample: ModeratedSample,
    url_prefix: str,
    *,
    save: MarkSave | None = None,
    field_name: str = "",
    typed: str = "",
) -> Row:
    # A refused value stays in its box to be corrected; after a conflict the box shows
    # what the other window saved, and the row offers the value typed here.
    entered = {field_name: typed} if save is not None and save.error else {}
    cells = _cells(state, sample, entered)
    for cell in cells:
        if cell.value:
            cell.state = "saved"
        if save is not None and cell.field == field_name:
            cell.state = save.outcome
            cell.error = not save.saved
    mark = state.moderator_mark
    row = Row(
        state=state,
        cells=cells,
        hidden=sample.hides_centre_mark(state),
        url=f"{url_prefix}{state.entry.candidate.number}/",
        version=mark.version if mark else 0,
        saved=save is not None and save.saved,
    )
    if save is not None and save.conflict:
        row.message = _(
            "Not saved: this mark was changed in another window. It now shows the "
            "saved value."
        )
        row.conflict_field, row.conflict_value = field_name, typed
    elif save is not None and save.error:
        row.message = save.error
    return row


def _cell_prefix(allocation: ModeratorAllocation) -> str:
    url = reverse("moderation:moderate_cell", args=[*allocation_args(allocation), 0])
    return url.removesuffix("0/")


def _page(
    request: AuthenticatedRequest,
    allocation: ModeratorAllocation,
    sample: ModeratedSample,
    status: int = 200,
    *,
    reason: str = "",
    propose_error: str = "",
) -> HttpResponse:
    prefix = _cell_prefix(allocation)
    rows = [_row(member, sample, prefix) for member in sample.to_moderate]
    return render(
        request,
        "moderation/moderate.html",
        {
            "allocation": allocation,
            "centre": allocation.centre,
            "unit": allocation.unit,
            "sample": sample,
            "rows": rows,
            "panel": _panel_context(
                allocation, sample, reason=reason, propose_error=propose_error
            ),
            "history": selectors.moderator_mark_history(allocation=allocation)[:20],
            "sheet_words": save_queue_words(),
            "args": allocation_args(allocation),
        },
        status=status,
    )


def _panel_context(
    allocation: ModeratorAllocation,
    sample: ModeratedSample,
    *,
    reason: str = "",
    propose_error: str = "",
) -> dict[str, object]:
    outcome = sample.outcome
    latest = selectors.latest_outcome(centre=allocation.centre, unit=allocation.unit)
    in_force = (
        latest
        if latest is None or latest.status == latest.Status.APPROVED
        else outcomes.outcome_in_force(centre=allocation.centre, unit=allocation.unit)
    )
    released = outcomes.is_released(in_force, allocation.unit, timezone.localdate())
    return {
        "allocation": allocation,
        "sample": sample,
        "outcome": outcome,
        "chart": scatter.chart(sample, outcome),
        "latest": latest,
        "released": released,
        "can_propose": sample.ready
        and (latest is None or latest.status != latest.Status.PROPOSED),
        "reason": reason,
        "propose_error": propose_error,
        "args": allocation_args(allocation),
    }


@require_http_methods(["GET", "POST"])
@login_required
def moderate(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    """The page. Without JavaScript it is one form that saves every changed cell."""
    allocation = allocation_for(request, centre_number, unit_id)
    sample = moderated_sample(centre=allocation.centre, unit=allocation.unit)
    members = sample.to_moderate
    if not sample.ready and request.method == "POST":
        messages.error(request, _("There is no sample to moderate yet."))
        return redirect("moderation:moderate", *allocation_args(allocation))
    if request.method == "GET":
        return _page(request, allocation, sample)

    names = field_names(outcome_unit=sample.unit.is_outcome_unit, tasks=sample.tasks)
    problems = 0
    for state in members:
        number = state.entry.candidate.number
        version = whole_number_or_none(request.POST.get(f"v-{number}"))
        for name in names:
            key = f"m-{number}-{name}"
            if key not in request.POST:
                continue
            result = moderator_marks.moderator_mark_save(
                allocation=allocation,
                entry=state.entry,
                tasks=sample.tasks,
                field_name=name,
                typed=request.POST[key],
                version=version,
                acting_user=request.user,
            )
            if not result.saved:
                problems += 1
                problem = result.error or _(
                    "not saved: it was changed in another window meanwhile."
                )
                messages.error(
                    request,
                    _("Candidate %(number)s: %(problem)s")
                    % {
                        "number": state.entry.candidate.display_number,
                        "problem": problem,
                    },
                )
            elif result.moderator_mark is not None:
                # The row's next value is typed on top of this one.
                version = result.moderator_mark.version
    if not problems:
        messages.success(request, _("Your marks are saved."))
    return redirect("moderation:moderate", *allocation_args(allocation))


@require_http_methods(["GET", "POST"])
@login_required
def moderate_cell(
    request: AuthenticatedRequest,
    centre_number: int,
    unit_id: UUID,
    candidate_no: int,
) -> HttpResponse:
    """One member's row: POST saves one cell and answers the row as it now stands."""
    allocation = allocation_for(request, centre_number, unit_id)
    # One row answers a save: the rest of the unit's candidates need not be read.
    sample = moderated_sample(
        centre=allocation.centre, unit=allocation.unit, whole_cohort=False
    )
    state = next(
        (m for m in sample.to_moderate if m.entry.candidate.number == candidate_no),
        None,
    )
    if state is None:
        raise Http404
    prefix = _cell_prefix(allocation)
    if request.method == "GET":
        row = _row(state, sample, prefix)
        outcome = ""
    else:
        field_name = request.POST.get("field", "")
        typed = request.POST.get("value", "")
        result = moderator_marks.moderator_mark_save(
            allocation=allocation,
            entry=state.entry,
            tasks=sample.tasks,
            field_name=field_name,
            typed=typed,
            version=whole_number_or_none(request.POST.get("version")),
            acting_user=request.user,
        )
        state.moderator_mark = result.moderator_mark
        row = _row(
            state, sample, prefix, save=result, field_name=field_name, typed=typed
        )
        outcome = result.outcome
    if not request.htmx:
        return redirect("moderation:moderate", *allocation_args(allocation))
    response = HttpResponse(
        render_to_string(
            "moderation/includes/moderate_row.html",
            {"row": row, "unit": allocation.unit, "sample": sample},
            request=request,
        )
    )
    if outcome:
        response["X-Mark-Outcome"] = outcome
    response["X-Mark-Version"] = str(row.version)
    return response


@require_POST
@login_required
def propose(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    """The moderator proposes the outcome to the board; what they wrote is kept if it
    is refused."""
    allocation = allocation_for(request, centre_number, unit_id)
    reason = request.POST.get("reason", "")
    try:
        outcomes.outcome_propose(
            allocation=allocation,
            reason=reason,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        sample = moderated_sample(centre=allocation.centre, unit=allocation.unit)
        return _page(
            request,
            allocation,
            sample,
            status=400,
            reason=reason,
            propose_error=service_message(exc),
        )
    messages.success(
        request,
        _(
            "Your outcome is proposed. The board will approve it or send it back with "
            "a note; your marks are locked until then."
        ),
    )
    return redirect("moderation:moderate", *allocation_args(allocation))


@require_safe
@login_required
def outcome_panel(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    """The outcome so far, redrawn by htmx after each saved mark."""
    allocation = allocation_for(request, centre_number, unit_id)
    sample = moderated_sample(centre=allocation.centre, unit=allocation.unit)
    if not request.htmx:
        return redirect("moderation:moderate", *allocation_args(allocation))
    return render(
        request,
        "moderation/includes/outcome_panel.html",
        _panel_context(allocation, sample),
    )
