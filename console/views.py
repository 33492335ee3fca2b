"""The board's console: the moderation outcomes waiting for a decision, and each one's
own page to approve it or send it back. Board staff only (the back office's sign-in);
the raw admin stays for data fixes."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.service_errors import service_message
from moderation.services import outcomes

from . import selectors


@require_safe
@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/index.html",
        {"awaiting": list(selectors.outcomes_awaiting())},
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
