"""Board back office for training content: years (publish), roles, assessments with
their sections, and each section's links, statements and questions with options. People's
progress is shown read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from .models import (
    AcademicYear,
    Assessment,
    Certificate,
    Link,
    Option,
    Progress,
    Question,
    Section,
    StaffRole,
    Statement,
)


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin[AcademicYear]):
    list_display = ["label", "starts_on", "ends_on", "published_at", "archived_at"]
    readonly_fields = ["published_at", "archived_at"]
    actions = ["publish"]

    @admin.action(
        description=gettext_lazy("Publish: open the year's assessments to centres")
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[AcademicYear]) -> None:
        count = queryset.filter(published_at__isnull=True).update(
            published_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(count)d year published.", "%(count)d years published.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin[StaffRole]):
    list_display = ["name", "code"]


class SectionInline(admin.StackedInline[Section, Any]):
    model = Section
    extra = 0
    show_change_link = True


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin[Assessment]):
    list_display = ["display_title", "year", "position"]
    list_filter = ["year", "roles"]
    filter_horizontal = ["roles"]
    inlines = [SectionInline]


class LinkInline(admin.TabularInline[Link, Any]):
    model = Link
    extra = 0


class StatementInline(admin.TabularInline[Statement, Any]):
    model = Statement
    extra = 0


class QuestionInline(admin.StackedInline[Question, Any]):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin[Section]):
    list_display = ["__str__", "assessment", "pass_mark"]
    list_filter = ["assessment__year"]
    inlines = [LinkInline, StatementInline, QuestionInline]


class OneCorrectOption(forms.BaseInlineFormSet[Any, Any, Any]):
    def clean(self) -> None:
        super().clean()
        correct = sum(
            1
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_correct")
        )
        if correct != 1:
            raise forms.ValidationError(
                "Mark exactly one option as the correct answer."
            )


class OptionInline(admin.TabularInline[Option, Any]):
    model = Option
    extra = 0
    formset = OneCorrectOption


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    list_display = ["__str__", "section", "number"]
    list_filter = ["section__assessment"]
    inlines = [OptionInline]


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin[Progress]):
    list_display = ["membership", "assessment", "passed_at", "archived_at"]
    list_filter = ["assessment__year"]
    readonly_fields = [f.name for f in Progress._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin[Certificate]):
    list_display = ["person_name", "progress", "issued_on", "status"]
    readonly_fields = [f.name for f in Certificate._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
