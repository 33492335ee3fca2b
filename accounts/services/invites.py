"""Invites: single-use links, valid for 7 days, to join a centre.

The link carries a random token; only its SHA-256 is stored. Accepting an invite for an e-mail
that already has an account adds a membership to that account instead of a second user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.models import AuditEvent
from audit.services import audit_record
from centres.membership_cache import memberships_changed
from centres.models import Centre, Membership
from common.urls import absolute_url
from outbox.services import notify

from ..models import Invite, User


@dataclass(frozen=True)
class SentInvite:
    invite: Invite
    link: str


@sensitive_variables()
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@sensitive_variables()
def link_is_current(invite: Invite, link: str) -> bool:
    """Whether `link` carries the invite's current token (not one a resend replaced)."""
    token = link.rstrip("/").rsplit("/", 1)[-1]
    return _hash(token) == invite.token_hash


@sensitive_variables()
def _link(request: HttpRequest | None, token: str) -> str:
    path = reverse("accounts:invite_accept", args=[token])
    return absolute_url(path, request)


@sensitive_variables()
def _send_email(invite: Invite, link: str) -> None:
    """E-mail the link once this transaction commits (notifications.emails.invite)."""
    notify("invite", invite_id=invite.pk, secrets={"link": link})


@sensitive_variables()
def _issue_token(invite: Invite) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invite.token_hash = _hash(token)
    invite.sent_at = now
    invite.expires_at = now + Invite.VALID_FOR
    return token


def pending_invite(*, centre: Centre, email: str) -> Invite | None:
    """The invite to `email` at the centre that can still be accepted, if any."""
    return (
        Invite.objects.filter(
            centre=centre,
            email__iexact=email.strip(),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-sent_at")
        .first()
    )


def _refuse_pending(invite: Invite) -> None:
    raise ValidationError(
        _(
            "An invite to %(email)s is already waiting: for %(name)s, sent on "
            "%(date)s. Tick “Replace the waiting invite” to send these details "
            "instead, or use Resend invite on Centre Users to send the same one again."
        )
        % {
            "email": invite.email,
            "name": f"{invite.first_name} {invite.last_name}".strip(),
            "date": date_format(timezone.localtime(invite.sent_at), "j F Y"),
        },
        code="pending_invite",
    )


@sensitive_variables()
def invite_send(
    *,
    centre: Centre,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    account_type: str,
    invited_by: User | None,
    request: HttpRequest | None = None,
    staff_roles: list[str] | None = None,
    replace_pending: bool = False,
) -> SentInvite:
    """Invite someone to the centre and e-mail them the link.

    Refused when they are already an active member, and when an invite to the address is
    still waiting unless `replace_pending` says to replace it (its details are never
    overwritten unasked). Earlier unused invites for the address are revoked, so only the
    newest link works.
    """
    email = email.strip().lower()
    if Membership.objects.filter(
        centre=centre, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationError(
            _("%(email)s already has an account at this centre.") % {"email": email}
        )
    waiting = pending_invite(centre=centre, email=email)
    if waiting is not None and not replace_pending:
        _refuse_pending(waiting)
    with transaction.atomic():
        now = timezone.now()
        Invite.objects.filter(
            centre=centre,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
        invite = Invite(
            centre=centre,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            language=language,
            account_type=account_type,
            invited_by=invited_by,
            staff_roles=list(staff_roles or []),
        )
        token = _issue_token(invite)
        invite.full_clean()
        invite.save()
        audit_record(
            action=AuditEvent.Action.INVITE_SENT,
            actor=invited_by,
            centre=centre,
            target=email,
            request=request,
            account_type=account_type,
        )
        link = _link(request, token)
        _send_email(invite, link)
    return SentInvite(invite=invite, link=link)


@sensitive_variables()
def invite_resend(
    *, invite: Invite, acting_user: User, request: HttpRequest | None = None
) -> SentInvite:
    """A fresh link and 7 more days; the old link stops working."""
    if invite.accepted_at is not None or invite.revoked_at is not None:
        raise ValidationError(_("This invite has already been used or revoked."))
    with transaction.atomic():
        token = _issue_token(invite)
        invite.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit_record(
            action=AuditEvent.Action.INVITE_RESENT,
            actor=acting_user,
            centre=invite.centre,
            target=invite.email,
            request=request,
        )
        link = _link(request, token)
        _send_email(invite, link)
    return SentInvite(invite=invite, link=link)


def invite_revoke(
    *, invite: Invite, acting_user: User, request: HttpRequest | None = None
) -> Invite:
    if invite.accepted_at is not None:
        raise ValidationError(_("This invite has already been accepted."))
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.INVITE_REVOKED,
            actor=acting_user,
            centre=invite.centre,
            target=invite.email,
            request=request,
        )
    return invite


@sensitive_variables()
def invite_for_token(token: str) -> Invite | None:
    """The invite a link names, if it can still be used."""
    invite = (
        Invite.objects.select_related("centre").filter(token_hash=_hash(token)).first()
    )
    if invite is None or not invite.is_usable_at(timezone.now()):
        return None
    return invite


@sensitive_variables()
def invite_accept(
    *, token: str, password: str | None, request: HttpRequest | None = None
) -> User:
    """Use the invite once: create (or reuse) the account and add the membership.

    `password` is required for a new account and ignored for an existing one (that person
    keeps their password and authenticator). An exams-officer invite makes the newcomer the
    centre's exams officer; the previous one becomes an Admin account.
    """
    with transaction.atomic():
        invite = (
            Invite.objects.select_for_update()
            .select_related("centre")
            .filter(token_hash=_hash(token))
            .first()
        )
        if invite is None or not invite.is_usable_at(timezone.now()):
            raise ValidationError(
                _("This invite link has expired or has already been used.")
            )
        user = User.objects.filter(email__iexact=invite.email).first()
        if user is None:
            if not password:
                raise ValidationError(_("Choose a password."))
            user = User.objects.create_user(
                invite.email,
                password,
                first_name=invite.first_name,
                last_name=invite.last_name,
                language=invite.language,
            )
        if invite.account_type == Membership.AccountType.EXAMS_OFFICER:
            _former_exams_officers_become_admins(centre=invite.centre, user=user)
            centre = invite.centre
            centre.exams_officer_name = (
                f"{invite.first_name} {invite.last_name}".strip()
            )
            centre.exams_officer_email = invite.email
            centre.save(update_fields=["exams_officer_name", "exams_officer_email"])
        membership = _membership_activate(
            user=user, centre=invite.centre, account_type=invite.account_type
        )
        if invite.staff_roles:
            from training.services import roles_assign

            # Roles give the training area (roles_assign).
            roles_assign(membership=membership, role_codes=invite.staff_roles)
        invite.accepted_at = timezone.now()
        invite.save(update_fields=["accepted_at"])
        audit_record(
            action=AuditEvent.Action.INVITE_ACCEPTED,
            actor=user,
            centre=invite.centre,
            target=invite.email,
            request=request,
        )
    return user


def _membership_activate(
    *, user: User, centre: Centre, account_type: str
) -> Membership:
    """The person's membership of the centre, made or brought back as `account_type`.

    Coming back after being removed starts a new spell: what the centre sees of their
    own events (audit.selectors.centre_events) starts again from now.
    """
    membership = (
        Membership.objects.select_for_update().filter(user=user, centre=centre).first()
    )
    if membership is None:
        return Membership.objects.create(
            user=user, centre=centre, account_type=account_type
        )
    fields = ["account_type"]
    if not membership.is_active:
        membership.is_active = True
        membership.joined_at = timezone.now()
        membership.left_at = None
        fields += ["is_active", "joined_at", "left_at"]
    membership.account_type = account_type
    membership.save(update_fields=fields)
    return membership


def _former_exams_officers_become_admins(*, centre: Centre, user: User) -> None:
    former = Membership.objects.filter(
        centre=centre,
        account_type=Membership.AccountType.EXAMS_OFFICER,
        is_active=True,
    ).exclude(user=user)
    # An UPDATE sends no save signal: their cached memberships are renewed here.
    memberships_changed(former.values_list("pk", flat=True))
    former.update(account_type=Membership.AccountType.ADMIN)


def exams_officer_hand_over(*, centre: Centre, user: User, name: str) -> Membership:
    """Make `user` the centre's exams officer; the previous one becomes an Admin account.

    The centre record's exams officer name and e-mail follow. Call inside a transaction.
    """
    _former_exams_officers_become_admins(centre=centre, user=user)
    membership = _membership_activate(
        user=user, centre=centre, account_type=Membership.AccountType.EXAMS_OFFICER
    )
    centre.exams_officer_name = " ".join(name.split())
    centre.exams_officer_email = user.email
    centre.save(update_fields=["exams_officer_name", "exams_officer_email"])
    return membership
