from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import EvidenceFile, UploadSession


@admin.register(EvidenceFile)
class EvidenceFileAdmin(admin.ModelAdmin[EvidenceFile]):
    list_display = [
        "original_name",
        "centre",
        "unit",
        "kind",
        "size",
        "uploaded_at",
        "scan_status",
        "locked_at",
        "deleted_at",
    ]
    list_filter = ["kind", "scan_status"]
    search_fields = ["original_name", "sha256", "centre__number", "unit__code"]
    readonly_fields = [field.name for field in EvidenceFile._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin[UploadSession]):
    list_display = [
        "declared_name",
        "centre",
        "unit",
        "status",
        "received",
        "updated_at",
    ]
    list_filter = ["status"]
    readonly_fields = [field.name for field in UploadSession._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
