"""`{% guide_box "samples" %}`: a screen's info box, in the words of its guide page."""

from __future__ import annotations

from typing import Any

from django import template

from guides.topics import topic_get

register = template.Library()


@register.inclusion_tag("guides/box.html")
def guide_box(slug: str) -> dict[str, Any]:
    return {"topic": topic_get(slug)}
