"""The board's console for moderation: what waits for a decision (outcomes, mark change
requests, each on its own page), warnings, and every allocation's progress by series.
Board staff only (the back office's sign-in); the raw admin stays for data fixes."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.service_errors import service_message
from iamis.services.marks import value_display
from marksheets.services import change_requests
from moderation.services import outcomes

from . import selectors


@require_safe
@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    """What needs the board: outcomes and mark change requests waiting, units whose
    results day comes before their sample deadline, and a series' allocations with their
    progress. A fixed number of queries, whatever the number of rows."""
    every_series = list(selectors.series_list())
    chosen = next(
        (s for s in every_series if s.slug == request.GET.get("series")),
        every_series[0] if every_series else None,
    )
    return render(
        request,
        "console/index.html",
        {
            "awaiting": list(selectors.outcomes_awaiting()),
            "change_requests": list(selectors.change_requests_waiting()),
            "warnings": list(selectors.results_before_deadline()),
            "every_series": every_series,
            "series": chosen,
            "progress": (
                list(selectors.series_progress(series=chosen)) if chosen else []
            ),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def outcome(request: HttpRequest, outcome_id: UUID) -> HttpResponse:
    """One proposal: its figures, and approve or send back. The proposer is refused
    (403): a second person decides."""
    proposal = selectors.access_outcome(outcome_id=outcome_id)
    error = ""
    note = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")
        try:
            if action == "approve":
                decisions = {
                    key.removeprefix("grade-"): request.POST.get(key, "")
                    for key in request.POST
                    if key.startswith("grade-")
                }
                outcomes.outcome_approve(
                    outcome=proposal,
                    acting_user=request.user,  # type: ignore[arg-type]
                    grade_decisions=decisions,
                    request=request,
                )
                messages.success(
                    request,
                    _(
                        "Approved and applied: %(unit)s at centre %(number)s, version "
                        "%(version)s. The centre sees it from results day."
                    )
                    % {
                        "unit": proposal.unit.code,
                        "number": proposal.centre.display_number,
                        "version": proposal.version,
                    },
                )
                return redirect("console:index")
            if action == "send_back":
                outcomes.outcome_send_back(
                    outcome=proposal,
                    note=note,
                    acting_user=request.user,  # type: ignore[arg-type]
                    request=request,
                )
                messages.success(
                    request, _("Sent back to the moderator, who has been e-mailed.")
                )
                return redirect("console:index")
            error = _("Choose Approve or Send back.")
        except ValidationError as exc:
            error = service_message(exc)
        proposal.refresh_from_db()
    return render(
        request,
        "console/outcome.html",
        {
            "review": selectors.outcome_review(proposal),
            "outcome": proposal,
            "own": proposal.proposed_by_id == request.user.pk,
            "error": error,
            "note": note,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def change_request(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """A mark change request on its own page: approve (applies the mark) or reject (the
    note says why); the centre is e-mailed either way."""
    change = selectors.access_change_request(request_id=request_id)
    error = ""
    note = ""
    if request.method == "POST":
        note = request.POST.get("note", "")
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                change_requests.change_request_approve(
                    change_request=change,
                    acting_user=request.user,  # type: ignore[arg-type]
                    note=note,
                    request=request,
                )
            elif action == "reject":
                change_requests.change_request_reject(
                    change_request=change,
                    acting_user=request.user,  # type: ignore[arg-type]
                    note=note,
                    request=request,
                )
            else:
                raise ValidationError(_("Choose Approve or Reject."))
        except ValidationError as exc:
            error = service_message(exc)
        else:
            messages.success(
                request,
                _("The request is decided and the centre has been e-mailed."),
            )
            return redirect("console:index")
        change.refresh_from_db()
    return render(
        request,
        "console/change_request.html",
        {
            "change": change,
            "current": value_display(change.current),
            "requested": value_display(change.requested),
            "error": error,
            "note": note,
        },
        status=400 if error else 200,
    )
