from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Series

IMPORT_MAX_BYTES = 20 * 1024 * 1024


class EntriesImportForm(forms.Form):
    series = forms.ModelChoiceField(queryset=Series.objects.all(), label=_("Series"))
    file = forms.FileField(
        label=_("Entries file (CSV)"),
        help_text=_(
            "Columns: centre_number, candidate_number, surname, forename, "
            "date_of_birth (DD/MM/YYYY), unit_code."
        ),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload
