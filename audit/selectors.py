from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from centres.models import Centre, Membership

from .models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User

# A person's sign-in events: from wherever they signed in, with that address.
SIGN_IN_ACTIONS = (
    AuditEvent.Action.SIGN_IN,
    AuditEvent.Action.SIGN_IN_FAILED,
    AuditEvent.Action.LOCKED_OUT,
    AuditEvent.Action.SIGN_OUT,
)


def _member_when_it_happened(memberships: QuerySet[Membership]) -> Q:
    """The event's person had one of `memberships` at the event's time."""
    then = memberships.filter(joined_at__lte=OuterRef("at")).filter(
        Q(left_at__gt=OuterRef("at")) | Q(left_at__isnull=True, is_active=True)
    )
    return Q(Exists(then.filter(user=OuterRef("actor")))) | Q(
        Exists(then.filter(user__email=OuterRef("actor_email")))
    )


def centre_events(*, centre: Centre) -> QuerySet[AuditEvent]:
    """The centre's own events, plus its members' personal events (no centre).

    Sign-ins and account changes belong to a person rather than a centre, so they carry
    no centre; an exams officer still sees their staff's. Only those from while the
    person was a member, though: nothing from before they joined or after they left.
    And a sign-in of someone who was a member of another centre too at the time may have
    been made there, from that centre's address, so no centre sees it (board staff do).
    """
    here = Membership.objects.filter(centre=centre)
    elsewhere = Membership.objects.exclude(centre=centre)
    personal = (
        Q(centre__isnull=True)
        & _member_when_it_happened(here)
        & ~(Q(action__in=SIGN_IN_ACTIONS) & _member_when_it_happened(elsewhere))
    )
    return (
        AuditEvent.objects.filter(Q(centre=centre) | personal)
        .select_related("centre")
        .order_by("-at", "-id")
    )


def password_ever_changed(*, user: User) -> bool:
    return AuditEvent.objects.filter(
        actor=user, action=AuditEvent.Action.PASSWORD_CHANGED
    ).exists()
