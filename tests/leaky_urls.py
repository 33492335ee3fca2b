"""The real URLs plus two views that forget the access helper.

`leaky_candidate` also goes round the centre scope (the base manager), so the walker must
catch it; `forgetful_candidate` uses the scoped default manager, so the scope alone must
stop the leak (common/scoping.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from centres.tenancy import centre_member_required
from iamis.models import Candidate


@centre_member_required
def leaky_candidate(request: HttpRequest, candidate_no: int) -> HttpResponse:
    # The bug under test: no centre filter and no scope, so any centre's candidate shows.
    candidate = Candidate._base_manager.filter(number=candidate_no).first()
    if candidate is None:
        return HttpResponse(status=404)
    return HttpResponse(candidate.surname)


@centre_member_required
def forgetful_candidate(request: HttpRequest, candidate_no: int) -> HttpResponse:
    # The same mistake through the default manager: the request's scope adds the centre.
    candidate = Candidate.objects.filter(number=candidate_no).first()
    if candidate is None:
        return HttpResponse(status=404)
    return HttpResponse(candidate.surname)


urlpatterns = [
    path("", include("portal.root_urls")),
    path("leaky/<int:candidate_no>/", leaky_candidate, name="leaky_candidate"),
    path(
        "forgetful/<int:candidate_no>/",
        forgetful_candidate,
        name="forgetful_candidate",
    ),
]
