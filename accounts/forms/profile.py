"""Forms for Edit your profile. They validate and normalise only; accounts.services.profile saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import User
from ..services.mfa import is_code

NAME_MAX = 100


def _six_digits(value: str) -> str:
    code = value.replace(" ", "")
    if not is_code(code):
        raise forms.ValidationError(
            _("Enter the 6 digits your authenticator app shows.")
        )
    return code


def _code_widget(**attrs: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "pattern": "[0-9 ]*",
            **attrs,
        }
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    language = forms.ChoiceField(
        label=_("Language preference"),
        choices=User.Language.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
            },
        )
        super().__init__(*args, **kwargs)


class RemindersForm(forms.Form):
    deadline_reminders = forms.BooleanField(
        label=_("E-mail me deadline reminders"),
        help_text=_(
            "7 days and 1 day before a unit's deadline, when its marks have not all "
            "been submitted."
        ),
        required=False,
    )


class AuthenticatorProofForm(forms.Form):
    """Before replacing the authenticator: a code from the current app, or a recovery code."""

    code = forms.CharField(
        label=_("6-digit code from your current authenticator app"),
        max_length=7,
        required=False,
        widget=_code_widget(),
    )
    recovery_code = forms.CharField(
        label=_("Or one of your recovery codes"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        return _six_digits(code) if code else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            not self.has_error("code")
            and not cleaned.get("code")
            and not cleaned.get("recovery_code", "").strip()
        ):
            self.add_error(
                "code",
                _(
                    "Enter the 6-digit code from your current authenticator app, or one "
                    "of your recovery codes."
                ),
            )
        return cleaned


class NewAuthenticatorForm(forms.Form):
    new_code = forms.CharField(
        label=_("6-digit code from the new authenticator app"),
        max_length=7,
        widget=_code_widget(autofocus="autofocus"),
    )

    def clean_new_code(self) -> str:
        return _six_digits(self.cleaned_data["new_code"])


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the current password checked through `authenticate`.

    That puts each wrong current password through django-axes, which counts it with the
    sign-in failures of the same (e-mail, client address) and pauses both alike; the
    view shows the pause (`request.axes_locked_out`).
    """

    def __init__(
        self, user: User, *args: Any, request: HttpRequest, **kwargs: Any
    ) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        checked = authenticate(
            self.request, username=self.user.email, password=old_password
        )
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
