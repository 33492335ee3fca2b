"""Board back office for moderation: allocating moderators, and the record of
corrections, reports and outcomes (read-only: moderators write them in their workspace,
and outcomes are decided on the moderation console, console/)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from centres.models import ModeratorAllocation

from .models import ClericalCorrection, ModerationOutcome, ModeratorReport


@admin.register(ModeratorAllocation)
class ModeratorAllocationAdmin(admin.ModelAdmin[ModeratorAllocation]):
    list_display = ["unit", "centre", "moderator"]
    list_filter = ["unit__series"]
    search_fields = ["moderator__email", "centre__number", "centre__name", "unit__code"]
    autocomplete_fields = ["centre", "unit"]
    list_select_related = ["unit__series", "centre", "moderator"]


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ClericalCorrection)
class ClericalCorrectionAdmin(_ReadOnly):
    list_display = ["entry", "display_value", "made_by", "made_at", "is_current"]
    list_filter = ["is_current"]
    search_fields = ["centre__number", "unit__code", "entry__candidate__number"]
    list_select_related = ["entry__candidate", "entry__unit", "made_by"]


@admin.register(ModeratorReport)
class ModeratorReportAdmin(_ReadOnly):
    list_display = ["unit", "centre", "moderator", "status", "published_at"]
    list_filter = ["status", "unit__series"]
    search_fields = ["centre__number", "unit__code", "moderator__email"]
    list_select_related = ["unit__series", "centre", "moderator"]


@admin.register(ModerationOutcome)
class ModerationOutcomeAdmin(_ReadOnly):
    list_display = ["unit", "centre", "version", "kind", "status", "proposed_at"]
    list_filter = ["status", "kind", "unit__series"]
    search_fields = ["centre__number", "unit__code", "proposed_by__email"]
    list_select_related = ["unit__series", "centre"]
