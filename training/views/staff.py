"""The exams officer's (and Admins') view of the centre's staff training, for
inspection: every staff member's status and certificates, this year's and earlier years'
(kept after the yearly archive), each section's mark and attempts, and the questions
answered in each attempt. Only their own centre's."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from centres.tenancy import CentreRequest, centre_admin_required

from .. import selectors, services
from ..models import StaffRole


@require_safe
@centre_admin_required
def staff(request: CentreRequest) -> HttpResponse:
    year = services.current_year()
    assessments, rows = selectors.staff_overview(centre=request.centre, year=year)
    table = [(row, row.cells(assessments)) for row in rows]
    return render(
        request,
        "training/staff.html",
        {
            "year": year,
            "assessments": assessments,
            "table": table,
            "earlier": selectors.staff_earlier_years(centre=request.centre, year=year),
        },
    )


@require_http_methods(["GET", "POST"])
@centre_admin_required
def staff_member(request: CentreRequest, member_id: UUID) -> HttpResponse:
    member = selectors.access_staff_member(centre=request.centre, member_id=member_id)
    if request.method == "POST":
        services.staff_roles_set(
            membership=member,
            role_codes=request.POST.getlist("roles"),
            acting_user=request.user,
            request=request,
        )
        messages.success(request, _("The training roles were saved."))
        return redirect("training:staff_member", member.public_id)
    rows = selectors.assessment_rows(
        membership=member,
        assessments=selectors.visible_assessments(
            membership=member, year=services.current_year()
        ),
    )
    profile = selectors.profile_of(member)
    roles = list(profile.roles.all()) if profile else []
    return render(
        request,
        "training/staff_member.html",
        {
            "member": member,
            "rows": rows,
            "roles": roles,
            "all_roles": StaffRole.objects.all(),
            "role_codes": {role.code for role in roles},
            "record": selectors.member_training_record(membership=member),
        },
    )


@require_safe
@centre_admin_required
def staff_attempt(request: CentreRequest, attempt_id: UUID) -> HttpResponse:
    """The questions a member of staff answered in one attempt, with their answers."""
    attempt = selectors.access_staff_attempt(
        centre=request.centre, attempt_id=attempt_id
    )
    item = attempt.section_progress
    return render(
        request,
        "training/staff_attempt.html",
        {
            "attempt": attempt,
            "item": item,
            "section": item.section,
            "progress": item.progress,
            "member": item.progress.membership,
            "answered": selectors.attempt_answers(attempt),
        },
    )
