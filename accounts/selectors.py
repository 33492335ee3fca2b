"""Reads about people: the signed-in user's centres, and a centre's users for its admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from centres.models import Centre, Membership
from centres.selectors import with_access
from iamis.models import Entry, Qualification, Unit

from .models import Invite, User


def memberships_for(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("centre")
        .order_by("centre__number")
    )


def exams_officer_of(*, centre: Centre) -> Membership | None:
    """The centre's exams officer account, if someone holds it."""
    return (
        Membership.objects.filter(
            centre=centre,
            account_type=Membership.AccountType.EXAMS_OFFICER,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user", "centre")
        .first()
    )


def iamis_users(*, centre: Centre) -> QuerySet[Membership]:
    """The centre's User accounts with IAMIS access (teachers), with their users."""
    from centres.models import AccessGrant

    return with_access(
        Membership.objects.filter(
            centre=centre,
            account_type=Membership.AccountType.USER,
            is_active=True,
            user__is_active=True,
            grants__area=AccessGrant.Area.IAMIS,
        )
        .select_related("user", "centre")
        .order_by("user__email")
    )


def access_membership(*, centre: Centre, member_id: UUID) -> Membership:
    """An active account at the centre; removed, missing and foreign ones are one 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "centre").prefetch_related(
            "grants", "iamis_qualifications", "iamis_units"
        ),
        centre=centre,
        public_id=member_id,
        is_active=True,
    )


def access_invite(*, centre: Centre, invite_id: UUID) -> Invite:
    return get_object_or_404(
        Invite.objects.select_related("centre"), centre=centre, public_id=invite_id
    )


@dataclass(frozen=True)
class CentreUserRow:
    """One line of the Centre Users list: an account, or an invite not yet accepted."""

    name: str
    email: str
    account_type: str
    last_signed_in: datetime | None
    status: str
    status_label: str
    membership: Membership | None = None
    invite: Invite | None = None

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.name.casefold(), self.email)


def _name_filter(search: str, prefix: str = "") -> Q:
    # "Joe Bloggs" should find Joe Bloggs, so the full name is searched as well as parts.
    return (
        Q(**{f"{prefix}first_name__icontains": search})
        | Q(**{f"{prefix}last_name__icontains": search})
        | Q(**{f"{prefix}email__icontains": search})
        | Q(full_name__icontains=search)
    )


def centre_user_rows(
    *, centre: Centre, search: str = "", now: datetime
) -> list[CentreUserRow]:
    """The centre's active accounts and its open or expired invites, sorted by name.

    Two queries whatever the number of rows. Accepted invites are left out (the account is
    listed instead), and so are revoked ones.
    """
    memberships = (
        Membership.objects.filter(centre=centre, is_active=True)
        .select_related("user")
        .annotate(full_name=Concat("user__first_name", Value(" "), "user__last_name"))
        # Sorted below, together with the invites: no ORDER BY (nor its join) needed.
        .order_by()
    )
    invites = (
        Invite.objects.filter(
            centre=centre, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
        .order_by()
    )
    search = search.strip()
    if search:
        memberships = memberships.filter(_name_filter(search, "user__"))
        invites = invites.filter(_name_filter(search))

    rows = [
        CentreUserRow(
            name=membership.user.get_full_name(),
            email=membership.user.email,
            account_type=membership.get_account_type_display(),
            last_signed_in=membership.user.last_login,
            status=Invite.Status.ACCEPTED,
            status_label=str(Invite.Status.ACCEPTED.label),
            membership=membership,
        )
        for membership in memberships
    ]
    for invite in invites:
        status = Invite.Status(invite.status_at(now))
        rows.append(
            CentreUserRow(
                name=f"{invite.first_name} {invite.last_name}".strip() or invite.email,
                email=invite.email,
                account_type=invite.get_account_type_display(),
                last_signed_in=None,
                status=status,
                status_label=str(status.label),
                invite=invite,
            )
        )
    return sorted(rows, key=lambda row: row.sort_key)


def iamis_qualification_choices(
    *, centre: Centre, membership: Membership
) -> QuerySet[Qualification]:
    """Qualifications the centre has entries for, plus any the account is limited to."""
    has_entries = Entry.objects.filter(
        centre=centre, unit__series__qualification=OuterRef("pk")
    )
    chosen = Membership.iamis_qualifications.through.objects.filter(
        membership=membership, qualification=OuterRef("pk")
    )
    return Qualification.objects.filter(Exists(has_entries) | Exists(chosen)).order_by(
        "name"
    )


def iamis_unit_choices(*, centre: Centre, membership: Membership) -> QuerySet[Unit]:
    """Units with entries at the centre, plus any the account is limited to already.

    Keeping chosen units that have since lost their entries means that saving the form
    never widens an account's access by silently dropping part of its limit.
    """
    has_entries = Entry.objects.filter(centre=centre, unit=OuterRef("pk"))
    chosen = Membership.iamis_units.through.objects.filter(
        membership=membership, unit=OuterRef("pk")
    )
    return (
        Unit.objects.filter(Exists(has_entries) | Exists(chosen))
        .select_related("series", "series__qualification")
        .order_by("series__name", "code")
    )
