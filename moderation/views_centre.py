"""The centre's side of moderation: the moderator's report, from results day only."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST, require_safe

from centres.tenancy import CentreRequest
from iamis import selectors as iamis_selectors
from iamis.models import Unit
from iamis.views import iamis_required
from reports import services as report_services
from reports.models import ReportRender

from . import selectors
from .models import ModeratorReport


def _visible_report(request: CentreRequest, unit: Unit) -> ModeratorReport:
    """The published report once results day has come. Before that the server refuses
    with a page that says when (whether a report exists yet is not revealed)."""
    report = selectors.report_for(centre=request.centre, unit=unit)
    today = timezone.localdate()
    if today < unit.series.results_day:
        raise NotYet(unit)
    if report is None or not selectors.report_visible_to_centre(report, unit, today):
        raise Http404
    return report


class NotYet(Exception):
    def __init__(self, unit: Unit) -> None:
        super().__init__(unit.code)
        self.unit = unit


def _not_yet(request: CentreRequest, unit: Unit) -> HttpResponse:
    return render(
        request, "moderation/centre_report_not_yet.html", {"unit": unit}, status=403
    )


@require_safe
@iamis_required
def centre_report(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    try:
        report = _visible_report(request, unit)
    except NotYet:
        return _not_yet(request, unit)
    return render(
        request,
        "moderation/centre_report.html",
        {"unit": unit, "centre": request.centre, "report": report},
    )


@require_POST
@iamis_required
def centre_report_pdf(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    try:
        _visible_report(request, unit)
    except NotYet:
        return _not_yet(request, unit)
    made = report_services.render_request(
        centre=request.centre,
        unit=unit,
        kind=ReportRender.Kind.MODERATOR_REPORT,
        acting_user=request.user,
        language=get_language() or "en",
    )
    return redirect("reports:render", render_id=made.public_id)
