"""The centre's reports: VIEW / PRINT REPORTS, the Candidate Details Report preview, and
its PDF made in the worker."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST, require_safe

from centres.tenancy import CentreRequest
from iamis import selectors as iamis_selectors
from iamis.views import iamis_required
from moderation import selectors as moderation_selectors

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
