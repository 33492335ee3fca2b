"""The real URLs plus three planted mistakes the access matrix must catch
(tests/test_access_matrix.py)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_POST

from centres.tenancy import CentreRequest, centre_member_required, grant_required
from iamis.models import Candidate, Entry, Unit


@grant_required("iamis")
def tells_foreign_from_missing(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    # The bug under test: another centre's unit is "forbidden", a missing one "not
    # found", so the answer says which units exist.
    unit = Unit.objects.filter(public_id=unit_id).first()
    if unit is None:
        raise Http404
    if not Entry.objects.filter(centre=request.centre, unit=unit).exists():
        raise PermissionDenied
    return HttpResponse("ok")


@require_POST
@centre_member_required
def writes_before_checking(request: CentreRequest, candidate_no: int) -> HttpResponse:
    # The bug under test: the write comes before the access check.
    Candidate.objects.filter(centre=request.centre, number=candidate_no).update(
        surname="Renamed"
    )
    if not request.membership.is_centre_admin:
        raise PermissionDenied
    return HttpResponse("ok")


def undeclared(request: HttpRequest, widget_id: int) -> HttpResponse:
    return HttpResponse("nobody said who may see this")


urlpatterns = [
    path("", include("portal.root_urls")),
    path(
        "planted/units/<uuid:unit_id>/",
        tells_foreign_from_missing,
        name="planted_tells_foreign_from_missing",
    ),
    path(
        "planted/candidates/<int:candidate_no>/",
        writes_before_checking,
        name="planted_writes_before_checking",
    ),
    path("planted/widgets/<int:widget_id>/", undeclared, name="planted_undeclared"),
]
