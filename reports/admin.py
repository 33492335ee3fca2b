from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ReportRender


@admin.register(ReportRender)
class ReportRenderAdmin(admin.ModelAdmin[ReportRender]):
    list_display = [
        "kind",
        "unit",
        "centre",
        "language",
        "status",
        "pages",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["centre__number", "unit__code"]
    readonly_fields = [field.name for field in ReportRender._meta.fields]
    list_select_related = ["unit__series", "centre"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
