from __future__ import annotations

from itertools import groupby
from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.models import AccessGrant
from common.tenancy import CentreRequest, grant_required

from . import selectors

iamis_required = grant_required(AccessGrant.Area.IAMIS)


@require_safe
@iamis_required
def index(request: CentreRequest) -> HttpResponse:
    units = list(selectors.units_for_member(membership=request.membership))
    series_groups = [
        (series, list(group))
        for series, group in groupby(units, key=lambda u: u.series)
    ]
    return render(request, "iamis/index.html", {"series_groups": series_groups})


@require_safe
@iamis_required
def unit_entries(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    entries = selectors.unit_entries(centre=request.centre, unit=unit)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "iamis/unit_entries.html",
        {"unit": unit, "page": page, "tasks": list(unit.tasks.all())},
    )


@require_safe
@iamis_required
def candidate_detail(request: CentreRequest, candidate_no: int) -> HttpResponse:
    candidate = selectors.access_candidate(
        membership=request.membership, candidate_no=candidate_no
    )
    entries = selectors.candidate_entries(
        membership=request.membership, candidate=candidate
    )
    return render(
        request,
        "iamis/candidate_detail.html",
        {"candidate": candidate, "entries": entries},
    )
