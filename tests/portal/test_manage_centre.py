"""Manage Centre: exams officers and Admin accounts keep their centre's details."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from centres.models import Membership
from portal.models import ExamsOfficerChange
from tests.conftest import make_member
from tests.factories import UserFactory

URL = "/centre/"
Status = ExamsOfficerChange.Status


@pytest.fixture
def alice_centre(two_centres):
    centre = two_centres.alice_centre
    centre.exams_officer_name = "Alice Aliceofficer"
    centre.exams_officer_email = "alice@alice.example"
    centre.head_of_centre = "Hywel Head"
    centre.telephone = "029 2026 5000"
    centre.post_results_email = ""
    centre.save()
    return centre


def _form(centre, **changes) -> dict[str, str]:
    data = {
        "exams_officer_name": centre.exams_officer_name,
        "exams_officer_email": centre.exams_officer_email,
        "head_of_centre": centre.head_of_centre,
        "post_results_email": centre.post_results_email,
    }
    data.update(changes)
    return data


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_url_is_the_centre_page():
    assert reverse("portal:manage_centre") == URL


def test_exams_officer_sees_account_eo_and_centre_details(alice_client, alice_centre):
    response = alice_client.get(URL)

    assert response.status_code == 200
    assert "Account Details: (68999) - Exams officer" in response.text
    assert 'value="Alice Aliceofficer"' in response.text
    assert 'value="alice@alice.example"' in response.text
    assert 'value="Hywel Head"' in response.text
    assert "Email Address (if different from EO Email)" in response.text
    assert (
        "For receiving email alerts regarding review of marking and clerical error "
        "requests." in response.text
    )


def test_telephone_is_shown_read_only_to_be_updated_via_ncn(alice_client, alice_centre):
    response = alice_client.get(URL)

    assert "Telephone Number (Update via NCN):" in response.text
    assert "029 2026 5000" in response.text
    assert 'name="telephone"' not in response.text


def test_every_input_has_a_label(alice_client, alice_centre):
    response = alice_client.get(URL)

    for name in (
        "exams_officer_name",
        "exams_officer_email",
        "head_of_centre",
        "post_results_email",
    ):
        assert f'<label for="id_{name}">' in response.text


def test_eo_details_say_a_change_goes_to_the_board(alice_client, alice_centre):
    response = alice_client.get(URL)

    assert "sends a change of exams officer request to the board" in response.text


def test_admin_account_can_manage_the_centre(two_centres, alice_centre):
    admin = make_member(alice_centre, Membership.AccountType.ADMIN)

    response = _client_for(admin).get(URL)

    assert response.status_code == 200
    assert "Account Details: (68999) - Admin" in response.text


def test_user_account_gets_403(two_centres, alice_centre):
    teacher = two_centres.alice_teacher.user

    get = _client_for(teacher).get(URL)
    post = _client_for(teacher).post(URL, _form(alice_centre, head_of_centre="X Y"))

    assert get.status_code == 403
    assert post.status_code == 403
    alice_centre.refresh_from_db()
    assert alice_centre.head_of_centre == "Hywel Head"


def test_sign_in_is_required(client, alice_centre):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


def test_board_staff_without_a_centre_get_the_no_centre_page(two_centres):
    staff = UserFactory(is_staff=True)

    response = _client_for(staff).get(URL)

    assert response.status_code == 403
    assert "This page is for centre staff" in response.text


def test_other_methods_are_refused(alice_client, alice_centre):
    assert alice_client.put(URL).status_code == 405


def test_centre_details_are_saved_with_before_and_after_in_the_audit(
    alice_client, two_centres, alice_centre
):
    response = alice_client.post(
        URL,
        _form(
            alice_centre,
            head_of_centre="  Non   Newhead ",
            post_results_email="Results@Alice.Example",
        ),
        follow=True,
    )

    assert "The centre details have been saved." in response.text
    alice_centre.refresh_from_db()
    assert alice_centre.head_of_centre == "Non Newhead"
    assert alice_centre.post_results_email == "results@alice.example"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CENTRE_CHANGED)
    assert event.actor == two_centres.alice
    assert event.centre == alice_centre
    assert event.detail == {
        "before": {"head_of_centre": "Hywel Head", "post_results_email": ""},
        "after": {
            "head_of_centre": "Non Newhead",
            "post_results_email": "results@alice.example",
        },
    }


def test_extra_fields_such_as_telephone_and_number_are_ignored(
    alice_client, alice_centre
):
    alice_client.post(
        URL,
        _form(
            alice_centre,
            head_of_centre="Non Newhead",
            telephone="0800 000000",
            number="12345",
            name="Renamed Academy",
            exams_officer_name_confirmed="yes",
        ),
    )

    alice_centre.refresh_from_db()
    assert alice_centre.head_of_centre == "Non Newhead"
    assert alice_centre.telephone == "029 2026 5000"
    assert alice_centre.number == 68999
    assert alice_centre.name == "Alice Academy"


def test_saving_unchanged_details_writes_nothing(alice_client, alice_centre):
    response = alice_client.post(URL, _form(alice_centre), follow=True)

    assert "Nothing was changed." in response.text
    assert not AuditEvent.objects.filter(
        action__in=[
            AuditEvent.Action.CENTRE_CHANGED,
            AuditEvent.Action.EO_CHANGE_REQUESTED,
        ]
    ).exists()


def test_changing_the_exams_officer_raises_a_request_not_a_record_change(
    alice_client, two_centres, alice_centre
):
    response = alice_client.post(
        URL,
        _form(
            alice_centre,
            exams_officer_name="Gwen Newofficer",
            exams_officer_email="Gwen@Alice.Example",
        ),
        follow=True,
    )

    alice_centre.refresh_from_db()
    assert alice_centre.exams_officer_name == "Alice Aliceofficer"
    assert alice_centre.exams_officer_email == "alice@alice.example"
    change = ExamsOfficerChange.objects.get(new_email="gwen@alice.example")
    assert change.source == ExamsOfficerChange.Source.PORTAL
    assert change.status == Status.RECEIVED
    assert change.centre == alice_centre
    assert change.centre_number == 68999
    assert change.new_name == "Gwen Newofficer"
    assert change.requested_by == two_centres.alice
    event = AuditEvent.objects.get(action=AuditEvent.Action.EO_CHANGE_REQUESTED)
    assert event.centre == alice_centre
    assert event.detail["change"] == str(change.public_id)
    assert event.detail["after"] == {
        "exams_officer_name": "Gwen Newofficer",
        "exams_officer_email": "gwen@alice.example",
    }
    assert "has been sent to the board" in response.text
    assert "Received: awaiting the board&#x27;s security check" in response.text
    assert "send an invite to the new exams officer" in response.text


def test_a_different_change_replaces_the_earlier_open_request(
    alice_client, two_centres, alice_centre
):
    earlier = two_centres.alice_eo_change

    alice_client.post(
        URL,
        _form(
            alice_centre,
            exams_officer_name="Gwen Newofficer",
            exams_officer_email="gwen@alice.example",
        ),
    )

    earlier.refresh_from_db()
    assert earlier.status == Status.REJECTED
    assert earlier.decided_by == two_centres.alice
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EO_CHANGE_DECIDED, detail__reason="replaced"
    ).exists()
    assert (
        ExamsOfficerChange.objects.filter(
            centre=alice_centre, status__in=[Status.RECEIVED, Status.CHECKED]
        ).count()
        == 1
    )


def test_sending_the_same_change_again_raises_no_second_request(
    alice_client, two_centres, alice_centre
):
    pending = two_centres.alice_eo_change

    response = alice_client.post(
        URL,
        _form(
            alice_centre,
            exams_officer_name=pending.new_name,
            exams_officer_email=pending.new_email,
        ),
        follow=True,
    )

    assert ExamsOfficerChange.objects.filter(centre=alice_centre).count() == 1
    pending.refresh_from_db()
    assert pending.status == Status.RECEIVED
    assert "already with the board" in response.text


def test_public_form_requests_are_left_for_the_board(alice_client, alice_centre):
    public = ExamsOfficerChange.objects.create(
        source=ExamsOfficerChange.Source.PUBLIC_FORM,
        centre=alice_centre,
        centre_number=68999,
        centre_name="Alice Academy",
        new_name="Pub Lic",
        new_email="public@alice.example",
    )

    alice_client.post(
        URL,
        _form(
            alice_centre,
            exams_officer_name="Gwen Newofficer",
            exams_officer_email="gwen@alice.example",
        ),
    )

    public.refresh_from_db()
    assert public.status == Status.RECEIVED


def test_new_exams_officer_needs_a_first_and_last_name(alice_client, alice_centre):
    response = alice_client.post(
        URL,
        _form(alice_centre, exams_officer_name="Gwen", head_of_centre="Non Newhead"),
    )

    assert response.status_code == 200
    assert 'class="error-summary"' in response.text
    assert '<a href="#id_exams_officer_name">' in response.text
    assert not ExamsOfficerChange.objects.filter(new_name="Gwen").exists()
    alice_centre.refresh_from_db()
    assert alice_centre.head_of_centre == "Hywel Head"


def test_invalid_email_is_reported_in_the_error_summary(alice_client, alice_centre):
    response = alice_client.post(
        URL, _form(alice_centre, post_results_email="not-an-address")
    )

    assert '<a href="#id_post_results_email">' in response.text
    alice_centre.refresh_from_db()
    assert alice_centre.post_results_email == ""


def test_another_centres_requests_are_not_listed(charlie_client, two_centres):
    response = charlie_client.get(URL)

    assert response.status_code == 200
    assert "Account Details: (12345) - Exams officer" in response.text
    assert two_centres.alice_eo_change.new_name not in response.text
    assert "Alice Academy" not in response.text


def test_home_page_links_to_manage_centre_for_admins_only(two_centres, alice_centre):
    teacher = two_centres.alice_teacher.user

    for_officer = _client_for(two_centres.alice).get("/")
    for_teacher = _client_for(teacher).get("/")

    assert f'href="{URL}"' in for_officer.text
    assert f'href="{URL}"' not in for_teacher.text
