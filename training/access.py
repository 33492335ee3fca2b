"""Who may use the training area, and the Terms of Use that come before the training.

The terms are asked for on training pages only: a teacher given a training role keeps
using IAMIS and the rest of the portal before (or without ever) accepting them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_htmx.http import HttpResponseClientRedirect

from centres.models import AccessGrant
from centres.tenancy import CentreRequest, grant_required

from . import services

ViewFunc = Callable[..., HttpResponse]


def training_required(view: ViewFunc) -> ViewFunc:
    """The training grant (exams officers and Admins have every area), and the Terms of
    Use accepted by the staff who take the training (exams officers and Admins, who
    oversee it and hand out the accounts, are not asked)."""

    @grant_required(AccessGrant.Area.TRAINING)
    @wraps(view)
    def wrapper(request: CentreRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.membership.is_centre_admin and not services.terms_accepted(
            request.user
        ):
            return redirect_to_terms(request)
        return view(request, *args, **kwargs)

    return wrapper


def redirect_to_terms(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()})
    target = f"{reverse('training:terms')}?{query}"
    if request.headers.get("HX-Request"):
        # A swap would put the terms page inside the training page: go there instead.
        return HttpResponseClientRedirect(target)
    return redirect(target)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
