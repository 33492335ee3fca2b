"""Forms for the moderator: they validate and normalise only; the rules live in
`moderation.services` and `sampling.services`."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.numbers import WholeNumberField, is_whole_number
from iamis.models import Unit

from .models import ModeratorReport


class FurtherSampleForm(forms.Form):
    candidates = forms.CharField(
        label=_("Candidate numbers"),
        required=False,
        help_text=_("Separated by commas or spaces, e.g. 1004, 1010."),
    )
    count = WholeNumberField(
        label=_("Or: how many more"), required=False, min_value=1, max_value=50
    )
    low = WholeNumberField(label=_("from mark"), required=False, min_value=0)
    high = WholeNumberField(label=_("to mark"), required=False, min_value=0)
    note = forms.CharField(
        label=_("Note to the centre"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Outcome units have no marks to take a band of: only named candidates.
        if unit.is_outcome_unit:
            for name in ("count", "low", "high"):
                del self.fields[name]

    def clean_candidates(self) -> list[int]:
        text = self.cleaned_data.get("candidates") or ""
        numbers = []
        for part in re.split(r"[\s,;]+", text.strip()):
            if not part:
                continue
            if not is_whole_number(part):
                raise forms.ValidationError(
                    _("%(value)s is not a candidate number.") % {"value": part}
                )
            numbers.append(int(part))
        return numbers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = data.get("candidates")
        count, low, high = data.get("count"), data.get("low"), data.get("high")
        if not named and not count:
            raise forms.ValidationError(
                _("Name candidates, or give how many more and a mark band.")
            )
        if named and count:
            raise forms.ValidationError(
                _(
                    "Either name candidates or ask for a number in a mark band, not both."
                )
            )
        if count and (low is None or high is None):
            raise forms.ValidationError(_("Give the mark band: from and to."))
        if count and low is not None and high is not None and low > high:
            raise forms.ValidationError(
                _("The band's first mark must not be above its last.")
            )
        return data


class ReportForm(forms.ModelForm[ModeratorReport]):
    class Meta:
        model = ModeratorReport
        fields = [
            "outcome",
            "administration",
            "assessment",
            "annotation",
            "recommendations",
            "comments",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 5}) for name in ModeratorReport.SECTIONS
        }
