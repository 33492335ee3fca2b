"""The centre's side of moderation: the moderator's report, from results day only.
Its PDF is made and served by `reports` (reports.views.centre_moderator_report_pdf)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from centres.tenancy import CentreRequest, iamis_required
from iamis import selectors as iamis_selectors
from iamis.models import Unit

from .. import selectors


def not_yet(request: CentreRequest, unit: Unit) -> HttpResponse:
    return render(
        request, "moderation/centre_report_not_yet.html", {"unit": unit}, status=403
    )


@require_safe
@iamis_required
def centre_report(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    try:
        report = selectors.centre_visible_report(centre=request.centre, unit=unit)
    except selectors.NotYet:
        return not_yet(request, unit)
    return render(
        request,
        "moderation/centre_report.html",
        {
            "unit": unit,
            "centre": request.centre,
            "report": report,
            # From results day (centre_visible_report said so): the outcome in force.
            "outcome_view": selectors.outcome_view(centre=request.centre, unit=unit),
        },
    )
