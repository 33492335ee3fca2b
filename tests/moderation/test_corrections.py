"""Clerical corrections: the moderator's amended value sits beside the centre's mark,
which is never overwritten; the centre sees it in red and is e-mailed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from iamis.models import Mark, MarkChange
from moderation.models import ClericalCorrection
from sampling.services import marks_submit
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import NOT_MARKS, fill

from .helpers import moderated_sheet

pytestmark = pytest.mark.django_db

# Worked example candidate 1003 has 35 (max 40).
NUMBER = 2003


def _submit_and_reallocate(moderated, unit: Any, teacher) -> None:
    """Submit `unit` at the moderated centre and give the moderator it instead."""
    marks_submit(centre=moderated.centre, unit=unit, acting_user=teacher)
    moderated.allocation.unit = unit
    moderated.allocation.save()
    moderated.unit = unit


def _correct(moderated, number=NUMBER, **typed):
    return moderated.client().post(moderated.url("correction", number), typed)


def test_a_correction_keeps_the_centres_mark_and_is_recorded_beside_it(two_centres):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.post_results_email = "results@alice.example"
    two_centres.alice_centre.save()

    response = _correct(moderated, **{"task-1": "31", "note": "Added up wrongly"})

    assert response.status_code == 302
    mark = Mark.objects.get(entry=moderated.entry(NUMBER))
    assert (mark.total, mark.task_marks, mark.is_locked) == (35, {"1": 35}, True)
    correction = ClericalCorrection.objects.get(entry=moderated.entry(NUMBER))
    assert (correction.total, correction.original["total"]) == (31, 35)
    change = MarkChange.objects.get(source=MarkChange.Source.CLERICAL_CORRECTION)
    assert change.old["total"] == 35
    assert change.new["total"] == 31
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CLERICAL_CORRECTION, actor=moderated.moderator
    ).exists()


def test_the_centre_is_emailed_about_a_correction(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    centre = two_centres.alice_centre
    centre.exams_officer_email = "eo@alice.example"
    centre.post_results_email = "results@alice.example"
    centre.save()

    with django_capture_on_commit_callbacks(execute=True):
        _correct(moderated, **{"task-1": "31"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"eo@alice.example", "results@alice.example"}
    assert "Clerical error identified" in message.subject
    assert "35 has been amended to 31" in message.body
    assert message.alternatives  # an HTML part beside the plain text


def test_the_centres_marksheet_shows_the_correction_in_red_with_words(
    two_centres, alice_client
):
    moderated = moderated_sheet(two_centres)
    _correct(moderated, **{"task-1": "31"})

    page = alice_client.get(reverse("iamis:marksheet", args=[moderated.unit.public_id]))

    body = page.content.decode()
    assert "Clerical Error" in body
    assert (
        f'data-testid="clerical-{NUMBER}-task-1" href="/iamis/candidates/{NUMBER}/#history">31'
        in body
    )
    assert "(clerical correction by the moderator)" in body


def test_a_value_over_the_maximum_is_refused_and_nothing_is_recorded(two_centres):
    moderated = moderated_sheet(two_centres)

    response = _correct(moderated, **{"task-1": "41"})

    assert response.status_code == 400
    assert "the maximum is 40" in response.content.decode()
    assert not ClericalCorrection.objects.exists()


def test_the_centres_own_value_is_not_a_correction(two_centres):
    moderated = moderated_sheet(two_centres)

    response = _correct(moderated, **{"task-1": "35"})

    assert response.status_code == 400
    assert "nothing to correct" in response.content.decode()


def test_marks_not_yet_submitted_cannot_be_corrected(two_centres):
    moderated = moderated_sheet(two_centres)
    late = EntryFactory(
        candidate=CandidateFactory(centre=moderated.centre, number=2500),
        unit=moderated.unit,
    )
    fill(late, "20")

    response = _correct(moderated, number=2500, **{"task-1": "21"})

    assert response.status_code == 400
    assert "once the centre has submitted" in response.content.decode()
    assert not ClericalCorrection.objects.exists()


def test_a_second_correction_replaces_the_first_and_the_history_keeps_both(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    _correct(moderated, **{"task-1": "31"})
    _correct(moderated, **{"task-1": "33"})

    corrections = ClericalCorrection.objects.filter(entry=moderated.entry(NUMBER))
    assert sorted(corrections.values_list("total", "is_current")) == [
        (31, False),
        (33, True),
    ]
    page = moderated.client().get(moderated.url("correction", NUMBER))
    body = page.content.decode()
    assert "clerical correction in force: 33" in body
    assert body.count("Clerical correction</td>") == 2


def test_a_two_task_unit_adds_up_the_amended_tasks_and_checks_a_typed_total(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    unit = UnitFactory(evidence="e_submission")
    TaskFactory(unit=unit, number=1, name="Task 1", max_mark=40)
    TaskFactory(unit=unit, number=2, name="Task 2", max_mark=40)
    entry = EntryFactory(
        candidate=CandidateFactory(centre=moderated.centre, number=4001), unit=unit
    )
    fill(entry, "20", field="task-1")
    fill(entry, "25", field="task-2")
    _submit_and_reallocate(moderated, unit, two_centres.alice)

    wrong = _correct(moderated, number=4001, **{"task-2": "22", "total": "45"})
    right = _correct(moderated, number=4001, **{"task-2": "22"})

    assert "must be the sum of the task marks (42)" in wrong.content.decode()
    assert right.status_code == 302
    correction = ClericalCorrection.objects.get(entry=entry)
    assert (correction.task_marks, correction.total) == ({"2": 22}, 42)


def test_an_outcome_can_be_corrected_to_another_grade_of_the_scale(two_centres):
    moderated = moderated_sheet(two_centres)
    unit = UnitFactory(
        assessment="outcomes", grade_scale=["Distinction", "Merit", "Pass"]
    )
    entry = EntryFactory(
        candidate=CandidateFactory(centre=moderated.centre, number=4101), unit=unit
    )
    fill(entry, "Merit", field="grade")
    _submit_and_reallocate(moderated, unit, two_centres.alice)

    refused = _correct(moderated, number=4101, grade="Excellent")
    accepted = _correct(moderated, number=4101, grade="pass")

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert ClericalCorrection.objects.get(entry=entry).grade == "Pass"


def test_a_total_alone_cannot_be_corrected_on_a_two_task_unit(two_centres):
    moderated = moderated_sheet(two_centres)
    unit = UnitFactory(evidence="e_submission")
    TaskFactory(unit=unit, number=1, name="Task 1", max_mark=40)
    TaskFactory(unit=unit, number=2, name="Task 2", max_mark=40)
    entry = EntryFactory(
        candidate=CandidateFactory(centre=moderated.centre, number=4201), unit=unit
    )
    fill(entry, "20", field="task-1")
    fill(entry, "25", field="task-2")
    _submit_and_reallocate(moderated, unit, two_centres.alice)

    response = _correct(moderated, number=4201, total="50")

    assert "Amend the task marks" in response.content.decode()
    assert not ClericalCorrection.objects.exists()


def test_an_approved_mark_change_ends_the_correction_in_force(two_centres):
    from iamis.models import MarkChangeRequest
    from marksheets.services.change_requests import change_request_approve

    moderated = moderated_sheet(two_centres)
    _correct(moderated, **{"task-1": "31"})
    entry = moderated.entry(NUMBER)
    change = MarkChangeRequest.objects.create(
        centre=moderated.centre,
        entry=entry,
        centre_number=moderated.centre.number,
        centre_name=moderated.centre.name,
        current={
            "status": "marked",
            "task_marks": {"1": 35},
            "grade": "",
            "initials": "",
        },
        requested={"task_marks": {"1": 30}},
        reason="Added up wrongly",
        requested_by=two_centres.alice,
    )
    from tests.factories import UserFactory

    change_request_approve(
        change_request=change, acting_user=UserFactory(is_staff=True)
    )

    assert Mark.objects.get(entry=entry).total == 30
    correction = ClericalCorrection.objects.get(entry=entry)
    assert correction.is_current is False


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_a_correction_that_is_not_ascii_digits_is_refused_with_a_message(
    two_centres, typed
):
    moderated = moderated_sheet(two_centres)

    response = _correct(moderated, **{"task-1": typed})

    assert response.status_code == 400
    assert "enter a whole number from 0 to 40" in response.content.decode()
    assert not ClericalCorrection.objects.exists()


def test_a_correction_with_spaces_around_it_is_read_as_the_number(two_centres):
    moderated = moderated_sheet(two_centres)

    _correct(moderated, **{"task-1": " 7 "})

    assert ClericalCorrection.objects.get(entry=moderated.entry(NUMBER)).total == 7
