"""Reads about people, always from the signed-in user's point of view."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, User


def memberships_for(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("centre")
        .order_by("centre__number")
    )
