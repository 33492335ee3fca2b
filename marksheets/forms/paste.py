"""Forms for pasting marks from a spreadsheet. They validate and normalise only; reading
the paste against the sheet is `iamis.services.paste`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from iamis.services.paste import MAX_CHARS, decode_versions

ORDER_CHOICES = [
    ("number", _("Candidate No")),
    ("name", _("Name")),
]


class PasteForm(forms.Form):
    # Not stripped: a leading tab is an empty first cell, and it matters.
    text = forms.CharField(
        label=_("Paste marks from a spreadsheet"),
        help_text=_(
            "Copy the cells in Excel, Google Sheets or LibreOffice and paste them "
            "here. Either a single column of marks, one line per candidate in the "
            "order chosen below; or the candidate number, then the mark on each line "
            "(for a unit with several tasks, one column per task; for an outcome "
            "unit, the grade; then the teacher's initials where the unit asks for "
            "them). A heading row and blank lines are skipped; a blank cell leaves "
            "the value as it is. A for absent, C or CF for carry forward where the "
            "unit allows it. Nothing is saved until you confirm the preview."
        ),
        max_length=MAX_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 12, "cols": 60, "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    order = forms.ChoiceField(
        label=_("A single column of marks is in the order of"),
        choices=ORDER_CHOICES,
        initial="number",
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Paste at least one mark."))
        return text


class ConfirmPasteForm(forms.Form):
    """The preview's paste and the versions it showed, sent back to be read again (the
    preview itself is never trusted: the view reads the paste again)."""

    text = forms.CharField(
        max_length=MAX_CHARS, strip=False, widget=forms.HiddenInput()
    )
    order = forms.ChoiceField(choices=ORDER_CHOICES, widget=forms.HiddenInput())
    versions = forms.CharField(
        required=False, max_length=100_000, widget=forms.HiddenInput()
    )
    confirm_absent = forms.BooleanField(required=False)

    def clean_versions(self) -> dict[int, int]:
        try:
            return decode_versions(self.cleaned_data["versions"])
        except ValueError:
            raise forms.ValidationError(
                _("The preview could not be read. Preview the marks again.")
            ) from None
