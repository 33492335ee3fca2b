from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from centres.models import AccessGrant, Membership

from .models import User
from .services.sessions import sessions_end_everywhere


class UserCreationForm(BaseUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        # The fields the admin's fieldsets show, named so a new model field is not
        # editable by board staff until someone decides it should be.
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "language",
            "is_active",
            "is_staff",
            "is_moderator",
            "is_superuser",
            "groups",
            "last_login",
            "date_joined",
        )


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    extra = 0
    raw_id_fields = ["centre"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_moderator",
        "last_login",
    ]
    list_filter = ["is_staff", "is_moderator", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Roles"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_moderator",
                    "is_superuser",
                    "groups",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Django already refuses an inactive user's sessions; ending them too means
            # re-activating the account later does not bring old sessions back.
            sessions_end_everywhere(user=obj)


class AccessGrantInline(admin.TabularInline[AccessGrant, Any]):
    model = AccessGrant
    extra = 0


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "centre", "account_type", "is_active"]
    list_filter = ["account_type", "is_active"]
    list_select_related = ["user", "centre"]
    search_fields = ["user__email", "centre__name", "=centre__number"]
    raw_id_fields = ["user", "centre"]
    inlines = [AccessGrantInline]
