"""Once any mark for a unit is submitted, the board cannot change what the marks mean:
the tasks' maximum marks, the tasks themselves (added, removed, renumbered) and the grade
scale. The back office says why; PostgreSQL refuses it too
(tests/portal/test_database_rules.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from iamis.models import Task, Unit
from iamis.services import entries as services
from sampling.services import marks_submit
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import fill
from tests.sampling.sheets import worked_sheet

pytestmark = pytest.mark.django_db

REFUSED = "Marks for this unit have been submitted"


@pytest.fixture
def board_client(two_centres) -> Client:
    from tests.factories import UserFactory

    client = Client()
    client.force_login(
        UserFactory(email="staff@board.example", is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def submitted_unit(two_centres) -> Unit:
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    return unit


@pytest.fixture
def submitted_outcome_unit(two_centres) -> Unit:
    unit = UnitFactory(
        assessment=Unit.Assessment.OUTCOMES,
        grade_scale=["Distinction", "Merit", "Pass"],
    )
    candidate = CandidateFactory(centre=two_centres.alice_centre, number=4001)
    fill(EntryFactory(candidate=candidate, unit=unit), "Merit", field="grade")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    return unit


def _change_page_data(client: Client, unit: Unit) -> dict[str, Any]:
    """The unit's change form as the back office shows it, ready to post back."""
    page = client.get(reverse("admin:iamis_unit_change", args=[unit.pk]))
    data: dict[str, Any] = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value is not False and value is not None:
            data[name] = value
        if field.show_hidden_initial and name in data:
            # The page's hidden copy of a callable default (the grade scale's list).
            data[f"initial-{name}"] = data[name]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        prefix = formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        data[f"{prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for index, task_form in enumerate(formset.initial_forms):
            for name in task_form.fields:
                value = task_form[name].value()
                if value is not None and value is not False:
                    data[f"{prefix}-{index}-{name}"] = getattr(value, "pk", value)
    return data


def _post(client: Client, unit: Unit, data: dict[str, Any]):
    return client.post(reverse("admin:iamis_unit_change", args=[unit.pk]), data)


def test_the_board_cannot_lower_a_tasks_maximum_once_marks_are_submitted(
    board_client, submitted_unit
):
    data = _change_page_data(board_client, submitted_unit)
    data["tasks-0-max_mark"] = 20

    response = _post(board_client, submitted_unit, data)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert submitted_unit.tasks.get().max_mark == 40


def test_the_board_cannot_add_or_remove_a_task_once_marks_are_submitted(
    board_client, submitted_unit
):
    added = _change_page_data(board_client, submitted_unit)
    added.update(
        {
            "tasks-TOTAL_FORMS": 2,
            "tasks-1-number": 2,
            "tasks-1-name": "Task 2",
            "tasks-1-max_mark": 10,
        }
    )
    removed = _change_page_data(board_client, submitted_unit)
    removed["tasks-0-DELETE"] = "on"

    responses = [_post(board_client, submitted_unit, d) for d in (added, removed)]

    for response in responses:
        assert response.status_code == 200
        assert REFUSED in response.content.decode()
    assert list(submitted_unit.tasks.values_list("number", "max_mark")) == [(1, 40)]


def test_the_board_cannot_change_the_grade_scale_once_marks_are_submitted(
    board_client, submitted_outcome_unit
):
    data = _change_page_data(board_client, submitted_outcome_unit)
    data["grade_scale"] = '["Pass", "Fail"]'

    response = _post(board_client, submitted_outcome_unit, data)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    submitted_outcome_unit.refresh_from_db()
    assert submitted_outcome_unit.grade_scale == ["Distinction", "Merit", "Pass"]


def test_a_task_name_and_the_units_other_details_can_change_after_submission(
    board_client, submitted_unit
):
    data = _change_page_data(board_client, submitted_unit)
    data["tasks-0-name"] = "Portfolio"
    data["sample_deadline"] = "2027-06-01"

    response = _post(board_client, submitted_unit, data)

    assert response.status_code == 302
    assert submitted_unit.tasks.get().name == "Portfolio"


def test_before_any_mark_is_submitted_the_tasks_can_change(board_client, two_centres):
    unit = worked_sheet(two_centres)
    data = _change_page_data(board_client, unit)
    data["tasks-0-max_mark"] = 50

    response = _post(board_client, unit, data)

    assert response.status_code == 302
    assert unit.tasks.get().max_mark == 50


def test_the_service_names_the_rule(submitted_unit, submitted_outcome_unit):
    task = submitted_unit.tasks.get()
    with pytest.raises(ValidationError, match=REFUSED):
        services.unit_structure_check(unit=submitted_unit, changed=["max_mark"])
    with pytest.raises(ValidationError, match=REFUSED):
        services.unit_structure_check(
            unit=submitted_outcome_unit, changed=["grade_scale"]
        )
    services.unit_structure_check(unit=submitted_unit, changed=["title"])
    services.unit_structure_check(
        unit=TaskFactory(unit=UnitFactory()).unit, changed=["max_mark"]
    )
    assert Task.objects.get(pk=task.pk).max_mark == 40


def test_a_maximum_is_not_lowered_below_a_mark_already_saved(board_client, two_centres):
    # Saved, not yet submitted: the highest mark on the sheet is 40 (candidate 1001).
    unit = worked_sheet(two_centres)
    below = _change_page_data(board_client, unit)
    below["tasks-0-max_mark"] = 39
    at = _change_page_data(board_client, unit)
    at["tasks-0-max_mark"] = 40

    refused = _post(board_client, unit, below)
    unit.refresh_from_db()
    kept = unit.tasks.get().max_mark
    allowed = _post(board_client, unit, at)

    assert refused.status_code == 200
    assert (
        "1 saved mark for Task 1 is above 39 (the highest is 40)"
        in refused.content.decode()
    )
    assert kept == 40
    assert allowed.status_code == 302
