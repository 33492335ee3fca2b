"""Centre Users services: what a User account may reach, and removing an account.

Both run for an exams officer or Admin account (`acting_user`) of the same centre. Each locks
the acting admin's membership and the target's, in primary-key order, and checks them again
inside the transaction: two admins removing each other, or a change racing a removal, cannot
act from an account that has just lost the right to.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.membership_cache import memberships_changed
from centres.models import AccessGrant, Centre, Membership
from centres.tenancy import SESSION_KEY
from iamis.models import Qualification, Unit

from ..models import User


def member_removal_refusal(*, membership: Membership, acting_user: User) -> str | None:
    """Why this account cannot be removed by this person, or None when it can."""
    if membership.user_id == acting_user.pk:
        return _("You cannot remove your own account.")
    if membership.account_type == Membership.AccountType.EXAMS_OFFICER:
        return _(
            "The exams officer's account cannot be removed. Request a change of exams "
            "officer instead."
        )
    return None


def _lock_for_admin_action(
    *, centre: Centre, membership: Membership, acting_user: User
) -> Membership:
    """Lock the target and the acting admin's membership; return the fresh target."""
    rows = list(
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(centre=centre)
        .filter(Q(pk=membership.pk) | Q(user=acting_user))
        .order_by("pk")
    )
    target = next((row for row in rows if row.pk == membership.pk), None)
    acting = next((row for row in rows if row.user_id == acting_user.pk), None)
    if acting is None or not acting.is_active or not acting.is_centre_admin:
        raise ValidationError(
            _("Only the exams officer or an Admin account can manage users.")
        )
    if target is None or not target.is_active:
        raise ValidationError(_("This account is no longer part of the centre."))
    return target


def _unit_label(unit: Unit) -> str:
    return f"{unit.series.slug}/{unit.code}"


def _access_snapshot(membership: Membership) -> dict[str, list[str]]:
    """Access in words that stay readable in the audit log after units are renamed."""
    return {
        "areas": sorted(membership.grants.values_list("area", flat=True)),
        "iamis_qualifications": sorted(
            membership.iamis_qualifications.values_list("code", flat=True)
        ),
        "iamis_units": sorted(
            _unit_label(unit)
            for unit in membership.iamis_units.select_related("series")
        ),
    }


def member_access_change(
    *,
    centre: Centre,
    membership: Membership,
    areas: Iterable[str],
    iamis_qualifications: Iterable[Qualification],
    iamis_units: Iterable[Unit],
    acting_user: User,
    request: HttpRequest | None = None,
) -> bool:
    """Set a User account's areas and IAMIS limit; True when anything changed.

    No qualification and no unit chosen means IAMIS covers every unit of the centre; a
    chosen qualification covers all of its units. The limit is kept when IAMIS is switched
    off, so switching it back on never widens access beyond what was last chosen.
    """
    wanted = set(areas)
    unknown = wanted - set(AccessGrant.Area.values)
    if unknown:
        raise ValidationError(
            _("Unknown access area: %(area)s") % {"area": min(unknown)}
        )
    qualifications = list(iamis_qualifications)
    units = list(iamis_units)
    with transaction.atomic():
        target = _lock_for_admin_action(
            centre=centre, membership=membership, acting_user=acting_user
        )
        if target.is_centre_admin:
            raise ValidationError(
                _(
                    "Exams officer and Admin accounts have access to every area; "
                    "there is nothing to grant."
                )
            )
        before = _access_snapshot(target)
        current = set(before["areas"])
        AccessGrant.objects.filter(
            membership=target, area__in=current - wanted
        ).delete()
        new_grants = [
            AccessGrant(membership=target, area=area)
            for area in sorted(wanted - current)
        ]
        for grant in new_grants:
            grant.full_clean()
        AccessGrant.objects.bulk_create(new_grants)
        # bulk_create sends no save signal: the cached membership is renewed here.
        memberships_changed([target.pk])
        target.iamis_qualifications.set(qualifications)
        target.iamis_units.set(units)
        after = _access_snapshot(target)
        if before == after:
            return False
        audit_record(
            action=AuditEvent.Action.ACCESS_CHANGED,
            actor=acting_user,
            centre=centre,
            target=target.user.email,
            request=request,
            before=before,
            after=after,
        )
    return True


def member_remove(
    *,
    centre: Centre,
    membership: Membership,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Membership:
    """Take an account off the centre: no grants, no IAMIS limit, no sessions here.

    The membership row is kept (inactive) so that the audit trail still names it; a later
    invite to the same address reactivates it with no access, as for a newcomer.
    """
    with transaction.atomic():
        target = _lock_for_admin_action(
            centre=centre, membership=membership, acting_user=acting_user
        )
        refusal = member_removal_refusal(membership=target, acting_user=acting_user)
        if refusal is not None:
            raise ValidationError(refusal)
        before = _access_snapshot(target)
        target.grants.all().delete()
        target.iamis_qualifications.clear()
        target.iamis_units.clear()
        target.is_active = False
        target.left_at = timezone.now()
        target.full_clean()
        target.save(update_fields=["is_active", "left_at"])
        sessions_ended = _end_sessions_at_centre(membership=target)
        audit_record(
            action=AuditEvent.Action.USER_REMOVED,
            actor=acting_user,
            centre=centre,
            target=target.user.email,
            request=request,
            account_type=target.account_type,
            access=before,
            sessions_ended=sessions_ended,
        )
    return target


def _end_sessions_at_centre(*, membership: Membership) -> int:
    """Delete every live session whose active membership is this one (ASVS 7.4.2).

    Session data is signed, encoded text, so the database cannot filter on it: each live
    session is decoded here. Live sessions are those used within the absolute lifetime,
    which keeps the scan small; a key index would need its own table. Sessions that chose
    another centre are left alone. Deleting through the configured store also clears the
    cache copy of a cached_db session; in the database it commits or rolls back with the
    removal. A request already in flight cannot save the deleted session back: Django
    answers it with SessionInterrupted.
    """
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    decoder = store_class()
    live = Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    )
    doomed = [
        session_key
        for session_key, data in live.iterator(chunk_size=500)
        if decoder.decode(data).get(SESSION_KEY) == membership.pk
    ]
    for session_key in doomed:
        store_class(session_key=session_key).delete()
    return len(doomed)
