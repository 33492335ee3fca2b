"""Who may use the training area, and the Terms of Use that come before anything else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.models import AccessGrant
from common.tenancy import CentreRequest, grant_required

from . import services

ViewFunc = Callable[..., HttpResponse]

# Pages a person who has not yet accepted the terms may still reach.
_BEFORE_TERMS = ("/training/terms/", "/accounts/", "/i18n/", "/static/")


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
    return redirect(f"{reverse('training:terms')}?{query}")


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class TermsFirstMiddleware:
    """Centre staff given a training role accept the Terms of Use on first sign-in,
    before anything else (the guide's first-time login)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and _takes_training(membership)
            and not request.session.get(TERMS_OK)
        ):
            if services.terms_accepted(request.user):  # type: ignore[arg-type]
                # Remembered for the session: no query on the next requests.
                request.session[TERMS_OK] = True
            elif not request.path.startswith(_BEFORE_TERMS):
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("training:terms")
                    return response
                return redirect_to_terms(request)
        return self.get_response(request)


TERMS_OK = "training_terms_ok"


def _takes_training(membership: object) -> bool:
    # The tenancy middleware loads the membership with its training profile (a join,
    # no query of its own), so people who take no training cost nothing here.
    from django.core.exceptions import ObjectDoesNotExist

    # Exams officers and Admins oversee the training and are not asked (as in
    # training_required).
    if getattr(membership, "is_centre_admin", False):
        return False
    try:
        return getattr(membership, "training", None) is not None
    except ObjectDoesNotExist:
        return False
