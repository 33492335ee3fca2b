"""`{% upload_panel unit as uploads %}`: the View samples page's upload state and files,
loaded once for the whole page (a fixed number of queries whatever its size)."""

from __future__ import annotations

from typing import Any

from django import template

from iamis.models import Unit
from sampling.models import Sample
from uploads import selectors
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
