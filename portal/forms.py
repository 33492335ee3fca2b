"""Forms for Manage Centre and the change of exams officer. They validate and normalise only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from centres.models import CENTRE_NUMBER_MAX, Centre

NAME_MAX = 200


def _full_name(value: str) -> str:
    value = " ".join(value.split())
    if len(value.split(" ")) < 2:
        raise forms.ValidationError(
            _("Enter the new exams officer's first name and last name.")
        )
    return value


class ManageCentreForm(forms.Form):
    """The fields a centre may change; anything else posted (telephone, number) is ignored."""

    exams_officer_name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    exams_officer_email = forms.EmailField(
        label=_("Email Address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    head_of_centre = forms.CharField(
        label=_("Head of Centre Name"), max_length=NAME_MAX, required=False
    )
    post_results_email = forms.EmailField(
        label=_("Email Address (if different from EO Email)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "exams_officer_name": centre.exams_officer_name,
                "exams_officer_email": centre.exams_officer_email,
                "head_of_centre": centre.head_of_centre,
                "post_results_email": centre.post_results_email,
            },
        )
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean_exams_officer_name(self) -> str:
        name = " ".join(self.cleaned_data["exams_officer_name"].split())
        if name == " ".join(self.centre.exams_officer_name.split()):
            return name
        return _full_name(name)


class ExamsOfficerChangeForm(forms.Form):
    """Change of exams officer for people who cannot sign in to Portal."""

    centre_number = forms.IntegerField(
        label=_("Centre number"),
        min_value=0,
        max_value=CENTRE_NUMBER_MAX,
        help_text=_("5 digits, for example 68999."),
        error_messages={
            "invalid": _("Enter a centre number from 0 to 79999."),
            "min_value": _("Enter a centre number from 0 to 79999."),
            "max_value": _("Enter a centre number from 0 to 79999."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 5}),
    )
    centre_name = forms.CharField(label=_("Centre name"), max_length=NAME_MAX)
    new_name = forms.CharField(
        label=_("New exams officer name"),
        max_length=NAME_MAX,
        help_text=_("First name and last name."),
    )
    new_email = forms.EmailField(label=_("New exams officer email address"))
    sender_name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    sender_role = forms.CharField(
        label=_("Your role"),
        max_length=NAME_MAX,
        help_text=_("For example Headteacher or Deputy Headteacher."),
    )
    sender_email = forms.EmailField(label=_("Your email address"))
    signed_off = forms.BooleanField(
        label=_(
            "This change has been signed off by the Head of Centre or a member of the "
            "Senior Leadership Team."
        ),
        error_messages={
            "required": _(
                "The change must be signed off by the Head of Centre or a member of "
                "the Senior Leadership Team."
            )
        },
    )

    def clean_new_name(self) -> str:
        return _full_name(self.cleaned_data["new_name"])
