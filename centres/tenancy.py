"""The one tenancy mechanism: which centre the signed-in person is working for.

`TenancyMiddleware` puts the active membership and centre on every request. Views that show
centre-owned data are wrapped in `centre_member_required`, and load every object named in the
URL through an `access_*` helper that filters by `request.centre` in the query, so another
centre's object gives the same 404 as a missing one. The middleware also enters the
request's centre scope (common/scoping.py), which centre-owned models' managers enforce.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from common import scoping

from .membership_cache import cached_membership
from .models import AccessGrant, Centre, Membership, ModeratorAllocation
from .selectors import with_access

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User

SESSION_KEY = "active_membership_id"
SEVERAL_KEY = "has_several_centres"


class AuthenticatedRequest(HttpRequest):
    htmx: HtmxDetails
    user: User
    membership: Membership | None
    centre: Centre | None


class CentreRequest(HttpRequest):
    """A request from a signed-in member with an active centre (see centre_member_required)."""

    htmx: HtmxDetails
    user: User
    membership: Membership
    centre: Centre


def _memberships_of(user: User) -> QuerySet[Membership]:
    """A person's active memberships, each read in one query with what every request
    needs: the centre, the training profile (training.access's terms check), the
    granted areas and the unit limit (accounts.selectors.with_access)."""
    return with_access(
        Membership.objects.filter(user=user, is_active=True, centre__isnull=False)
        # The model's ordering joins the user for their e-mail: not wanted here.
        .order_by("pk")
        .select_related("centre", "training")
    )


def active_membership(request: HttpRequest) -> Membership | None:
    """The membership chosen in this session, or the only one a person has."""

    user = request.user
    if not user.is_authenticated:
        return None
    chosen_id = request.session.get(SESSION_KEY)
    if chosen_id is not None:
        # The query is built only on a cache miss: building it is most of its cost.
        membership = cached_membership(
            chosen_id, lambda: _memberships_of(user).filter(pk=chosen_id).first()
        )
        if membership is not None and membership.user_id == user.pk:
            if SEVERAL_KEY not in request.session:
                request.session[SEVERAL_KEY] = _memberships_of(user).count() > 1
            return membership
        request.session.pop(SESSION_KEY, None)
    only = list(_memberships_of(user)[:2])
    request.session[SEVERAL_KEY] = len(only) > 1
    if len(only) == 1:
        request.session[SESSION_KEY] = only[0].pk
        return only[0]
    return None


def remember_memberships(request: HttpRequest, user: User) -> None:
    """At sign-in: note whether the person has several centres and, with only one,
    choose it, so the pages after sign-in need not write the session to say so."""
    only = list(_memberships_of(user)[:2])
    request.session[SEVERAL_KEY] = len(only) > 1
    if len(only) == 1:
        request.session[SESSION_KEY] = only[0].pk
        # Into the cache too: the first page after sign-in need not read it again.
        cached_membership(only[0].pk, lambda: only[0])


def choose_membership(request: HttpRequest, membership: Membership) -> None:
    request.session[SESSION_KEY] = membership.pk
    # Remembered here so the page header need not count memberships on every request.
    request.session[SEVERAL_KEY] = (
        Membership.objects.filter(user_id=membership.user_id, is_active=True).count()
        > 1
    )


def scope_for_request(request: HttpRequest) -> scoping.Scope:
    """What the person behind a request may see (after TenancyMiddleware set the centre)."""
    user = request.user
    if not user.is_authenticated:
        return scoping.Scope(label="signed out", condition=scoping.NO_CENTRE)
    if user.is_staff:
        return scoping.Scope(label=f"board staff {user.pk}", condition=None)
    allowed: list[Q] = []
    centre = getattr(request, "centre", None)
    if centre is not None:
        allowed.append(Q(centre_id=centre.pk))
    if getattr(user, "is_moderator", False):
        # A subquery, not a list: no extra round trip for pages that read nothing scoped.
        allocated = ModeratorAllocation.objects.filter(moderator=user).values(
            "centre_id"
        )
        allowed.append(Q(centre_id__in=allocated))
    if not allowed:
        return scoping.Scope(label=f"user {user.pk}", condition=scoping.NO_CENTRE)
    condition = allowed[0]
    for extra in allowed[1:]:
        condition |= extra
    return scoping.Scope(label=f"user {user.pk}", condition=condition)


class TenancyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = active_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.centre = membership.centre if membership else None  # type: ignore[attr-defined]
        request.several_centres = bool(request.session.get(SEVERAL_KEY))  # type: ignore[attr-defined]
        # The fail-closed second lock (common/scoping.py): the rest of the request reads
        # centre-owned rows only of the centres this person may see.
        with scoping.entered(scope_for_request(request)):
            return self.get_response(request)


ViewFunc = Callable[..., HttpResponse]


def centre_member_required(view: ViewFunc) -> ViewFunc:
    """Signed in, and working for a centre; people with several centres pick one first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "membership", None) is None:
            if request.user.memberships.filter(is_active=True).exists():
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('accounts:choose_centre')}?{query}")
            return render(request, "portal/no_centre.html", status=403)
        return view(cast(CentreRequest, request), *args, **kwargs)

    return wrapper


def grant_required(area: str) -> Callable[[ViewFunc], ViewFunc]:
    """Centre member with the given access grant (exams officers and admins have them all)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @centre_member_required
        @wraps(view)
        def wrapper(request: CentreRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.membership.has_access(area):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# The IAMIS screens, and those that build on them (samples, uploads, reports).
iamis_required = grant_required(AccessGrant.Area.IAMIS)


def centre_admin_required(view: ViewFunc) -> ViewFunc:
    """Exams officer or Admin account of the active centre; User accounts get 403."""

    @centre_member_required
    @wraps(view)
    def wrapper(request: CentreRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.membership.is_centre_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
