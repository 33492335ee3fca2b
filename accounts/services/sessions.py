"""Ending a person's sessions on every device (ASVS 7.4.1, 7.4.2).

Sessions are not indexed by user, so rather than finding and deleting them, each user has
a session epoch that is part of the auth hash Django checks on every request: adding one
makes every existing session of theirs fail that check and be flushed, at no cost per
session.
"""

from __future__ import annotations

from django.db.models import F

from ..models import User


def sessions_end_everywhere(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
