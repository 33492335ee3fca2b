from __future__ import annotations

from django.db.models import QuerySet

from iamis.models import Centre

from .models import AuditEvent


def centre_events(*, centre: Centre) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(centre=centre).order_by("-at", "-id")
