"""Manage Centre, and the change of exams officer for people without Portal access."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from centres.tenancy import CentreRequest, centre_admin_required
from common.client_ip import client_ip
from common.service_errors import add_service_error
from portal import selectors, services
from portal.forms import ExamsOfficerChangeForm, ManageCentreForm

# The public form needs no account, so it is throttled per address: a school sends one
# request, not dozens (accepted requests are counted, a typo costs nothing).
PUBLIC_FORM_LIMIT = 10
PUBLIC_FORM_WINDOW_SECONDS = 60 * 60
RECENT_CHANGES_SHOWN = 5


@require_http_methods(["GET", "POST"])
@centre_admin_required
def manage_centre(request: CentreRequest) -> HttpResponse:
    centre = request.centre
    form = ManageCentreForm(
        request.POST if request.method == "POST" else None, centre=centre
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.centre_details_save(
                centre=centre,
                acting_user=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if result.changed_fields:
                messages.success(request, _("The centre details have been saved."))
            if result.eo_change_created:
                messages.success(
                    request,
                    _(
                        "Your change of exams officer has been sent to the board. The "
                        "board will confirm the change by e-mail and send an invite to "
                        "the new exams officer."
                    ),
                )
            elif result.eo_change is not None:
                messages.info(
                    request,
                    _("This change of exams officer is already with the board."),
                )
            elif not result.changed_anything:
                messages.info(request, _("Nothing was changed."))
            return redirect("portal:manage_centre")
    eo_changes = selectors.recent_eo_changes(centre=centre, limit=RECENT_CHANGES_SHOWN)
    return render(
        request,
        "portal/centre/manage_centre.html",
        {"form": form, "centre": centre, "eo_changes": eo_changes},
    )


def _throttle_key(request: HttpRequest) -> str:
    return f"eo-change-public:{client_ip(request) or 'unknown'}"


def _throttled(request: HttpRequest) -> bool:
    return int(cache.get(_throttle_key(request), 0)) >= PUBLIC_FORM_LIMIT


def _count_submission(request: HttpRequest) -> None:
    key = _throttle_key(request)
    cache.add(key, 0, PUBLIC_FORM_WINDOW_SECONDS)
    cache.incr(key)


@require_http_methods(["GET", "POST"])
def eo_change_public(request: HttpRequest) -> HttpResponse:
    """No sign-in: whatever is typed, the answer never says whether the centre exists."""
    throttled = _throttled(request)
    form = ExamsOfficerChangeForm(
        request.POST if request.method == "POST" and not throttled else None
    )
    if request.method == "POST" and not throttled and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.exams_officer_change_submit(
                centre_number=data["centre_number"],
                centre_name=data["centre_name"],
                new_name=data["new_name"],
                new_email=data["new_email"],
                sender_name=data["sender_name"],
                sender_role=data["sender_role"],
                sender_email=data["sender_email"],
                request=request,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            _count_submission(request)
            messages.success(
                request,
                _(
                    "Thank you: your request has been received. Keep the address of "
                    "this page to check its status."
                ),
            )
            return redirect("portal:eo_change_status", change_id=change.public_id)
    status = 429 if throttled and request.method == "POST" else 200
    return render(
        request,
        "portal/centre/eo_change_public.html",
        {"form": form, "throttled": throttled},
        status=status,
    )


@require_safe
def eo_change_status(request: HttpRequest, change_id: UUID) -> HttpResponse:
    """Reached by the request's unguessable id: the reference, date and status, no more."""
    change = selectors.eo_change_by_reference(change_id=change_id)
    response = render(
        request,
        "portal/centre/eo_change_status.html",
        {
            "reference": change.public_id,
            "received_at": change.created_at,
            "status": change.get_status_display(),
            "status_url": request.build_absolute_uri(request.path),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response
