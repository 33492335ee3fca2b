"""The active membership, kept briefly in the shared cache so a request need not read it.

Every signed-in request needs the membership with its centre, training profile and
granted areas (centres/tenancy.py). Reading them is one query, but on this hardware the
ORM's cost of building that query is most of a trivial request's CPU; the cache holds
the finished object instead.

A change must take effect on the very next request, so entries are never deleted and
hoped gone: each membership has a *generation* (a random token), any change to the
membership, its grants, its unit limit, its training profile or its centre replaces
the token (at once, and again once the change commits), and an entry is used only if it
was stored under the current token. A reader takes the token first and the database
second, so a value read before a change is stored under a token that no longer
matches. Without a shared cache (the embedded run) nothing is cached.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

if TYPE_CHECKING:
    from centres.models import Membership

_GENERATION = "tenancy:generation:{pk}"
# The version changes with what a cached membership carries (v4: the model moved to
# `centres`, so a v3 entry names a class that is gone): entries of the old
# shape are then never read (a deploy that adds a field reads memberships afresh).
_ENTRY = "tenancy:membership:v4:{pk}"


def _enabled() -> bool:
    return settings.MEMBERSHIP_CACHE_SECONDS > 0


def cached_membership(
    pk: int, load: Callable[[], Membership | None]
) -> Membership | None:
    """Membership `pk` from the cache, or from `load()` (then stored).

    The entry is stored with the generation it was read under, and both come back in
    one round trip; an entry whose generation is not the current one is not used."""
    if not _enabled():
        return load()
    generation_key, entry_key = _GENERATION.format(pk=pk), _ENTRY.format(pk=pk)
    found = cache.get_many([generation_key, entry_key])
    generation = found.get(generation_key)
    if generation is None:
        # First use, or evicted: a fresh token can match no entry stored before.
        cache.add(generation_key, uuid.uuid4().hex, timeout=None)
        generation = cache.get(generation_key)
    stored = found.get(entry_key)
    if stored is not None and stored[0] == generation:
        membership: Membership | None = stored[1]
        return membership
    membership = load()
    if membership is not None:
        cache.set(
            entry_key,
            (generation, membership),
            timeout=settings.MEMBERSHIP_CACHE_SECONDS,
        )
    return membership


def memberships_changed(pks: Iterable[int]) -> None:
    """Make the next request read these memberships afresh (after the change commits)."""
    pks = list(pks)
    if not pks or not _enabled():
        return

    def renew() -> None:
        cache.set_many(
            {_GENERATION.format(pk=pk): uuid.uuid4().hex for pk in pks}, timeout=None
        )

    # At once (this transaction's own later requests, and tests, see the change) and
    # again once it commits: what another request read in between was the old rows.
    renew()
    transaction.on_commit(renew)


def _membership_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    memberships_changed([instance.pk])


def _part_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # An access grant, training profile or limit row: its membership changes with it.
    memberships_changed([instance.membership_id])


def _centre_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from centres.models import Membership

    memberships_changed(
        Membership.objects.filter(centre_id=instance.pk).values_list("pk", flat=True)
    )


def _limit_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    # A membership's chosen units or qualifications (Manage access), from either side.
    if not reverse:
        if action.startswith("post_"):
            memberships_changed([instance.pk])
        return
    if action == "pre_clear":
        column = f"{instance._meta.model_name}_id"  # unit_id or qualification_id
        memberships_changed(
            sender.objects.filter(**{column: instance.pk}).values_list(
                "membership_id", flat=True
            )
        )
    elif action.startswith("post_") and pk_set:
        memberships_changed(pk_set)


def _chosen_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from centres.models import Membership

    field = (
        "iamis_units" if sender._meta.model_name == "unit" else "iamis_qualifications"
    )
    memberships_changed(
        Membership.objects.filter(**{field: instance.pk}).values_list("pk", flat=True)
    )


def connect() -> None:
    """Wire the invalidation to every model the cached membership carries (apps.py)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from centres.models import Membership

    for through in (
        Membership.iamis_units.through,
        Membership.iamis_qualifications.through,
    ):
        m2m_changed.connect(
            _limit_changed,
            sender=through,
            weak=False,
            dispatch_uid=f"membership-cache:{through._meta.label}:m2m",
        )
    # A unit or qualification deleted takes its limit rows with it, with no signal for
    # them: the memberships that had chosen it are renewed as it goes.
    for chosen in ("iamis.Unit", "iamis.Qualification"):
        pre_delete.connect(
            _chosen_deleted,
            sender=chosen,
            weak=False,
            dispatch_uid=f"membership-cache:{chosen}:pre_delete",
        )

    receivers = [
        ("centres.Membership", _membership_saved),
        ("centres.AccessGrant", _part_saved),
        ("training.TrainingProfile", _part_saved),
        ("centres.Centre", _centre_saved),
    ]
    for sender, receiver in receivers:
        for signal in (post_save, post_delete):
            signal.connect(
                receiver,
                sender=sender,
                weak=False,
                dispatch_uid=f"membership-cache:{sender}:{signal is post_save}",
            )
