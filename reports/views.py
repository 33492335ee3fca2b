"""Reports and their PDFs: the centre's VIEW / PRINT REPORTS and Candidate Details
Report preview, and every PDF made in the worker with its progress page and download:
the candidate details report, and the moderator's report (for the moderator who wrote
it, and for the centre from results day)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST, require_safe

from centres.models import ModeratorAllocation
from centres.tenancy import AuthenticatedRequest, CentreRequest, iamis_required
from iamis import selectors as iamis_selectors
from moderation import selectors as moderation_selectors
from moderation.views.centre import not_yet

from . import documents, responses, selectors, services
from .models import ReportRender


@require_safe
@iamis_required
def index(request: CentreRequest) -> HttpResponse:
    units = iamis_selectors.units_for_member(membership=request.membership)
    return render(request, "reports/index.html", {"units": units})


@require_safe
@iamis_required
def candidate_details(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    rows = documents.candidate_details(centre=request.centre, unit=unit)
    return render(
        request,
        "reports/candidate_details.html",
        {
            "unit": unit,
            "centre": request.centre,
            "heading": documents.unit_heading(unit),
            "rows": rows,
            "has_amended": any(row.amended for row in rows),
        },
    )


@require_POST
@iamis_required
def pdf_request(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    made = services.render_request(
        centre=request.centre,
        unit=unit,
        kind=ReportRender.Kind.CANDIDATE_DETAILS,
        acting_user=request.user,
        language=get_language() or "en",
    )
    return redirect("reports:render", render_id=made.public_id)


def _member_render(request: CentreRequest, render_id: UUID) -> ReportRender:
    made = selectors.access_render(
        centre=request.centre,
        units=iamis_selectors.units_for_member(membership=request.membership),
        render_id=render_id,
    )
    # A moderator's report PDF is the centre's only from results day, like the report.
    if made.kind == ReportRender.Kind.MODERATOR_REPORT and not (
        moderation_selectors.report_visible_to_centre(
            moderation_selectors.report_for(centre=made.centre, unit=made.unit),
            made.unit,
            timezone.localdate(),
        )
    ):
        raise Http404
    return made


def back_url_for(made: ReportRender) -> str:
    if made.kind == ReportRender.Kind.MODERATOR_REPORT:
        return reverse("moderation_centre:centre_report", args=[made.unit.public_id])
    return reverse("reports:candidate_details", args=[made.unit.public_id])


@require_safe
@iamis_required
def render_status(request: CentreRequest, render_id: UUID) -> HttpResponse:
    made = _member_render(request, render_id)
    return responses.render_status(
        request,
        made,
        download_url=reverse("reports:render_download", args=[made.public_id]),
        back_url=back_url_for(made),
    )


@require_safe
@iamis_required
def render_download(request: CentreRequest, render_id: UUID) -> HttpResponse:
    return responses.render_download(_member_render(request, render_id))


# --- The moderator's report --------------------------------------------------------


@require_POST
@iamis_required
def centre_moderator_report_pdf(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    try:
        moderation_selectors.centre_visible_report(centre=request.centre, unit=unit)
    except moderation_selectors.NotYet:
        return not_yet(request, unit)
    made = services.render_request(
        centre=request.centre,
        unit=unit,
        kind=ReportRender.Kind.MODERATOR_REPORT,
        acting_user=request.user,
        language=get_language() or "en",
    )
    return redirect("reports:render", render_id=made.public_id)


def _args(allocation: ModeratorAllocation) -> list[object]:
    return [allocation.centre.number, allocation.unit.public_id]


@require_POST
@login_required
def moderator_report_pdf(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    allocation = moderation_selectors.access_allocation(
        moderator=request.user, centre_number=centre_number, unit_id=unit_id
    )
    report = moderation_selectors.report_for(
        centre=allocation.centre, unit=allocation.unit
    )
    if report is None:
        raise Http404
    made = services.render_request(
        centre=allocation.centre,
        unit=allocation.unit,
        kind=ReportRender.Kind.MODERATOR_REPORT,
        acting_user=request.user,
        language=get_language() or "en",
    )
    return redirect("reports:moderator_render", *_args(allocation), made.public_id)


def _moderator_render(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID, render_id: UUID
) -> tuple[ModeratorAllocation, ReportRender]:
    allocation = moderation_selectors.access_allocation(
        moderator=request.user, centre_number=centre_number, unit_id=unit_id
    )
    units = type(allocation.unit).objects.filter(pk=allocation.unit_id)
    made = selectors.access_render(
        centre=allocation.centre, units=units, render_id=render_id
    )
    return allocation, made


@require_safe
@login_required
def moderator_render_status(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID, render_id: UUID
) -> HttpResponse:
    allocation, made = _moderator_render(request, centre_number, unit_id, render_id)
    return responses.render_status(
        request,
        made,
        download_url=reverse(
            "reports:moderator_render_download",
            args=[*_args(allocation), made.public_id],
        ),
        back_url=reverse("moderation:report", args=_args(allocation)),
    )


@require_safe
@login_required
def moderator_render_download(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID, render_id: UUID
) -> HttpResponse:
    made = _moderator_render(request, centre_number, unit_id, render_id)[1]
    return responses.render_download(made)
