"""Centre Mark Change Request: the centre's form, its pages, and the board's queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from centres.models import AccessGrant, Membership
from iamis.models import Entry, Mark, MarkChange, MarkChangeRequest, Unit
from iamis.services.marks import mark_replace, mark_save_cell
from marksheets.services.change_requests import (
    change_request_approve,
    change_request_create,
    change_request_reject,
)
from sampling.services import marks_submit
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.iamis.marking import NOT_MARKS

QUEUE_URL = "/board/iamis/markchangerequest/"
Status = MarkChangeRequest.Status
TOO_HIGH = "The maximum mark for Task 1 is 40: 41 is too high."


def _fill(unit: Unit, user: User, values: dict[int, dict[str, str]]) -> None:
    """Type values into the marksheet as a teacher would: {candidate: {field: value}}."""
    for number, fields in values.items():
        entry = Entry.objects.get(unit=unit, candidate__number=number)
        for field, value in fields.items():
            result = mark_save_cell(
                centre=entry.centre,
                entry=entry,
                field=field,
                raw_value=value,
                seen_version=None,
                confirm_absent=True,
                acting_user=user,
            )
            assert result.saved, result.error


@pytest.fixture
def sheet(two_centres) -> Unit:
    """Alice's two-task unit (Task 1 out of 40, Task 2 out of 20), marks not submitted:
    1001 has 20 + 10, 1002 is absent."""
    centre = two_centres.alice_centre
    unit = UnitFactory(code="3700U2", title="Alicespecific Writing")
    TaskFactory(unit=unit, number=1, name="Task 1", max_mark=40)
    TaskFactory(unit=unit, number=2, name="Task 2", max_mark=20)
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)
    EntryFactory(candidate=CandidateFactory(centre=centre, number=1002), unit=unit)
    _fill(
        unit,
        two_centres.alice,
        {1001: {"task-1": "20", "task-2": "10"}, 1002: {"task-1": "A"}},
    )
    return unit


@pytest.fixture
def submitted(sheet, two_centres) -> Unit:
    marks_submit(
        centre=two_centres.alice_centre, unit=sheet, acting_user=two_centres.alice
    )
    return sheet


def _create(two_centres, unit: Unit, **changes: Any) -> MarkChangeRequest:
    arguments: dict[str, Any] = {
        "centre": two_centres.alice_centre,
        "unit": unit,
        "candidate_number": 1001,
        "centre_number": 68999,
        "centre_name": "Alice Academy",
        "requested": {"status": "marked", "task_marks": {"1": 25, "2": 10}},
        "reason": "Task 1 was added up wrongly.",
        "acting_user": two_centres.alice,
    }
    arguments.update(changes)
    return change_request_create(**arguments)


def _mark(unit: Unit, number: int = 1001) -> Mark:
    return Mark.objects.get(entry__unit=unit, entry__candidate__number=number)


def _new_url(unit: Unit) -> str:
    return reverse("iamis:change_request_new", args=[unit.public_id])


def _detail_url(change: MarkChangeRequest) -> str:
    return reverse("iamis:change_request_detail", args=[change.public_id])


def _form(**changes: str) -> dict[str, str]:
    data = {
        "centre_number": "68999",
        "centre_name": "Alice Academy",
        "candidate_number": "1001",
        "task-1": "25",
        "task-2": "10",
        "reason": "Task 1 was added up wrongly.",
    }
    data.update(changes)
    return data


@pytest.fixture
def board_staff(two_centres) -> User:
    return UserFactory(email="staff@board.example", is_staff=True, is_superuser=True)


@pytest.fixture
def board_client(board_staff) -> Client:
    client = Client()
    client.force_login(board_staff)
    return client


# --- Asking for a change -------------------------------------------------------------------


def test_a_mark_not_yet_submitted_cannot_be_requested(sheet, two_centres):
    with pytest.raises(ValidationError) as refused:
        _create(two_centres, sheet)

    assert refused.value.message_dict["candidate_number"] == [
        "Only submitted marks can be changed this way; before submission change the "
        "mark on the marksheet."
    ]
    assert not MarkChangeRequest.objects.filter(entry__unit=sheet).exists()


def test_the_form_says_so_for_a_candidate_whose_mark_is_not_submitted(
    alice_client, sheet
):
    response = alice_client.get(_new_url(sheet), {"candidate": "1001"})

    assert response.status_code == 200
    assert "Only submitted marks can be changed this way" in response.text
    assert 'name="reason"' not in response.text


def test_a_submitted_mark_can_be_requested_and_the_current_mark_is_kept(
    submitted, two_centres
):
    change = _create(two_centres, submitted)

    assert change.status == Status.PENDING
    assert change.current == {
        "status": "marked",
        "task_marks": {"1": 20, "2": 10},
        "grade": "",
        "total": 30,
        "initials": "",
    }
    assert change.requested == {
        "status": "marked",
        "task_marks": {"1": 25, "2": 10},
        "grade": "",
        "total": 35,
    }
    assert change.requested_by == two_centres.alice
    event = AuditEvent.objects.get(action=AuditEvent.Action.MARK_CHANGE_REQUESTED)
    assert event.detail["change_request"] == str(change.public_id)
    assert event.target == "3700U2 1001"
    assert _mark(submitted).total == 30


def test_the_centre_number_must_be_the_centres_own(submitted, two_centres):
    with pytest.raises(ValidationError) as refused:
        _create(two_centres, submitted, centre_number=12345)

    assert refused.value.message_dict["centre_number"] == [
        "This is not your centre's number: you are signed in for centre 68999."
    ]


@pytest.mark.parametrize("number", ["80000", "-1", "abc", ""])
def test_the_form_wants_a_centre_number_from_0_to_79999(
    alice_client, submitted, number
):
    response = alice_client.post(_new_url(submitted), _form(centre_number=number))

    assert response.status_code == 200
    assert "Number must be between 0 ~ 79999" in response.text
    assert '<a href="#id_centre_number">' in response.text
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


def test_the_candidate_number_must_be_a_number(alice_client, submitted):
    response = alice_client.post(_new_url(submitted), _form(candidate_number="12a"))

    assert "The value must be a number" in response.text
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


def test_a_candidate_without_an_entry_for_the_unit_is_refused(submitted, two_centres):
    with pytest.raises(ValidationError) as refused:
        _create(two_centres, submitted, candidate_number=1003)

    assert refused.value.message_dict["candidate_number"] == [
        "Candidate 1003 has no entry for this unit at your centre."
    ]


def test_a_requested_mark_over_the_maximum_is_refused_as_on_the_marksheet(
    submitted, two_centres
):
    with pytest.raises(ValidationError) as refused:
        _create(
            two_centres,
            submitted,
            requested={"status": "marked", "task_marks": {"1": 41, "2": 10}},
        )

    assert refused.value.message_dict["task-1"] == [TOO_HIGH]


def test_the_form_refuses_a_mark_over_the_maximum_with_the_marksheets_message(
    alice_client, submitted
):
    response = alice_client.post(_new_url(submitted), _form(**{"task-1": "41"}))

    assert response.status_code == 200
    assert TOO_HIGH in response.text
    assert '<a href="#id_task-1">' in response.text
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


def test_every_task_needs_a_mark(submitted, two_centres):
    with pytest.raises(ValidationError) as refused:
        _create(
            two_centres, submitted, requested={"status": "marked", "task_marks": {}}
        )

    assert refused.value.message_dict["task-2"] == [
        "Enter a mark for Task 2, from 0 to 20."
    ]


def test_carry_forward_is_refused_where_the_unit_does_not_allow_it(
    submitted, two_centres
):
    with pytest.raises(ValidationError) as refused:
        _create(two_centres, submitted, requested={"status": "carry_forward"})

    assert refused.value.message_dict["task-1"] == [
        "Carry forward (C or CF) is not allowed for this unit."
    ]


def test_the_requested_mark_must_differ_from_the_submitted_one(submitted, two_centres):
    with pytest.raises(ValidationError) as refused:
        _create(
            two_centres,
            submitted,
            requested={"status": "marked", "task_marks": {"1": 20, "2": 10}},
        )

    assert refused.value.message_dict["__all__"] == [
        "The requested mark is the same as the submitted mark (30)."
    ]


def test_a_second_request_while_one_is_pending_is_refused(submitted, two_centres):
    _create(two_centres, submitted)

    with pytest.raises(ValidationError) as refused:
        _create(
            two_centres,
            submitted,
            requested={"status": "marked", "task_marks": {"1": 30, "2": 10}},
        )

    assert "already with the board" in refused.value.message_dict["candidate_number"][0]
    assert MarkChangeRequest.objects.filter(entry__unit=submitted).count() == 1


def test_a_new_request_may_follow_a_decided_one(submitted, two_centres, board_staff):
    first = _create(two_centres, submitted)
    change_request_reject(
        change_request=first, acting_user=board_staff, note="Please check the script."
    )

    second = _create(two_centres, submitted)

    assert second.status == Status.PENDING


# --- The centre's pages --------------------------------------------------------------------


def test_choosing_a_candidate_shows_the_submitted_mark_and_fills_the_form(
    alice_client, submitted
):
    response = alice_client.get(_new_url(submitted), {"candidate": "1001"})

    text = response.text
    assert response.status_code == 200
    assert "Centre Mark Change Request / Cais am Newid Marciau Canolfan" in text
    numbered = [
        "1. Centre Number / Rhif y Ganolfan",
        "2. Centre Name / Enw&#x27;r Ganolfan",
        "3. Candidate Number / Rhif yr Ymgeisydd",
        "4. Unit / Uned",
        "5. Current Mark / Marc Presennol",
        "6. Requested Mark / Marc y Gofynnir Amdano",
        "7. Reason for the change / Rheswm dros y newid",
    ]
    places = [text.find(label) for label in numbered]
    assert -1 not in places, dict(zip(numbered, places, strict=True))
    assert places == sorted(places), "the boxes are not read in their numbered order"
    assert 'name="centre_number" value="68999"' in text
    assert 'name="centre_name" value="Alice Academy"' in text
    assert 'name="candidate_number" value="1001"' in text
    assert 'name="task-1" value="20"' in text
    assert "1001 ALICESURNAME: ANN" in text
    assert "ALICESPECIFIC WRITING (3700U2)" in text


def test_without_a_candidate_the_form_asks_for_one_first(alice_client, submitted):
    response = alice_client.get(_new_url(submitted))

    assert response.status_code == 200
    assert 'name="candidate"' in response.text
    assert 'name="reason"' not in response.text


def test_sending_the_form_records_the_request_and_shows_it(alice_client, submitted):
    response = alice_client.post(
        _new_url(submitted), _form(reason="Task 1 added up wrongly.")
    )

    change = MarkChangeRequest.objects.get(entry__unit=submitted)
    assert response.status_code == 302
    assert response.url == _detail_url(change)
    assert change.requested["task_marks"] == {"1": 25, "2": 10}
    page = alice_client.get(response.url)
    assert "Your mark change request has been sent to the board." in page.text
    assert "Waiting for the board" in page.text
    assert "Task 1 added up wrongly." in page.text


def test_absent_is_typed_as_a_on_the_form(alice_client, submitted):
    alice_client.post(_new_url(submitted), _form(**{"task-1": "a", "task-2": ""}))

    change = MarkChangeRequest.objects.get(entry__unit=submitted)
    assert change.requested["status"] == "absent"


def test_a_pending_request_is_shown_instead_of_a_second_form(
    alice_client, submitted, two_centres
):
    change = _create(two_centres, submitted)

    response = alice_client.get(_new_url(submitted), {"candidate": "1001"})

    assert "already with the board" in response.text
    assert _detail_url(change) in response.text
    assert 'name="reason"' not in response.text


def test_an_outcome_unit_requests_a_grade(alice_client, two_centres):
    unit = UnitFactory(
        code="9791U1",
        title="Alicespecific Engineering",
        assessment=Unit.Assessment.OUTCOMES,
        grade_scale=["Distinction", "Merit", "Pass"],
    )
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)
    _fill(unit, two_centres.alice, {1001: {"grade": "Pass"}})
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    page = alice_client.get(_new_url(unit), {"candidate": "1001"})
    assert "5. Current Grade / Gradd Bresennol" in page.text
    assert '<option value="Merit">Merit</option>' in page.text
    data = _form(grade="Merit")
    del data["task-1"], data["task-2"]
    response = alice_client.post(_new_url(unit), data)

    change = MarkChangeRequest.objects.get(entry__unit=unit)
    assert response.status_code == 302
    assert change.requested == {"status": "marked", "task_marks": {}, "grade": "Merit"}


def test_the_list_shows_the_centres_requests_newest_first(
    alice_client, submitted, two_centres
):
    _create(two_centres, submitted)

    response = alice_client.get(reverse("iamis:change_requests"))

    text = response.text
    assert response.status_code == 200
    assert text.index("3700U2") < text.index("3700U1")
    assert "30 &rarr; 35" in text
    assert "Waiting for the board" in text


def test_the_list_makes_the_same_queries_for_1_and_10_requests(
    alice_client, two_centres
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.get(reverse("iamis:change_requests"))
        assert response.status_code == 200
        return len(captured)

    one = queries()
    for number in range(2001, 2010):
        entry = EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=number),
            unit=UnitFactory(),
        )
        MarkChangeRequest.objects.create(
            centre=two_centres.alice_centre,
            entry=entry,
            centre_number=68999,
            centre_name="Alice Academy",
            current={"status": "marked", "total": 20},
            requested={"status": "marked", "total": 21},
            reason="Typo",
            requested_by=UserFactory(),
        )
    assert (
        MarkChangeRequest.objects.filter(centre=two_centres.alice_centre).count() == 10
    )
    assert queries() == one


def test_the_detail_shows_current_and_requested_values_and_the_board_note(
    alice_client, submitted, two_centres, board_staff
):
    change = _create(two_centres, submitted)
    change_request_reject(
        change_request=change, acting_user=board_staff, note="The script says 20."
    )

    response = alice_client.get(_detail_url(change))

    text = response.text
    assert response.status_code == 200
    assert "Rejected" in text
    assert "Task 1 (Max:40)" in text
    assert "Total (Max:60)" in text
    assert "The script says 20." in text


def test_the_marksheet_links_to_the_form_only_after_submission(
    alice_client, sheet, two_centres
):
    sheet_url = reverse("iamis:marksheet", args=[sheet.public_id])

    assert "Mark change request form" not in alice_client.get(sheet_url).text
    marks_submit(
        centre=two_centres.alice_centre, unit=sheet, acting_user=two_centres.alice
    )
    page = alice_client.get(sheet_url).text
    assert "Mark change request form" in page
    assert _new_url(sheet) in page


def test_the_index_links_to_the_centres_requests(alice_client, two_centres):
    response = alice_client.get(reverse("iamis:index"))

    assert reverse("iamis:change_requests") in response.text


def test_pages_refuse_other_methods(alice_client, submitted, two_centres):
    change = two_centres.alice_change_request

    assert alice_client.post(reverse("iamis:change_requests")).status_code == 405
    assert alice_client.post(_detail_url(change)).status_code == 405
    assert alice_client.put(_new_url(submitted)).status_code == 405


def test_signing_in_is_required(client, two_centres):
    response = client.get(reverse("iamis:change_requests"))

    assert response.status_code == 302
    assert "next=" in response.url


def test_a_user_account_without_the_iamis_grant_gets_403(
    client, submitted, two_centres
):
    client.force_login(two_centres.alice_teacher.user)
    change = two_centres.alice_change_request

    for url in (
        _new_url(submitted),
        reverse("iamis:change_requests"),
        _detail_url(change),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(_new_url(submitted), _form()).status_code == 403
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


def test_a_user_account_limited_to_other_units_cannot_ask_for_this_one(
    client, submitted, two_centres
):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=AccessGrant.Area.IAMIS)
    teacher.iamis_units.add(two_centres.alice_unit)
    client.force_login(teacher.user)
    change = _create(two_centres, submitted)

    assert client.get(_new_url(submitted)).status_code == 404
    assert client.post(_new_url(submitted), _form()).status_code == 404
    assert client.get(_detail_url(change)).status_code == 404
    listing = client.get(reverse("iamis:change_requests")).text
    assert _detail_url(change) not in listing
    assert _detail_url(two_centres.alice_change_request) in listing


def test_a_user_account_with_the_grant_can_send_a_request(
    client, submitted, two_centres
):
    membership = MembershipFactory(
        centre=two_centres.alice_centre,
        account_type=Membership.AccountType.USER,
        user=UserFactory(email="gwen@alice.example"),
    )
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    client.force_login(membership.user)

    response = client.post(_new_url(submitted), _form())

    assert response.status_code == 302
    assert MarkChangeRequest.objects.get(entry__unit=submitted).requested_by == (
        membership.user
    )


def test_another_centres_change_request_gives_404(charlie_client, two_centres):
    change = two_centres.alice_change_request

    response = charlie_client.get(_detail_url(change))

    assert response.status_code == 404
    assert change.reason not in response.text


def test_another_centres_unit_gives_404(charlie_client, submitted):
    assert charlie_client.get(_new_url(submitted)).status_code == 404
    assert charlie_client.post(_new_url(submitted), _form()).status_code == 404


def test_another_centres_requests_are_not_listed(charlie_client, two_centres):
    response = charlie_client.get(reverse("iamis:change_requests"))

    assert response.status_code == 200
    assert two_centres.alice_change_request.reason not in response.text
    assert _detail_url(two_centres.alice_change_request) not in response.text


# --- The board's decision ------------------------------------------------------------------


def test_approving_applies_the_change_with_history_and_emails_the_centre(
    submitted, two_centres, board_staff, django_capture_on_commit_callbacks
):
    centre = two_centres.alice_centre
    centre.post_results_email = "results@alice.example"
    centre.save()
    change = _create(two_centres, submitted)

    with django_capture_on_commit_callbacks(execute=True):
        change_request_approve(
            change_request=change, acting_user=board_staff, note="Agreed."
        )

    mark = _mark(submitted)
    assert (mark.task_marks, mark.total) == ({"1": 25, "2": 10}, 35)
    assert mark.is_locked and mark.is_complete
    history = MarkChange.objects.get(mark=mark, source=MarkChange.Source.CHANGE_REQUEST)
    assert history.old["task_marks"] == {"1": 20, "2": 10}
    assert history.new["task_marks"] == {"1": 25, "2": 10}
    assert history.changed_by == board_staff
    change.refresh_from_db()
    assert change.status == Status.APPROVED
    assert change.decided_by == board_staff
    assert change.decided_at is not None
    assert change.board_note == "Agreed."
    event = AuditEvent.objects.get(action=AuditEvent.Action.MARK_CHANGE_DECIDED)
    assert (event.detail["before"], event.detail["after"]) == ("pending", "approved")
    [message] = mail.outbox
    assert message.to == ["results@alice.example", "alice@alice.example"]
    assert message.subject == "Mark change request approved: 3700U2, candidate 1001"
    assert "Submitted mark: 30" in message.body
    assert "Requested mark: 35" in message.body
    assert "Agreed." in message.body
    assert _detail_url(change) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "The board has approved your mark change request" in html


def test_without_a_post_results_address_the_exams_officer_is_emailed(
    submitted, two_centres, board_staff, django_capture_on_commit_callbacks
):
    centre = two_centres.alice_centre
    teacher = UserFactory(email="teacher2@alice.example", language="cy")
    membership = MembershipFactory(centre=centre, user=teacher)
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    change = _create(two_centres, submitted, acting_user=teacher)

    with django_capture_on_commit_callbacks(execute=True):
        change_request_approve(change_request=change, acting_user=board_staff)

    [message] = mail.outbox
    assert message.to == [centre.exams_officer_email, "teacher2@alice.example"]
    # In the language of the person who asked.
    assert '<html lang="cy">' in message.alternatives[0][0]


def test_approval_is_refused_when_the_mark_changed_since_the_request(
    submitted, two_centres, board_staff
):
    change = _create(two_centres, submitted)
    mark_replace(
        mark=_mark(submitted),
        new={"status": "marked", "task_marks": {"1": 22, "2": 10}},
        acting_user=board_staff,
        source=MarkChange.Source.CHANGE_REQUEST,
    )

    with pytest.raises(ValidationError, match="has changed since the request"):
        change_request_approve(change_request=change, acting_user=board_staff)

    assert _mark(submitted).total == 32
    change.refresh_from_db()
    assert change.status == Status.PENDING


def test_rejecting_needs_a_note_and_changes_nothing(
    submitted, two_centres, board_staff, django_capture_on_commit_callbacks
):
    change = _create(two_centres, submitted)

    with pytest.raises(ValidationError, match="reason for rejecting"):
        change_request_reject(change_request=change, acting_user=board_staff, note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        change_request_reject(
            change_request=change, acting_user=board_staff, note="Marks stand."
        )

    change.refresh_from_db()
    assert change.status == Status.REJECTED
    assert change.board_note == "Marks stand."
    mark = _mark(submitted)
    assert (mark.task_marks, mark.total, mark.is_locked) == (
        {"1": 20, "2": 10},
        30,
        True,
    )
    assert not MarkChange.objects.filter(
        mark=mark, source=MarkChange.Source.CHANGE_REQUEST
    ).exists()
    [message] = mail.outbox
    assert message.subject == "Mark change request rejected: 3700U2, candidate 1001"
    assert "Marks stand." in message.body


def test_a_decided_request_cannot_be_decided_again(submitted, two_centres, board_staff):
    change = _create(two_centres, submitted)
    change_request_approve(change_request=change, acting_user=board_staff)

    with pytest.raises(ValidationError, match="only a waiting request"):
        change_request_approve(change_request=change, acting_user=board_staff)
    with pytest.raises(ValidationError, match="only a waiting request"):
        change_request_reject(change_request=change, acting_user=board_staff, note="x")

    assert (
        MarkChange.objects.filter(source=MarkChange.Source.CHANGE_REQUEST).count() == 1
    )


# --- The board's queue ---------------------------------------------------------------------


def test_centre_people_cannot_open_the_board_queue(alice_client, two_centres):
    response = alice_client.get(QUEUE_URL)

    assert response.status_code == 302
    assert two_centres.alice_change_request.reason not in response.text


def test_the_queue_lists_requests_filters_by_status_and_finds_by_number(
    board_client, submitted, two_centres
):
    _create(two_centres, submitted)

    by_status = board_client.get(QUEUE_URL, {"status__exact": "pending"})
    by_candidate = board_client.get(QUEUE_URL, {"q": "1001"})
    by_centre = board_client.get(QUEUE_URL, {"q": "68999"})
    no_match = board_client.get(QUEUE_URL, {"q": "12345"})

    assert by_status.status_code == 200
    assert "3700U2" in by_status.text and "30 → 35" in by_status.text
    assert "3700U2" in by_candidate.text
    assert "3700U2" in by_centre.text
    assert "3700U2" not in no_match.text


def test_approve_in_the_queue_asks_for_a_note_then_applies(
    board_client, submitted, two_centres, django_capture_on_commit_callbacks
):
    change = _create(two_centres, submitted)
    selected = {"action": "approve", "_selected_action": [change.pk]}

    confirm = board_client.post(QUEUE_URL, selected)
    assert confirm.status_code == 200
    assert 'name="note"' in confirm.text
    change.refresh_from_db()
    assert change.status == Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        done = board_client.post(
            QUEUE_URL, {**selected, "decide": "yes", "note": "Agreed."}, follow=True
        )

    change.refresh_from_db()
    assert change.status == Status.APPROVED
    assert change.board_note == "Agreed."
    assert _mark(submitted).total == 35
    assert "1 request approved: the marks have been changed and the centre" in done.text
    assert len(mail.outbox) == 1


def test_reject_in_the_queue_needs_a_note(board_client, submitted, two_centres):
    change = _create(two_centres, submitted)
    selected = {"action": "reject", "_selected_action": [change.pk]}

    missing = board_client.post(QUEUE_URL, {**selected, "decide": "yes", "note": ""})
    assert missing.status_code == 200
    assert "Give the centre the reason for rejecting the request." in missing.text
    change.refresh_from_db()
    assert change.status == Status.PENDING

    board_client.post(QUEUE_URL, {**selected, "decide": "yes", "note": "No."})
    change.refresh_from_db()
    assert (change.status, change.board_note) == (Status.REJECTED, "No.")
    assert _mark(submitted).total == 30


def test_only_the_board_note_is_editable_in_the_queue(
    board_client, submitted, two_centres
):
    change = _create(two_centres, submitted)
    url = reverse("admin:iamis_markchangerequest_change", args=[change.pk])

    page = board_client.get(url)

    assert page.status_code == 200
    assert 'name="board_note"' in page.text
    assert 'name="reason"' not in page.text
    assert 'name="status"' not in page.text


def test_the_boards_page_for_a_request_is_titled_by_centre_candidate_and_unit(
    board_client, submitted, two_centres
):
    change = _create(two_centres, submitted)
    url = reverse("admin:iamis_markchangerequest_change", args=[change.pk])

    page = board_client.get(url)

    title = "Centre 68999, candidate 1001, unit 3700U2: Waiting for the board"
    assert f"<h2>{title}</h2>" in page.text
    assert f": {change.entry_id}:" not in page.text


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_a_requested_mark_that_is_not_ascii_digits_is_refused_with_a_message(
    alice_client, submitted, typed
):
    response = alice_client.post(_new_url(submitted), _form(**{"task-1": typed}))

    assert response.status_code == 200
    assert '<a href="#id_task-1">' in response.text
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


@pytest.mark.parametrize("field", ["centre_number", "candidate_number"])
@pytest.mark.parametrize(
    "typed", ["\u0661\u0660\u0660\u0661", "\uff11001", "1001\u00b2"]
)
def test_numbers_in_a_change_request_must_be_ascii_digits(
    alice_client, submitted, field, typed
):
    response = alice_client.post(_new_url(submitted), _form(**{field: typed}))

    assert response.status_code == 200
    assert f'<a href="#id_{field}">' in response.text
    assert not MarkChangeRequest.objects.filter(entry__unit=submitted).exists()


def test_a_requested_mark_with_spaces_around_it_is_read_as_the_number(
    alice_client, submitted
):
    alice_client.post(_new_url(submitted), _form(**{"task-1": " 7 "}))

    change = MarkChangeRequest.objects.get(entry__unit=submitted)
    assert change.requested["task_marks"]["1"] == 7


def test_an_approved_change_shows_as_amended_on_the_marksheet(
    alice_client, submitted, two_centres, board_staff
):
    change_request_approve(
        change_request=_create(two_centres, submitted), acting_user=board_staff
    )

    page = alice_client.get(reverse("iamis:marksheet", args=[submitted.public_id]))

    assert 'data-testid="amended-1001"' in page.text
    assert "Amended by an approved mark change request" in page.text
    assert 'data-testid="amended-1002"' not in page.text
