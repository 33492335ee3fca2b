"""The board back office's queue of mark change requests. Approve and Reject ask for
the note to the centre, then call marksheets.services.change_requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from common.admin_actions import decide_each
from iamis.models import MarkChangeRequest
from iamis.services.marks import value_display

from .services import change_requests

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


CHANGE_REQUEST_FIELDS = [
    "status",
    "centre",
    "centre_number",
    "centre_name",
    "candidate",
    "unit",
    "current_value",
    "requested_value",
    "reason",
    "requested_by",
    "requested_at",
    "board_note",
    "decided_by",
    "decided_at",
]


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the centre"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        required=False,
        help_text=gettext_lazy("Shown to the centre and sent in the e-mail."),
    )


@admin.register(MarkChangeRequest)
class MarkChangeRequestAdmin(admin.ModelAdmin[MarkChangeRequest]):
    """The board's queue. Approve and Reject ask for the note to the centre on a page of
    their own, then call marksheets.services.change_requests, which applies the mark, keeps the history
    and e-mails the centre."""

    list_display = [
        "requested_at",
        "centre",
        "candidate",
        "unit",
        "change",
        "status",
    ]
    list_filter = ["status"]
    list_select_related = ["centre", "entry__candidate", "entry__unit"]
    search_fields = ["=centre__number", "=entry__candidate__number"]
    search_help_text = gettext_lazy("Centre number or candidate number.")
    date_hierarchy = "requested_at"
    actions = ["approve", "reject"]
    fields = tuple(CHANGE_REQUEST_FIELDS)
    readonly_fields = [name for name in CHANGE_REQUEST_FIELDS if name != "board_note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MarkChangeRequest]:
        # Each request's title names its candidate and unit.
        return (
            super()
            .get_queryset(request)
            .select_related("entry__candidate", "entry__unit")
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: MarkChangeRequest | None = None
    ) -> list[str]:
        # A draft note may be written while the request waits; once decided, the note is
        # what the centre was told.
        if obj is not None and obj.status != MarkChangeRequest.Status.PENDING:
            return [*self.readonly_fields, "board_note"]
        return list(self.readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: MarkChangeRequest | None = None
    ) -> bool:
        return False

    @admin.display(description=gettext_lazy("candidate"))
    def candidate(self, obj: MarkChangeRequest) -> str:
        return str(obj.entry.candidate)

    @admin.display(description=gettext_lazy("unit"), ordering="entry__unit__code")
    def unit(self, obj: MarkChangeRequest) -> str:
        return obj.entry.unit.code

    @admin.display(description=gettext_lazy("change"))
    def change(self, obj: MarkChangeRequest) -> str:
        current = value_display(obj.current) or "-"
        requested = value_display(obj.requested) or "-"
        return f"{current} \u2192 {requested}"

    @admin.display(description=gettext_lazy("current mark"))
    def current_value(self, obj: MarkChangeRequest) -> str:
        return _describe(obj.current)

    @admin.display(description=gettext_lazy("requested mark"))
    def requested_value(self, obj: MarkChangeRequest) -> str:
        return _describe(obj.requested)

    @admin.action(description=gettext_lazy("Approve and apply"), permissions=["change"])
    def approve(
        self, request: HttpRequest, queryset: QuerySet[MarkChangeRequest]
    ) -> HttpResponse | None:
        return self._decide(
            request,
            queryset,
            action="approve",
            title=_("Approve and apply mark changes"),
            decide=change_requests.change_request_approve,
            note_required=False,
            done=ngettext_lazy(
                "%(count)d request approved: the marks have been changed and the "
                "centre e-mailed.",
                "%(count)d requests approved: the marks have been changed and the "
                "centres e-mailed.",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Reject"), permissions=["change"])
    def reject(
        self, request: HttpRequest, queryset: QuerySet[MarkChangeRequest]
    ) -> HttpResponse | None:
        return self._decide(
            request,
            queryset,
            action="reject",
            title=_("Reject mark change requests"),
            decide=change_requests.change_request_reject,
            note_required=True,
            done=ngettext_lazy(
                "%(count)d request rejected and the centre e-mailed.",
                "%(count)d requests rejected and the centres e-mailed.",
                "count",
            ),
        )

    def _decide(
        self,
        request: HttpRequest,
        queryset: QuerySet[MarkChangeRequest],
        *,
        action: str,
        title: str,
        decide: Callable[..., object],
        note_required: bool,
        done: StrPromise,
    ) -> HttpResponse | None:
        """First show the selected requests with a note field; decide when it is sent."""
        changes = list(
            queryset.select_related("centre", "entry__candidate", "entry__unit")
        )
        form = DecisionForm(request.POST if "decide" in request.POST else None)
        form.fields["note"].required = note_required
        if note_required:
            form.fields["note"].error_messages["required"] = _(
                "Give the centre the reason for rejecting the request."
            )
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            decide_each(
                request,
                changes,
                lambda change: decide(
                    change_request=change,
                    acting_user=request.user,
                    note=note,
                    request=request,
                ),
                done,
            )
            return None
        if not form.is_bound and len(changes) == 1:
            form.initial["note"] = changes[0].board_note
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "changes": [
                (change, _describe(change.current), _describe(change.requested))
                for change in changes
            ],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/iamis/markchangerequest/decide.html", context
        )


def _describe(value: dict[str, Any]) -> str:
    """The value, with each task's mark where there are several."""
    shown = value_display(value) or "-"
    marks = value.get("task_marks") or {}
    if len(marks) > 1:
        parts = ", ".join(f"{number}: {mark}" for number, mark in sorted(marks.items()))
        shown = _("%(total)s (tasks %(parts)s)") % {"total": shown, "parts": parts}
    return shown
