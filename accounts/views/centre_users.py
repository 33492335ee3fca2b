"""Centre Users: the exams officer's and Admin accounts' pages for the centre's people.

Every view is for `centre_admin_required` members only and loads the invite or membership
named in the URL through `accounts.selectors.access_*`, so another centre's id is a 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.middleware import HtmxDetails

from accounts import selectors
from accounts.forms.centre_users import (
    CentreUserFilterForm,
    InviteUserForm,
    MemberAccessForm,
    PasswordConfirmationForm,
)
from accounts.services import centre_users as services
from accounts.services import invites
from audit.selectors import centre_events
from centres.models import AccessGrant
from centres.tenancy import CentreRequest, centre_admin_required
from common.service_errors import service_message

AUDIT_PAGE_SIZE = 50


class HtmxCentreRequest(CentreRequest):
    htmx: HtmxDetails


@require_safe
@centre_admin_required
def centre_users(request: HtmxCentreRequest) -> HttpResponse:
    filter_form = CentreUserFilterForm(request.GET)
    search = filter_form.cleaned_data["q"] if filter_form.is_valid() else ""
    rows = selectors.centre_user_rows(
        centre=request.centre, search=search, now=timezone.now()
    )
    removable = {
        row.membership.pk
        for row in rows
        if row.membership is not None
        and services.member_removal_refusal(
            membership=row.membership, acting_user=request.user
        )
        is None
    }
    template = "accounts/centre_users/list.html"
    # The live filter swaps only the results; a history restore needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        template += "#user-results"
    response = render(
        request,
        template,
        {
            "filter_form": filter_form,
            "search": search,
            "rows": rows,
            "removable": removable,
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@centre_admin_required
def invite_user(request: CentreRequest) -> HttpResponse:
    form = InviteUserForm(request.POST if request.method == "POST" else None)
    # The replace box shows once it is needed, and stays if ticked and the form fails.
    offer_replace = bool(form.is_bound and form.data.get("replace_pending"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            sent = invites.invite_send(
                centre=request.centre,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=data["language"],
                account_type=data["account_type"],
                invited_by=request.user,
                request=request,
                staff_roles=data.get("staff_roles") or [],
                replace_pending=data["replace_pending"],
            )
        except ValidationError as error:
            # invite_send refuses only for the address: a member here, or an invite waiting.
            form.add_error("email", error)
            offer_replace = error.code == "pending_invite"
        else:
            messages.success(
                request,
                _("Invite sent to %(email)s.") % {"email": sent.invite.email},
            )
            return redirect("accounts:centre_users")
    return render(
        request,
        "accounts/centre_users/invite.html",
        {"form": form, "offer_replace": offer_replace},
    )


@require_POST
@centre_admin_required
def invite_resend(request: CentreRequest, invite_id: UUID) -> HttpResponse:
    invite = selectors.access_invite(centre=request.centre, invite_id=invite_id)
    try:
        invites.invite_resend(invite=invite, acting_user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, service_message(error))
    else:
        messages.success(
            request,
            _("A new invite was sent to %(email)s; the earlier link no longer works.")
            % {"email": invite.email},
        )
    return redirect("accounts:centre_users")


@require_http_methods(["GET", "POST"])
@centre_admin_required
def invite_revoke(request: CentreRequest, invite_id: UUID) -> HttpResponse:
    invite = selectors.access_invite(centre=request.centre, invite_id=invite_id)
    form = PasswordConfirmationForm(
        request.POST if request.method == "POST" else None, request=request
    )
    if form.is_valid():
        try:
            invites.invite_revoke(
                invite=invite, acting_user=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, service_message(error))
        else:
            messages.success(
                request,
                _("The invite for %(email)s was revoked.") % {"email": invite.email},
            )
        return redirect("accounts:centre_users")
    return render(
        request,
        "accounts/centre_users/revoke.html",
        {"invite": invite, "form": form},
    )


@require_http_methods(["GET", "POST"])
@centre_admin_required
def member_access(request: CentreRequest, member_id: UUID) -> HttpResponse:
    member = selectors.access_membership(centre=request.centre, member_id=member_id)
    template = "accounts/centre_users/access.html"
    if member.is_centre_admin:
        # Nothing to switch: these accounts have every area (Membership.has_access).
        return render(
            request,
            template,
            {"member": member, "form": None, "areas": AccessGrant.Area.choices},
        )
    form = MemberAccessForm(
        request.POST if request.method == "POST" else None,
        request=request,
        membership=member,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.member_access_change(
                centre=request.centre,
                membership=member,
                areas=data["areas"],
                iamis_qualifications=data["iamis_qualifications"],
                iamis_units=data["iamis_units"],
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            name = member.user.get_full_name()
            if changed:
                messages.success(
                    request, _("Access for %(name)s was changed.") % {"name": name}
                )
            else:
                messages.info(
                    request,
                    _("Access for %(name)s was already as chosen.") % {"name": name},
                )
            return redirect("accounts:centre_users")
    return render(request, template, {"member": member, "form": form})


@require_http_methods(["GET", "POST"])
@centre_admin_required
def member_remove(request: CentreRequest, member_id: UUID) -> HttpResponse:
    member = selectors.access_membership(centre=request.centre, member_id=member_id)
    form = PasswordConfirmationForm(
        request.POST if request.method == "POST" else None, request=request
    )
    if form.is_valid():
        try:
            services.member_remove(
                centre=request.centre,
                membership=member,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, service_message(error))
        else:
            messages.success(
                request,
                _("%(name)s can no longer use this centre's Portal.")
                % {"name": member.user.get_full_name()},
            )
        return redirect("accounts:centre_users")
    refusal = services.member_removal_refusal(
        membership=member, acting_user=request.user
    )
    return render(
        request,
        "accounts/centre_users/remove.html",
        {"member": member, "refusal": refusal, "form": form},
    )


@require_safe
@centre_admin_required
def centre_audit(request: CentreRequest) -> HttpResponse:
    events = centre_events(centre=request.centre)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/centre_users/audit.html", {"page": page})
