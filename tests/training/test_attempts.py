"""Step 3: answering, Save Progress & Exit, Finish, re-attempting only the wrong
questions, passing, and the certificate."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from training import services
from training.models import Attempt, Certificate, Question, SectionProgress

from .flow import answer_all, declare, do_steps_1_and_2, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(invigilator, unit1):
    declare(invigilator.client, unit1)
    do_steps_1_and_2(invigilator.client, unit1, 1)
    return invigilator


def test_a_wrong_answer_fails_and_the_reattempt_asks_only_the_wrong_ones(ready, unit1):
    client = ready.client
    finished = answer_all(client, unit1, 1, wrong={2, 4})
    result = client.get(finished["Location"])

    body = result.content.decode()
    assert "Your Mark is 2 out of 4" in body
    assert "FAIL" in body
    section = unit1.sections.get(number=1)
    for question in section.questions.filter(number__in=[2, 4]):
        assert question.reference_title in body
    assert section.questions.get(number=1).reference_title not in body

    client.post(finished["Location"])  # Re-attempt
    page = client.get(url("questions", unit1, 1), follow=True)
    second = page.context["attempt"]
    assert second.number == 2
    assert second.question_ids == list(
        section.questions.filter(number__in=[2, 4]).values_list("pk", flat=True)
    )

    again = client.get(answer_all(client, unit1, 1, wrong=set())["Location"])
    assert "Your Mark is 4 out of 4" in again.content.decode()
    assert SectionProgress.objects.get(section=section).passed_at is not None


def test_save_progress_and_exit_resumes_where_the_person_left(ready, unit1):
    client = ready.client
    page = client.get(url("questions", unit1, 1), follow=True)
    attempt = page.context["attempt"]
    first = attempt.question_ids[0]
    from training.models import Question

    option = Question.objects.get(pk=first).options.first()
    client.post(
        url("question", unit1, 1, 1),
        {"question": first, "option": option.pk, "action": "next"},
    )
    client.post(
        url("question", unit1, 1, 2),
        {"question": attempt.question_ids[1], "action": "exit"},
    )

    resumed = client.get(url("questions", unit1, 1), follow=True)

    assert resumed.redirect_chain == [(url("question", unit1, 1, 2), 302)]
    assert resumed.context["position"] == 1
    assert resumed.context["attempt"].pk == attempt.pk
    answered = dict(resumed.context["questions"])
    assert [answered[q] for q in answered] == [True, False, False, False]
    assert 'class="tick answered"' in resumed.content.decode()


def test_finish_with_questions_unanswered_is_refused(ready, unit1):
    attempt = ready.client.get(url("question", unit1, 1, 1)).context["attempt"]
    response = ready.client.post(
        url("question", unit1, 1, 1),
        {"question": attempt.question_ids[0], "action": "finish"},
    )

    assert response.status_code == 400
    assert (
        "Answer every question before you finish: 4 left." in response.content.decode()
    )
    assert Attempt.objects.get().finished_at is None


def test_attempts_are_unlimited(ready, unit1):
    client = ready.client
    for _round in range(3):
        finished = answer_all(client, unit1, 1, wrong={1})
        client.post(finished["Location"])

    assert Attempt.objects.filter(finished_at__isnull=False).count() == 3


def test_a_passed_section_offers_to_revisit_the_training(ready, unit1):
    answer_all(ready.client, unit1, 1, wrong=set())

    page = ready.client.get(reverse("training:sections", args=[unit1.public_id]))

    body = page.content.decode()
    assert "Revisit training" in body
    assert "COMPLETE" in body
    assert ready.client.get(url("training_step", unit1, 1)).status_code == 200


def test_passing_every_section_issues_a_certificate_naming_the_person(
    invigilator, unit1, django_capture_on_commit_callbacks
):
    client = invigilator.client
    declare(client, unit1)
    for section in unit1.sections.all():
        do_steps_1_and_2(client, unit1, section.number)
        answer_all(client, unit1, section.number, wrong=set())

    certificate = Certificate.objects.get()
    services.certificate_render(certificate_id=certificate.pk)
    services.certificate_render(certificate_id=certificate.pk)  # idempotent
    certificate.refresh_from_db()
    page = client.get(reverse("training:certificate", args=[certificate.public_id]))
    download = client.get(
        reverse("training:certificate_download", args=[certificate.public_id])
    )

    assert certificate.status == "ready"
    assert "Download the certificate" in page.content.decode()
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    viewed = client.get(
        reverse("training:certificate_download", args=[certificate.public_id])
        + "?view=1"
    )
    assert viewed["Content-Disposition"].startswith("inline")
    with default_storage.open(certificate.storage_key, "rb") as stored:
        text = PdfReader(io.BytesIO(stored.read())).pages[0].extract_text()
    assert "Iolo Invigilator" in text
    assert "Alice Academy" in text
    assert unit1.year.label in text
    listing = client.get(reverse("training:assessments")).content.decode()
    assert "Passed" in listing
    assert "3/3" in listing


def test_each_question_has_its_own_address_and_the_browser_keeps_no_choice(
    ready, unit1
):
    client = ready.client
    attempt = client.get(url("questions", unit1, 1), follow=True).context["attempt"]

    second = client.get(url("question", unit1, 1, 2))
    beyond = client.get(url("question", unit1, 1, 99))

    assert second.context["question"].pk == attempt.question_ids[1]
    assert 'autocomplete="off"' in second.content.decode()
    assert beyond["Location"] == url("question", unit1, 1, 1)


def test_a_question_removed_from_the_section_sends_to_one_still_there(ready, unit1):
    client = ready.client
    attempt = client.get(url("questions", unit1, 1), follow=True).context["attempt"]
    Attempt.objects.filter(pk=attempt.pk).update(position=3)
    Question.objects.filter(pk=attempt.question_ids[3]).delete()

    resumed = client.get(url("questions", unit1, 1), follow=True)

    assert resumed.status_code == 200
    assert resumed.redirect_chain[-1][0] == url("question", unit1, 1, 3)
