"""The board back office for the tenant: centres."""

from __future__ import annotations

from django.contrib import admin

from .models import Centre


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin[Centre]):
    list_display = [
        "display_number",
        "name",
        "exams_officer_name",
        "exams_officer_email",
    ]
    search_fields = ["name", "=number", "exams_officer_email"]
