"""Board back office for training content: years (publish), roles, assessments with
their sections, and each section's links, statements and questions with options. People's
progress is shown read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
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
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["label", "starts_on", "ends_on", "published_at", "archived_at"]
    readonly_fields = ["published_at", "archived_at"]
    actions = ["publish"]

    @admin.action(
        description=gettext_lazy("Publish: open the year's assessments to centres")
    )
    def publish(self, request, queryset):
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
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    show_change_link = True


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["display_title", "year", "position"]
    list_filter = ["year", "roles"]
    filter_horizontal = ["roles"]
    inlines = [SectionInline]


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0


class StatementInline(admin.TabularInline):
    model = Statement
    extra = 0


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "assessment", "pass_mark"]
    list_filter = ["assessment__year"]
    inlines = [LinkInline, StatementInline, QuestionInline]


class OneCorrectOption(forms.BaseInlineFormSet):
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


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    formset = OneCorrectOption


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "section", "number"]
    list_filter = ["section__assessment"]
    inlines = [OptionInline]


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin):
    list_display = ["membership", "assessment", "passed_at", "archived_at"]
    list_filter = ["assessment__year"]
    readonly_fields = [f.name for f in Progress._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["person_name", "progress", "issued_on", "status"]
    readonly_fields = [f.name for f in Certificate._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False
