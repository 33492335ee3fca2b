"""`{% upload_panel unit as uploads %}`: the View samples page's upload state and files,
loaded once for the whole page (a fixed number of queries whatever its size)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from iamis.models import Unit
from sampling.models import Sample
from uploads import selectors
from uploads.models import Kind, ScanStatus
from uploads.selectors import UploadPanel

register = template.Library()


@register.simple_tag(takes_context=True)
def upload_panel(
    context: dict[str, Any], unit: Unit, sample: Sample | None = None
) -> UploadPanel:
    return selectors.upload_panel(
        centre=context["request"].centre, unit=unit, sample=sample
    )


@register.filter
def files_for(panel: UploadPanel, entry_id: int) -> list[Any]:
    return panel.files_for(entry_id)


@register.filter
def still_checking(files: list[Any]) -> bool:
    """A file of the list has no SHA-256 receipt yet or is still being virus-checked."""
    return any(not f.sha256 or f.scan_status == ScanStatus.PENDING for f in files)


@register.filter
def file_list_url(unit: Unit, list_id: str) -> str:
    """Where a file list of View samples (`uploads.views.list_id`) is asked for again."""
    which = list_id.removeprefix("files-")
    if which == Kind.GROUP:
        return reverse("uploads:group_files", args=[unit.public_id])
    if which == Kind.NOTE:
        return reverse("uploads:note_files", args=[unit.public_id])
    return reverse("uploads:candidate_files", args=[unit.public_id, int(which)])
