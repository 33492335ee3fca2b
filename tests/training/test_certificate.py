"""The certificate PDF: one A4 page inside its frame, and what it certifies."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader
from weasyprint import HTML

from training import services
from training.models import Certificate

from .conftest import staff_member
from .flow import answer_all, declare, do_steps_1_and_2

pytestmark = pytest.mark.django_db

MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels


def _pass(staff, assessment, *, wrong_in_section_2: set[int]) -> Certificate:
    declare(staff.client, assessment)
    for section in assessment.sections.all():
        do_steps_1_and_2(staff.client, assessment, section.number)
        wrong = wrong_in_section_2 if section.number == 2 else set()
        answer_all(staff.client, assessment, section.number, wrong=wrong)
    return Certificate.objects.get(progress__membership=staff.membership)


@pytest.fixture
def certificate(invigilator, unit1) -> Certificate:
    return _pass(invigilator, unit1, wrong_in_section_2=set())


def _text(certificate: Certificate) -> str:
    rendered = services.certificate_render(certificate_id=certificate.pk)
    with default_storage.open(rendered.storage_key, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


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


@override_settings(BOARD_NAME="Example Exam Board", BOARD_NAME_CY="")
def test_the_certificate_names_the_role_issuer_centre_date_mark_and_number(
    invigilator, unit1
):
    # Unit 1's second section passes at 3 of its 4 questions: 11 right out of 12.
    certificate = _pass(invigilator, unit1, wrong_in_section_2={2})

    text = _text(certificate)

    passed_on = timezone.localdate(certificate.progress.passed_at)
    assert "Iolo Invigilator" in text
    assert "Training for the role of New invigilator" in text
    assert "Exams office staff" not in text  # the assessment's other role, not theirs
    assert "Alice Academy (centre 68999)" in text
    assert "Example Exam Board" in text
    assert f"Passed on {passed_on:%d/%m/%Y}" in text
    assert "Mark 11 out of 12" in text
    assert f"Academic year {unit1.year.label}" in text
    assert f"Certificate number {certificate.public_id}" in text


@override_settings(BOARD_NAME="Example Exam Board")
def test_an_exams_office_members_certificate_names_their_own_role(two_centres, unit1):
    staff = staff_member(two_centres.alice_centre, role="exams-office")

    text = _text(_pass(staff, unit1, wrong_in_section_2=set()))

    assert "Training for the role of Exams office staff" in text
    assert "New invigilator" not in text


def test_a_holder_with_none_of_its_roles_gets_every_role_the_assessment_is_for(
    invigilator, certificate
):
    # An exams officer or Admin may take any assessment without a training role.
    services.roles_assign(membership=invigilator.membership, role_codes=[])

    text = _text(certificate)

    assert "Training for the roles of Exams office staff, New invigilator" in text


@override_settings(BOARD_NAME="WJEC", BOARD_NAME_CY="CBAC")
def test_a_welsh_speakers_certificate_is_in_welsh_and_names_the_board_in_welsh(
    invigilator, certificate
):
    invigilator.user.language = "cy"
    invigilator.user.save(update_fields=["language"])

    text = _text(certificate)

    assert "Tystysgrif cwblhau" in text
    assert "CBAC" in text
    assert "WJEC" not in text


@override_settings(BOARD_NAME="", BOARD_NAME_CY="")
def test_until_the_board_names_itself_the_portal_issues_the_certificate(certificate):
    assert "Internal Assessment Portal" in _text(certificate)
