from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Membership


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        # Same message whether or not the address exists (no account enumeration).
        "invalid_login": _(
            "The email address or password is not right. Check them and try again."
        ),
        "inactive": _("This account has been closed. Ask your exams officer."),
    }


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return str(obj.centre)


class ChooseCentreForm(forms.Form):
    membership = MembershipChoiceField(queryset=Membership.objects.none())

    def __init__(
        self, *args: Any, memberships: QuerySet[Membership], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"] = MembershipChoiceField(
            queryset=memberships,
            label=_("Centre"),
            widget=forms.RadioSelect,
            empty_label=None,
        )
