"""Driving a section through the test client as a person would."""

from __future__ import annotations

from django.urls import reverse

from training.models import Assessment, Question


def url(name: str, assessment: Assessment, section: int, *extra) -> str:
    return reverse(f"training:{name}", args=[assessment.public_id, section, *extra])


def declare(client, assessment: Assessment):
    return client.post(
        reverse("training:sections", args=[assessment.public_id]), {"confirm": "1"}
    )


def do_steps_1_and_2(client, assessment: Assessment, section_no: int) -> None:
    section = assessment.sections.get(number=section_no)
    client.post(url("training_step", assessment, section_no))
    for statement in section.statements.all():
        client.post(
            url("self_assessment", assessment, section_no), {"statement": statement.pk}
        )


def answer_all(client, assessment: Assessment, section_no: int, *, wrong: set[int]):
    """Answer the open attempt's questions in order (questions numbered in `wrong` get a
    wrong option), then Finish. Returns the Finish response."""
    page = client.get(url("questions", assessment, section_no), follow=True)
    attempt = page.context["attempt"]
    for position, question_id in enumerate(attempt.question_ids):
        question = Question.objects.get(pk=question_id)
        options = list(question.options.all())
        chosen = next(o for o in options if o.is_correct != (question.number in wrong))
        action = "finish" if position == len(attempt.question_ids) - 1 else "next"
        response = client.post(
            url("question", assessment, section_no, position + 1),
            {
                "question": question.pk,
                "option": chosen.pk,
                "action": action,
            },
        )
    return response
