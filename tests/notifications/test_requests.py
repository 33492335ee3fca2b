"""Requests made of the board are acknowledged by e-mail, and the board's confirmation of
a change of exams officer reaches the centre (seed 003: "WJEC will confirm the changes
via email and send a Portal invite to the new Exams Officer's email address")."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from centres.models import AccessGrant, Membership
from marksheets.services.change_requests import change_request_create
from portal.models import ExamsOfficerChange
from portal.services import (
    PUBLIC_RECEIPTS_PER_ADDRESS,
    exams_officer_change_confirm,
    exams_officer_change_request,
)
from sampling.services import marks_submit
from tests.conftest import make_member
from tests.factories import AccessGrantFactory, MembershipFactory, UserFactory
from tests.portal.test_exams_officer_change import public_change_form
from tests.sampling.sheets import worked_sheet

from .helpers import html_of, language_of, sent_to

pytestmark = pytest.mark.django_db

PUBLIC_FORM_URL = "/centre/exams-officer-change/"


@pytest.fixture
def teacher(two_centres):
    user = UserFactory(email="ab@alice.example", first_name="Aled", last_name="Bevan")
    membership = MembershipFactory(centre=two_centres.alice_centre, user=user)
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    return user


@pytest.fixture
def office(two_centres):
    """An Admin account at Alice's centre: may ask for a change of exams officer."""
    return make_member(
        two_centres.alice_centre,
        Membership.AccountType.ADMIN,
        email="office@alice.example",
        first_name="Olwen",
        last_name="Office",
    )


@pytest.fixture
def board_staff(db):
    return UserFactory(email="staff@board.example", is_staff=True)


# --- Mark change request -----------------------------------------------------------


def _request_change(two_centres, user, callbacks, **changes):
    unit = worked_sheet(two_centres)  # candidate 2001 has 40 out of 40
    marks_submit(centre=two_centres.alice_centre, unit=unit, acting_user=user)
    arguments = {
        "centre": two_centres.alice_centre,
        "unit": unit,
        "candidate_number": 2001,
        "centre_number": 68999,
        "centre_name": "Alice Academy",
        "requested": {"status": "marked", "task_marks": {"1": 38}},
        "reason": "Task 1 was added up wrongly.",
        "acting_user": user,
        **changes,
    }
    with callbacks(execute=True):
        return change_request_create(**arguments)


def test_a_mark_change_request_sends_a_receipt_to_the_requester_and_the_exams_officer(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    change = _request_change(two_centres, teacher, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    unit = change.entry.unit
    assert set(message.to) == {"ab@alice.example", "alice@alice.example"}
    assert message.subject == (
        f"Mark change request received: {unit.code}, candidate 2001"
    )
    assert (
        f"The board has received your mark change request for unit {unit.code}, "
        "candidate 2001." in message.body
    )
    assert "Submitted mark: 40" in message.body
    assert "Requested mark: 38" in message.body
    assert "Reason for the change: Task 1 was added up wrongly." in message.body
    assert "Requested by Aled Bevan (ab@alice.example)" in message.body
    assert reverse("iamis:change_request_detail", args=[change.public_id]) in (
        html_of(message)
    )
    assert language_of(message) == "en"


def test_a_welsh_speaking_exams_officer_gets_the_mark_change_receipt_in_welsh(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    two_centres.alice.language = "cy"
    two_centres.alice.save(update_fields=["language"])

    _request_change(two_centres, teacher, django_capture_on_commit_callbacks)

    [english] = sent_to("ab@alice.example")
    [welsh] = sent_to("alice@alice.example")
    assert (language_of(english), language_of(welsh)) == ("en", "cy")


def test_a_refused_mark_change_request_sends_no_receipt(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    with pytest.raises(Exception, match="same as the submitted mark"):
        _request_change(
            two_centres,
            teacher,
            django_capture_on_commit_callbacks,
            requested={"status": "marked", "task_marks": {"1": 40}},
        )

    assert mail.outbox == []


# --- Change of exams officer from Manage Centre ------------------------------------


def test_manage_centre_eo_change_is_acknowledged_to_requester_and_exams_officer(
    two_centres, office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change, _created = exams_officer_change_request(
            centre=two_centres.alice_centre,
            new_name="Gwen Newofficer",
            new_email="gwen@alice.example",
            acting_user=office,
        )

    [message] = mail.outbox
    assert set(message.to) == {"office@alice.example", "alice@alice.example"}
    assert message.subject == "Change of exams officer received: centre 68999"
    assert (
        "The board has received a request to change the centre's exams officer to "
        "Gwen Newofficer (gwen@alice.example)." in message.body
    )
    assert "Requested by Olwen Office (office@alice.example)." in message.body
    assert str(change.public_id) in message.body
    assert reverse("portal:eo_change_status", args=[change.public_id]) in message.body
    assert "gwen@alice.example" not in message.to


def test_asking_for_the_same_change_again_sends_no_second_receipt(
    two_centres, office, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            exams_officer_change_request(
                centre=two_centres.alice_centre,
                new_name="Gwen Newofficer",
                new_email="gwen@alice.example",
                acting_user=office,
            )

    assert len(mail.outbox) == 1


# --- Change of exams officer by the public form ------------------------------------


def _post(client, callbacks, data, **headers):
    with callbacks(execute=True):
        response = client.post(PUBLIC_FORM_URL, data, **headers)
    assert response.status_code == 302
    return ExamsOfficerChange.objects.get(public_id=response.url.split("/")[-2])


def test_the_public_form_sends_a_receipt_only_to_the_address_the_sender_gave(
    client, two_centres, django_capture_on_commit_callbacks
):
    change = _post(client, django_capture_on_commit_callbacks, public_change_form())

    [message] = mail.outbox
    assert message.to == ["head@alice.example"]
    assert message.subject == "Change of exams officer received: centre 68999"
    assert (
        "The board has received a request to change the exams officer of centre "
        "68999." in message.body
    )
    assert str(change.public_id) in message.body
    assert reverse("portal:eo_change_status", args=[change.public_id]) in message.body


def test_the_public_form_receipt_repeats_nothing_the_sender_typed_but_the_number(
    client, two_centres, django_capture_on_commit_callbacks
):
    # Otherwise anyone could mail their own words to any address through the form.
    _post(
        client,
        django_capture_on_commit_callbacks,
        public_change_form(
            centre_name="Cheap watches at spam.example",
            new_name="Visit spam.example",
            new_email="buy@spam.example",
            sender_name="Click spam.example now",
            sender_role="spam.example",
        ),
    )

    [message] = mail.outbox
    for text in (message.subject, message.body, html_of(message)):
        assert "spam.example" not in text


def test_the_public_form_receipt_never_says_whether_the_centre_exists(
    client, two_centres, django_capture_on_commit_callbacks
):
    def receipt(number: str) -> str:
        mail.outbox.clear()
        change = _post(
            client,
            django_capture_on_commit_callbacks,
            public_change_form(centre_number=number),
        )
        [message] = mail.outbox
        body = message.body.replace(str(change.public_id), "REF").replace(number, "N")
        return re.sub(r"\d\d/\d\d/\d{4} \d\d:\d\d", "WHEN", body)

    assert receipt("68999") == receipt("70001")


def test_one_address_gets_at_most_three_public_form_receipts_a_day(
    client, two_centres, django_capture_on_commit_callbacks
):
    for _ in range(PUBLIC_RECEIPTS_PER_ADDRESS.limit + 1):
        _post(client, django_capture_on_commit_callbacks, public_change_form())
    _post(
        client,
        django_capture_on_commit_callbacks,
        public_change_form(sender_email="deputy@alice.example"),
    )

    assert PUBLIC_RECEIPTS_PER_ADDRESS.limit == 3
    assert PUBLIC_RECEIPTS_PER_ADDRESS.seconds == 24 * 60 * 60
    assert len(sent_to("head@alice.example")) == 3
    assert len(sent_to("deputy@alice.example")) == 1
    # Each request still reaches the board.
    assert ExamsOfficerChange.objects.count() == 5 + 1  # with two_centres' own


def test_the_public_form_receipt_is_in_the_language_the_form_was_filled_in(
    client, two_centres, django_capture_on_commit_callbacks
):
    _post(
        client,
        django_capture_on_commit_callbacks,
        public_change_form(),
        HTTP_ACCEPT_LANGUAGE="cy",
    )

    [message] = mail.outbox
    assert language_of(message) == "cy"


# --- The board confirms a change of exams officer ----------------------------------


def _confirm(change, board_staff, callbacks):
    change.status = ExamsOfficerChange.Status.CHECKED
    change.save()
    with callbacks(execute=True):
        return exams_officer_change_confirm(change=change, acting_user=board_staff)


def test_confirming_a_change_tells_the_old_and_new_exams_officer_and_invites_the_new(
    two_centres, office, board_staff, django_capture_on_commit_callbacks
):
    change = two_centres.alice_eo_change  # asked for by Alice, the exams officer
    change.requested_by = office
    change.save()

    _confirm(change, board_staff, django_capture_on_commit_callbacks)

    invite, confirmation = mail.outbox
    assert invite.to == ["eve@alice.example"]
    assert "/accounts/invite/" in invite.body
    assert set(confirmation.to) == {
        "alice@alice.example",
        "eve@alice.example",
        "office@alice.example",
    }
    assert confirmation.subject == "Change of exams officer confirmed: centre 68999"
    assert (
        "The board has confirmed the change of exams officer: the centre's new exams "
        "officer is Eve Alicenewofficer (eve@alice.example)." in confirmation.body
    )
    assert "A Portal invite has been sent to eve@alice.example." in confirmation.body
    assert reverse("portal:eo_change_status", args=[change.public_id]) in (
        html_of(confirmation)
    )


def test_a_confirmed_public_form_change_also_tells_the_sender(
    two_centres, board_staff, django_capture_on_commit_callbacks
):
    change = ExamsOfficerChange.objects.create(
        source=ExamsOfficerChange.Source.PUBLIC_FORM,
        centre=two_centres.alice_centre,
        centre_number=68999,
        centre_name="Alice Academy",
        new_name="Gwen Newofficer",
        new_email="gwen@alice.example",
        sender_name="Hywel Head",
        sender_email="head@alice.example",
    )

    _confirm(change, board_staff, django_capture_on_commit_callbacks)

    [confirmation] = [m for m in mail.outbox if m.to != ["gwen@alice.example"]]
    assert set(confirmation.to) == {
        "alice@alice.example",
        "gwen@alice.example",
        "head@alice.example",
    }


def test_handing_over_to_a_current_member_still_tells_the_previous_exams_officer(
    two_centres, board_staff, django_capture_on_commit_callbacks
):
    change = two_centres.alice_eo_change
    change.new_name = "Tess Aliceteacher"
    change.new_email = "teacher@alice.example"
    change.save()

    _confirm(change, board_staff, django_capture_on_commit_callbacks)

    [confirmation] = mail.outbox  # no invite: the role moved at once
    assert set(confirmation.to) == {"alice@alice.example", "teacher@alice.example"}
    assert "already has a Portal account at the centre" in confirmation.body


def test_the_confirmation_reaches_each_person_in_their_language(
    two_centres, board_staff, django_capture_on_commit_callbacks
):
    two_centres.alice.language = "cy"
    two_centres.alice.save(update_fields=["language"])

    _confirm(
        two_centres.alice_eo_change, board_staff, django_capture_on_commit_callbacks
    )

    [welsh] = sent_to("alice@alice.example")  # the invite went to Eve alone
    assert welsh.to == ["alice@alice.example"]
    assert language_of(welsh) == "cy"
