from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    """Read-only: what is still to send, and why a message keeps failing."""

    list_display = [
        "kind",
        "created_at",
        "published_at",
        "attempts",
        "sent_at",
        "failed_at",
        "last_error",
    ]
    list_filter = [
        "kind",
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    ]
    readonly_fields = [
        "kind",
        "arguments",
        "created_at",
        "published_at",
        "attempts",
        "last_error",
        "sent_at",
        "failed_at",
    ]
    exclude = ["secrets"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Message | None = None
    ) -> bool:
        return False
