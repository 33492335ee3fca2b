"""The board's queue of change-of-exams-officer requests.

Decisions are admin actions that call portal.services, so the order (received -> checked ->
confirmed, or rejected while open) and the audit trail are kept in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext_lazy

from common.admin_actions import decide_each

from . import services
from .models import ExamsOfficerChange, RetentionRun

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def _decide_each(
    request: HttpRequest,
    queryset: QuerySet[ExamsOfficerChange],
    decide: Callable[..., object],
    done: StrPromise,
) -> None:
    decide_each(
        request,
        queryset.select_related("centre"),
        lambda change: decide(change=change, acting_user=request.user, request=request),
        done,
    )


@admin.register(ExamsOfficerChange)
class ExamsOfficerChangeAdmin(admin.ModelAdmin[ExamsOfficerChange]):
    list_display = [
        "created_at",
        "centre_number",
        "centre_name",
        "new_name",
        "new_email",
        "source",
        "status",
        "centre",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["centre"]
    search_fields = [
        "=centre_number",
        "centre_name",
        "new_name",
        "new_email",
        "sender_email",
    ]
    date_hierarchy = "created_at"
    raw_id_fields = ["centre"]
    actions = ["security_check_passed", "confirm_and_invite", "reject"]
    # The status and who decided only change through the actions below.
    readonly_fields = [
        "public_id",
        "source",
        "status",
        "centre_number",
        "centre_name",
        "new_name",
        "new_email",
        "sender_name",
        "sender_role",
        "sender_email",
        "requested_by",
        "checked_by",
        "checked_at",
        "decided_by",
        "decided_at",
        "created_at",
    ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ExamsOfficerChange | None = None
    ) -> list[str]:
        readonly = list(self.readonly_fields)
        # Board staff match a public-form request to its centre before confirming it;
        # a Portal request names its centre already.
        if (
            obj is None
            or obj.source == ExamsOfficerChange.Source.PORTAL
            or obj.status not in services.OPEN_STATUSES
        ):
            readonly.append("centre")
        return readonly

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ExamsOfficerChange | None = None
    ) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Security check passed"), permissions=["change"]
    )
    def security_check_passed(
        self, request: HttpRequest, queryset: QuerySet[ExamsOfficerChange]
    ) -> None:
        _decide_each(
            request,
            queryset,
            services.exams_officer_change_check,
            ngettext_lazy(
                "%(count)d request marked as security-checked.",
                "%(count)d requests marked as security-checked.",
                "count",
            ),
        )

    @admin.action(
        description=gettext_lazy("Confirm and invite the new exams officer"),
        permissions=["change"],
    )
    def confirm_and_invite(
        self, request: HttpRequest, queryset: QuerySet[ExamsOfficerChange]
    ) -> None:
        _decide_each(
            request,
            queryset,
            services.exams_officer_change_confirm,
            ngettext_lazy(
                "%(count)d request confirmed; the new exams officer is invited "
                "(or, with an account at the centre already, takes over at once).",
                "%(count)d requests confirmed; each new exams officer is invited "
                "(or, with an account at the centre already, takes over at once).",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Reject"), permissions=["change"])
    def reject(
        self, request: HttpRequest, queryset: QuerySet[ExamsOfficerChange]
    ) -> None:
        _decide_each(
            request,
            queryset,
            services.exams_officer_change_reject,
            ngettext_lazy(
                "%(count)d request rejected.", "%(count)d requests rejected.", "count"
            ),
        )


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin[RetentionRun]):
    """The retention log: read only, so it records what the runs did."""

    list_display = [
        "today",
        "triggered_by",
        "files_removed",
        "pdfs_removed",
        "candidates_erased",
        "finished_at",
    ]
    readonly_fields = [field.name for field in RetentionRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: RetentionRun | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RetentionRun | None = None
    ) -> bool:
        return False
