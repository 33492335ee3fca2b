"""The server's rules where a browser or a content slip could go wrong."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from centres.models import Membership
from training import services
from training.content import DEFAULT_CONTENT, ContentError, content_load
from training.models import Answer, SectionProgress

from .flow import declare, do_steps_1_and_2, url

pytestmark = pytest.mark.django_db


def test_a_stale_page_does_not_answer_another_question(invigilator, unit1):
    declare(invigilator.client, unit1)
    do_steps_1_and_2(invigilator.client, unit1, 1)
    attempt = invigilator.client.get(url("question", unit1, 1, 1)).context["attempt"]
    other = unit1.sections.get(number=1).questions.get(pk=attempt.question_ids[1])

    invigilator.client.post(
        url("question", unit1, 1, 1),
        {
            "question": other.pk,
            "option": other.options.first().pk,
            "action": "next",
        },
    )

    assert not Answer.objects.exists()


def test_a_malformed_statement_id_is_not_found(invigilator, unit1):
    declare(invigilator.client, unit1)
    invigilator.client.post(url("training_step", unit1, 1))

    response = invigilator.client.post(
        url("self_assessment", unit1, 1), {"statement": "abc"}
    )

    assert response.status_code == 404


def test_nothing_changes_once_the_year_has_ended_even_before_the_archive_runs(
    invigilator, unit1, year
):
    declare(invigilator.client, unit1)
    item = SectionProgress.objects.get(section__number=1)
    year.ends_on = timezone.localdate() - timedelta(days=1)
    year.starts_on = year.ends_on - timedelta(days=364)
    year.save()

    with pytest.raises(ValidationError, match="archived"):
        services.training_mark_read(section_progress=item)


def test_an_exams_officer_with_a_role_is_not_asked_for_the_terms(two_centres, year):
    officer = Membership.objects.get(
        user=two_centres.alice, centre=two_centres.alice_centre
    )
    services.roles_assign(membership=officer, role_codes=["new-invigilator"])
    from django.test import Client

    client = Client()
    client.force_login(two_centres.alice)

    assert client.get("/").status_code == 200


def test_a_pass_mark_above_the_questions_is_capped(invigilator, unit1):
    section = unit1.sections.get(number=1)
    section.pass_mark = 99
    section.save()

    assert services.pass_mark_of(section, section.questions.count()) == 4


def test_the_loader_refuses_a_section_nobody_could_pass():
    data = json.loads(DEFAULT_CONTENT.read_text())
    broken = copy.deepcopy(data)
    broken["assessments"][0]["sections"][0]["pass_mark"] = 9

    with pytest.raises(ContentError, match="pass mark"):
        content_load(broken)


def test_the_staff_view_marks_assessments_not_given_to_a_person(
    two_centres, invigilator, alice_client
):
    page = alice_client.get(reverse("training:staff")).content.decode()

    assert "not assigned" in page
