"""The certificate PDF: one A4 page inside its frame, and what it certifies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from weasyprint import HTML

from training import services
from training.models import Certificate

from .flow import answer_all, declare, do_steps_1_and_2

pytestmark = pytest.mark.django_db

MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels


@pytest.fixture
def certificate(invigilator, unit1) -> Certificate:
    declare(invigilator.client, unit1)
    for section in unit1.sections.all():
        do_steps_1_and_2(invigilator.client, unit1, section.number)
        answer_all(invigilator.client, unit1, section.number, wrong=set())
    return Certificate.objects.get()


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def _frame(page_box: Any) -> Any:
    return next(
        box
        for box in _boxes(page_box)
        if getattr(box, "element", None) is not None
        and "frame" in (box.element.get("class") or "").split()
    )


def test_the_certificate_is_one_a4_page_with_its_frame_filling_the_page(
    certificate,
):
    document = HTML(string=services.certificate_html(certificate=certificate)).render()

    assert len(document.pages) == 1
    page = document.pages[0]
    assert sorted(round(side / MM) for side in (page.width, page.height)) == [210, 297]
    # The page's layout tree is the only place WeasyPrint says where a box ended up.
    page_box = page._page_box
    top, height = page_box.content_box_y(), page_box.height
    frame = _frame(page_box)
    frame_top = frame.border_box_y()
    frame_bottom = frame_top + frame.border_height()
    assert frame_top >= top - 0.5
    assert frame_bottom <= top + height + 0.5
    assert frame.border_height() >= 0.9 * height
    assert frame.border_height() >= 0.85 * page.height
    assert frame.border_width() >= 0.9 * page_box.width
