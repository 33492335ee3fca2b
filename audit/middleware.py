"""Every refused access by a signed-in person becomes an audit event (ASVS 16.3.2)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .models import AuditEvent
from .services import audit_record


class AccessRefusedAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403 and request.user.is_authenticated:
            audit_record(
                action=AuditEvent.Action.ACCESS_REFUSED,
                actor=request.user,
                centre=getattr(request, "centre", None),
                target=request.path[:254],
                request=request,
                method=request.method,
            )
        return response
