"""The board back office for the domain core: qualifications, series, units and their
tasks, candidates, and the entries import. Mark change requests are decided in
marksheets/admin.py, centres in centres/admin.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from .forms import EntriesImportForm
from .models import (
    Candidate,
    Entry,
    Qualification,
    Series,
    Task,
    Unit,
)
from .services.entries import (
    entries_import_file,
    task_maximum_check,
    unit_structure_check,
)

if TYPE_CHECKING:
    pass


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin[Qualification]):
    list_display = ["name", "code"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin[Series]):
    list_display = ["name", "qualification", "results_day"]
    list_filter = ["qualification"]
    prepopulated_fields = {"slug": ["name"]}


class UnitAdminForm(forms.ModelForm[Unit]):
    """The unit: its grade scale and way of assessment kept once marks for it are
    submitted (iamis.services.entries.unit_structure_check). The admin supplies the fields."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        unit_structure_check(unit=self.instance, changed=self.changed_data)
        return cleaned


class TaskFormSet(forms.BaseInlineFormSet[Task, Unit, Any]):
    """The unit's tasks: none added, removed or given another maximum once marks for
    the unit are submitted (iamis.services.entries.unit_structure_check), and no maximum lowered
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


class TaskInline(admin.TabularInline[Task, Any]):
    model = Task
    formset = TaskFormSet
    extra = 1


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
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
class CandidateAdmin(admin.ModelAdmin[Candidate]):
    list_display = ["display_number", "surname", "forename", "date_of_birth", "centre"]
    list_select_related = ["centre"]
    list_filter = ["centre"]
    search_fields = ["surname", "forename", "=number"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin[Entry]):
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
