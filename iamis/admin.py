"""The board back office for the domain core, with the entries import and the queue of
mark change requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from centres.models import Centre

from . import change_requests
from .forms import EntriesImportForm
from .models import (
    Candidate,
    Entry,
    MarkChangeRequest,
    Qualification,
    Series,
    Task,
    Unit,
)
from .services import (
    entries_import_file,
    task_maximum_check,
    unit_structure_check,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = [
        "display_number",
        "name",
        "exams_officer_name",
        "exams_officer_email",
    ]
    search_fields = ["name", "=number", "exams_officer_email"]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "qualification", "results_day"]
    list_filter = ["qualification"]
    prepopulated_fields = {"slug": ["name"]}


class UnitAdminForm(forms.ModelForm):
    """The unit: its grade scale and way of assessment kept once marks for it are
    submitted (iamis.services.unit_structure_check). The admin supplies the fields."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        unit_structure_check(unit=self.instance, changed=self.changed_data)
        return cleaned


class TaskFormSet(forms.BaseInlineFormSet):
    """The unit's tasks: none added, removed or given another maximum once marks for
    the unit are submitted (iamis.services.unit_structure_check), and no maximum lowered
    below a mark already saved (task_maximum_check)."""

    def clean(self) -> None:
        super().clean()
        changed: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            deleted = bool(form.cleaned_data.get("DELETE"))
            if form.instance.pk is None:
                if form.has_changed() and not deleted:
                    changed.add("tasks")
            elif deleted:
                changed.add("tasks")
            else:
                changed.update(form.changed_data)
        unit_structure_check(unit=self.instance, changed=changed)
        for form in self.forms:
            if (
                hasattr(form, "cleaned_data")
                and form.instance.pk is not None
                and "max_mark" in form.changed_data
                and form.cleaned_data.get("max_mark") is not None
            ):
                try:
                    task_maximum_check(
                        task=form.instance, max_mark=form.cleaned_data["max_mark"]
                    )
                except ValidationError as error:
                    form.add_error("max_mark", error)


class TaskInline(admin.TabularInline):
    model = Task
    formset = TaskFormSet
    extra = 1


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitAdminForm
    list_display = [
        "code",
        "title",
        "series",
        "assessment",
        "evidence",
        "sample_deadline",
    ]
    list_filter = ["series", "assessment", "evidence"]
    search_fields = ["code", "title"]
    inlines = [TaskInline]


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["display_number", "surname", "forename", "date_of_birth", "centre"]
    list_select_related = ["centre"]
    list_filter = ["centre"]
    search_fields = ["surname", "forename", "=number"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    change_list_template = "admin/iamis/entry/change_list.html"
    list_display = ["candidate", "unit", "centre", "processed_at"]
    list_select_related = ["candidate", "unit", "unit__series", "centre"]
    list_filter = ["unit__series", "centre"]
    search_fields = ["candidate__surname", "=candidate__number", "unit__code"]
    raw_id_fields = ["candidate", "unit", "centre"]

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="iamis_entry_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = EntriesImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = entries_import_file(
                series=form.cleaned_data["series"],
                data=form.cleaned_data["file"].read(),
                acting_user=request.user,  # type: ignore[arg-type]
            )
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Imported %(rows)d rows: %(entries)d new entries "
                        "(%(present)d already present), %(created)d new candidates, "
                        "%(updated)d candidates updated."
                    )
                    % {
                        "rows": result.rows,
                        "entries": result.entries_created,
                        "present": result.entries_already_present,
                        "created": result.candidates_created,
                        "updated": result.candidates_updated,
                    },
                )
                return redirect("admin:iamis_entry_changelist")
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import entries"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/iamis/entry/import.html", context)


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
class MarkChangeRequestAdmin(admin.ModelAdmin):
    """The board's queue. Approve and Reject ask for the note to the centre on a page of
    their own, then call iamis.change_requests, which applies the mark, keeps the history
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
        current = change_requests.value_display(obj.current) or "-"
        requested = change_requests.value_display(obj.requested) or "-"
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
            decided = 0
            for change in changes:
                try:
                    decide(
                        change_request=change,
                        acting_user=request.user,
                        note=form.cleaned_data["note"],
                        request=request,
                    )
                except ValidationError as error:
                    for message in error.messages:
                        messages.error(
                            request,
                            _("%(change)s: %(message)s")
                            % {"change": change, "message": message},
                        )
                else:
                    decided += 1
            if decided:
                messages.success(request, done % {"count": decided})
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
    shown = change_requests.value_display(value) or "-"
    marks = value.get("task_marks") or {}
    if len(marks) > 1:
        parts = ", ".join(f"{number}: {mark}" for number, mark in sorted(marks.items()))
        shown = _("%(total)s (tasks %(parts)s)") % {"total": shown, "parts": parts}
    return shown
