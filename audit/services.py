"""Recording audit events. Never pass passwords, codes or tokens in `detail`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from common.client_ip import client_ip

from .models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User
    from centres.models import Centre


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    actor_email: str = "",
    centre: Centre | None = None,
    target: str = "",
    request: HttpRequest | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one audit event (who, what, when, from where)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=actor_email or (actor.email if actor is not None else ""),
        centre=centre,
        target=target,
        ip_address=client_ip(request),
        detail=detail,
    )
