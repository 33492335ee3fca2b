from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["at", "actor_email", "action", "target", "centre", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_email", "target", "=centre__number"]
    list_select_related = ["centre"]
    date_hierarchy = "at"

    # The log is read-only for everybody, board staff included.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
