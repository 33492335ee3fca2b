from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.selectors import memberships_for
from centres.models import AccessGrant


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The Portal menu for the active centre, or a pointer to the right place."""
    membership = getattr(request, "membership", None)
    if membership is None and memberships_for(user=request.user).exists():  # type: ignore[arg-type]
        return redirect("accounts:choose_centre")
    areas = []
    if membership is not None:
        areas = [area for area in AccessGrant.Area if membership.has_access(area)]
    return render(request, "portal/home.html", {"areas": areas})
