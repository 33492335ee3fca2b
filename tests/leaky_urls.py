"""The real URLs plus one view that forgets the access helper: the walker must catch it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from common.tenancy import centre_member_required
from iamis.models import Candidate


@centre_member_required
def leaky_candidate(request: HttpRequest, candidate_no: int) -> HttpResponse:
    # The bug under test: no centre filter, so any centre's candidate is shown.
    candidate = Candidate.objects.filter(number=candidate_no).first()
    if candidate is None:
        return HttpResponse(status=404)
    return HttpResponse(candidate.surname)


urlpatterns = [
    path("", include("portal.root_urls")),
    path("leaky/<int:candidate_no>/", leaky_candidate, name="leaky_candidate"),
]
