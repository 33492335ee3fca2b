from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Membership, User
from iamis.models import Centre

from .models import AuditEvent


def centre_events(*, centre: Centre) -> QuerySet[AuditEvent]:
    """The centre's own events, plus the sign-in events of its members' accounts.

    Sign-ins belong to a person rather than a centre, so they carry no centre; an exams
    officer still sees their staff's sign-ins, failures and lockouts.
    """
    members = Membership.objects.filter(centre=centre)
    personal = Q(centre__isnull=True) & (
        Q(actor__in=members.values("user"))
        | Q(actor_email__in=members.values("user__email"))
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
