"""Assessments by role and academic year; sections with their three steps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from training.models import Progress, SectionProgress

from .conftest import staff_member
from .flow import answer_all, declare, do_steps_1_and_2, url

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_assessments_for_the_persons_role(invigilator, year):
    page = invigilator.client.get(reverse("training:assessments"))

    body = page.content.decode()
    assert "NEW INVIGILATORS: INSTRUCTIONS FOR CONDUCTING EXAMINATIONS" in body
    assert "SUPERVISING AND SUPPORTING ACCESS ARRANGEMENTS" not in body
    for heading in ("Title", "Status", "Result", "Action", "Terms", "Certificate"):
        assert f">{heading}</th>" in body
    assert "Not Started" in body
    assert "0/3" in body


def test_a_facilitator_sees_the_access_arrangements_assessment(two_centres, year):
    staff = staff_member(
        two_centres.alice_centre, role="access-arrangements-facilitator"
    )

    body = staff.client.get(reverse("training:assessments")).content.decode()

    assert "SUPERVISING AND SUPPORTING ACCESS ARRANGEMENTS" in body
    assert "NEW INVIGILATORS" not in body


def test_the_list_needs_the_training_grant(two_centres, year):
    staff = staff_member(two_centres.alice_centre)
    staff.membership.grants.all().delete()

    assert staff.client.get(reverse("training:assessments")).status_code == 403


def test_the_list_takes_the_same_queries_with_more_progress(invigilator, unit1, year):
    client = invigilator.client
    client.get(reverse("training:assessments"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("training:assessments"))
    declare(client, unit1)
    do_steps_1_and_2(client, unit1, 1)
    answer_all(client, unit1, 1, wrong=set())
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("training:assessments"))

    assert len(after) == len(before)


def test_the_declaration_comes_first_and_must_be_ticked(invigilator, unit1):
    sections = reverse("training:sections", args=[unit1.public_id])

    first = invigilator.client.get(sections)
    unticked = invigilator.client.post(sections, {})
    step = invigilator.client.get(url("section", unit1, 1))
    ticked = declare(invigilator.client, unit1)
    after = invigilator.client.get(sections)

    assert "Declaration" in first.content.decode()
    assert unticked.status_code == 400
    assert step.status_code == 404
    assert ticked.status_code == 302
    assert "(Section 1)" in after.content.decode()
    assert Progress.objects.get().declaration_accepted_at is not None


def test_the_steps_go_in_order_with_a_progress_figure_for_each(invigilator, unit1):
    client = invigilator.client
    declare(client, unit1)

    start = client.get(url("section", unit1, 1)).context["figures"]
    early = client.get(url("questions", unit1, 1))
    client.post(url("training_step", unit1, 1))
    after_training = client.get(url("section", unit1, 1)).context["figures"]
    section = unit1.sections.get(number=1)
    first = section.statements.first()
    client.post(url("self_assessment", unit1, 1), {"statement": first.pk})
    partly = client.get(url("section", unit1, 1)).context["figures"]
    do_steps_1_and_2(client, unit1, 1)
    done = client.get(url("section", unit1, 1)).context["figures"]

    assert start == {"training": 0, "self_assessment": 0, "assessment": 0}
    assert early.status_code == 302  # step 3 waits for steps 1 and 2
    assert after_training["training"] == 100
    assert partly["self_assessment"] == 100 // section.statements.count()
    assert done["self_assessment"] == 100
    assert client.get(url("questions", unit1, 1), follow=True).status_code == 200


def test_the_self_assessment_record_lists_the_confirmed_statements(invigilator, unit1):
    client = invigilator.client
    declare(client, unit1)
    do_steps_1_and_2(client, unit1, 1)

    record = client.get(url("self_assessment_record", unit1, 1))
    download = client.get(url("self_assessment_record", unit1, 1) + "?download=1")

    body = record.content.decode()
    for statement in unit1.sections.get(number=1).statements.all():
        assert statement.text in body
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_assessment_only_section_skips_the_training_and_self_assessment(
    two_centres, year
):
    staff = staff_member(two_centres.alice_centre, role="experienced-invigilator")
    ida = year.assessments.get(code="invigilator-digital-accreditation")
    declare(staff.client, ida)

    landing = staff.client.get(url("section", ida, 1)).content.decode()
    training = staff.client.get(url("training_step", ida, 1))
    questions = staff.client.get(url("questions", ida, 1), follow=True)

    assert "Step 1: Training" not in landing
    assert training.status_code == 404
    assert questions.status_code == 200
    assert SectionProgress.objects.get().training_read_at is None
