"""Portal-wide tasks."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from common import scoping


@shared_task(name="portal.heartbeat")
def heartbeat(token: str) -> str:
    """Record that a worker is alive and reachable through the broker (used by health checks).

    Idempotent: running it twice only rewrites the same key.
    """
    stamp = timezone.now().isoformat()
    cache.set(f"heartbeat:{token}", stamp, timeout=300)
    return stamp


@shared_task(name="portal.apply_retention")
def apply_retention() -> int:
    """The daily retention run (beat); returns the run's id."""
    from portal.retention import retention_apply

    with scoping.every_centre("portal.apply_retention"):
        return retention_apply(triggered_by="beat").pk
