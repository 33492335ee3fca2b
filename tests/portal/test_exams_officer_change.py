"""Change of exams officer: the public form, its status page, and the board's queue."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Invite, User
from accounts.services.invites import invite_accept
from audit.models import AuditEvent
from centres.models import Membership
from portal.models import ExamsOfficerChange
from portal.views.centre import PUBLIC_FORM_LIMIT
from tests.factories import UserFactory

FORM_URL = "/centre/exams-officer-change/"
QUEUE_URL = "/board/portal/examsofficerchange/"
Status = ExamsOfficerChange.Status
Source = ExamsOfficerChange.Source


@pytest.fixture(autouse=True)
def private_cache(settings):
    # The throttle counts in the cache; keep these tests off the shared Redis database.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-exams-officer-change",
        }
    }
    cache.clear()


def public_change_form(**changes) -> dict[str, str]:
    data = {
        "centre_number": "68999",
        "centre_name": "Alice Academy",
        "new_name": "Gwen Newofficer",
        "new_email": "gwen@alice.example",
        "sender_name": "Hywel Head",
        "sender_role": "Headteacher",
        "sender_email": "head@alice.example",
        "signed_off": "on",
    }
    data.update(changes)
    return data


def _status_url(change: ExamsOfficerChange) -> str:
    return reverse("portal:eo_change_status", args=[change.public_id])


# --- The public form ---------------------------------------------------------------------


def test_urls_are_under_the_centre_prefix(two_centres):
    change = two_centres.alice_eo_change

    assert reverse("portal:eo_change_public") == FORM_URL
    assert _status_url(change) == f"{FORM_URL}{change.public_id}/"


def test_public_form_needs_no_sign_in_and_asks_for_sign_off(client, db):
    response = client.get(FORM_URL)

    assert response.status_code == 200
    assert (
        "must be signed off by the Head of Centre or a member of the Senior "
        "Leadership Team" in response.text
    )
    for name in (
        "centre_number",
        "centre_name",
        "new_name",
        "new_email",
        "sender_name",
        "sender_role",
        "sender_email",
        "signed_off",
    ):
        assert f'<label for="id_{name}">' in response.text


def test_public_form_takes_only_get_and_post(client, db):
    assert client.put(FORM_URL).status_code == 405


def test_sending_the_form_records_a_request_and_shows_its_status(client, two_centres):
    response = client.post(FORM_URL, public_change_form(new_email="Gwen@Alice.Example"))

    change = ExamsOfficerChange.objects.get(new_email="gwen@alice.example")
    assert response.status_code == 302
    assert response.url == _status_url(change)
    assert change.source == Source.PUBLIC_FORM
    assert change.status == Status.RECEIVED
    assert change.centre == two_centres.alice_centre
    assert change.requested_by is None
    assert (change.sender_name, change.sender_role, change.sender_email) == (
        "Hywel Head",
        "Headteacher",
        "head@alice.example",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EO_CHANGE_REQUESTED)
    assert event.actor is None
    assert event.actor_email == "head@alice.example"
    assert event.detail["change"] == str(change.public_id)

    page = client.get(response.url)
    assert "your request has been received" in page.text
    assert str(change.public_id) in page.text
    assert "Received: awaiting the board&#x27;s security check" in page.text


def test_the_answer_never_says_whether_the_centre_number_exists(client, two_centres):
    def answer(number: str) -> str:
        response = client.post(FORM_URL, public_change_form(centre_number=number))
        change = ExamsOfficerChange.objects.get(public_id=response.url.split("/")[-2])
        page = client.get(response.url).text
        main = page[page.index("<main") : page.index("</main>")]
        main = main.replace(str(change.public_id), "REF")
        return re.sub(r"\d\d/\d\d/\d{4} \d\d:\d\d", "WHEN", main)

    known, unknown = answer("68999"), answer("70001")

    assert known == unknown
    assert "REF" in known
    assert ExamsOfficerChange.objects.get(centre_number=70001).centre is None


@pytest.mark.parametrize("number", ["80000", "-1", "abc"])
def test_centre_number_must_be_from_0_to_79999(client, db, number):
    response = client.post(FORM_URL, public_change_form(centre_number=number))

    assert response.status_code == 200
    assert "Enter a centre number from 0 to 79999." in response.text
    assert '<a href="#id_centre_number">' in response.text
    assert not ExamsOfficerChange.objects.exists()


def test_sign_off_by_head_of_centre_or_slt_is_required(client, db):
    data = public_change_form()
    del data["signed_off"]

    response = client.post(FORM_URL, data)

    assert '<a href="#id_signed_off">' in response.text
    assert not ExamsOfficerChange.objects.exists()


def test_new_exams_officer_needs_a_first_and_last_name(client, db):
    response = client.post(FORM_URL, public_change_form(new_name="Gwen"))

    assert "first name and last name" in response.text
    assert not ExamsOfficerChange.objects.exists()


def test_form_is_throttled_after_ten_requests_an_hour_from_one_address(client, db):
    for _ in range(PUBLIC_FORM_LIMIT):
        assert client.post(FORM_URL, public_change_form()).status_code == 302

    refused = client.post(FORM_URL, public_change_form())
    elsewhere = client.post(FORM_URL, public_change_form(), REMOTE_ADDR="192.0.2.7")

    assert PUBLIC_FORM_LIMIT == 10
    assert refused.status_code == 429
    assert "Several requests have been sent from this connection" in refused.text
    assert elsewhere.status_code == 302
    assert ExamsOfficerChange.objects.count() == PUBLIC_FORM_LIMIT + 1


def test_invalid_attempts_do_not_count_towards_the_throttle(client, db):
    for _ in range(PUBLIC_FORM_LIMIT + 2):
        client.post(FORM_URL, public_change_form(centre_number="99999"))

    assert client.post(FORM_URL, public_change_form()).status_code == 302


# --- The status page ---------------------------------------------------------------------


def test_status_page_shows_only_reference_date_and_status(client, two_centres):
    change = two_centres.alice_eo_change
    change.sender_name = "Senderina Secret"
    change.sender_email = "sender@alice.example"
    change.save()

    response = client.get(_status_url(change))

    assert response.status_code == 200
    assert str(change.public_id) in response.text
    assert change.created_at.astimezone().strftime("%d/%m/%Y") in response.text
    assert "Received: awaiting the board&#x27;s security check" in response.text
    for private in (
        "Alice Academy",
        "68999",
        change.new_name,
        change.new_email,
        "Senderina Secret",
        "sender@alice.example",
    ):
        assert private not in response.text
    assert response["X-Robots-Tag"] == "noindex"


def test_status_page_follows_the_board_decision(client, two_centres):
    change = two_centres.alice_eo_change
    change.status = Status.CONFIRMED
    change.save()

    response = client.get(_status_url(change))

    assert (
        "Confirmed: an invite has been sent to the new exams officer" in response.text
    )


def test_unknown_reference_gives_404(client, db):
    response = client.get(f"{FORM_URL}00000000-0000-4000-8000-000000000000/")

    assert response.status_code == 404


def test_status_page_takes_only_get(client, two_centres):
    assert client.post(_status_url(two_centres.alice_eo_change)).status_code == 405


# --- The board's queue -------------------------------------------------------------------


@pytest.fixture
def board_staff(two_centres) -> User:
    return UserFactory(email="staff@board.example", is_staff=True, is_superuser=True)


@pytest.fixture
def board_client(board_staff) -> Client:
    client = Client()
    client.force_login(board_staff)
    return client


def _act(client: Client, action: str, *changes: ExamsOfficerChange):
    return client.post(
        QUEUE_URL,
        {"action": action, "_selected_action": [change.pk for change in changes]},
        follow=True,
    )


def _checked(change: ExamsOfficerChange) -> ExamsOfficerChange:
    change.status = Status.CHECKED
    change.save()
    return change


def test_queue_lists_requests_with_status_and_source_filters(board_client, two_centres):
    response = board_client.get(
        QUEUE_URL, {"status__exact": "received", "source__exact": "portal"}
    )

    assert response.status_code == 200
    assert two_centres.alice_eo_change.new_name in response.text
    admin = site._registry[ExamsOfficerChange]
    assert admin.list_filter == ["status", "source"]


def test_centre_people_cannot_open_the_queue(alice_client, two_centres):
    response = alice_client.get(QUEUE_URL)

    assert response.status_code == 302
    assert two_centres.alice_eo_change.new_name not in response.text


def test_security_check_moves_a_received_request_to_checked(
    board_client, board_staff, two_centres
):
    change = two_centres.alice_eo_change

    _act(board_client, "security_check_passed", change)

    change.refresh_from_db()
    assert change.status == Status.CHECKED
    assert change.checked_by == board_staff
    assert change.checked_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.EO_CHANGE_DECIDED)
    assert event.detail["before"] == "received"
    assert event.detail["after"] == "checked"
    assert event.actor_email == "staff@board.example"


def test_confirm_invites_the_new_exams_officer(
    board_client,
    board_staff,
    two_centres,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    change = _checked(two_centres.alice_eo_change)

    with django_capture_on_commit_callbacks(execute=True):
        response = _act(board_client, "confirm_and_invite", change)

    change.refresh_from_db()
    assert change.status == Status.CONFIRMED
    assert change.decided_by == board_staff
    assert change.decided_at is not None
    invite = Invite.objects.get(email="eve@alice.example")
    assert invite.centre == two_centres.alice_centre
    assert invite.account_type == Membership.AccountType.EXAMS_OFFICER
    assert (invite.first_name, invite.last_name) == ("Eve", "Alicenewofficer")
    assert invite.invited_by == change.decided_by
    invite_message, confirmation = mailoutbox
    assert invite_message.to == ["eve@alice.example"]
    assert "/accounts/invite/" in invite_message.body
    assert set(confirmation.to) == {"alice@alice.example", "eve@alice.example"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.EO_CHANGE_DECIDED)
    assert event.detail["invite"] == str(invite.public_id)
    assert "1 request confirmed; the new exams officer is invited" in response.text


def test_accepting_the_invite_makes_them_the_exams_officer(
    board_client, two_centres, mailoutbox, django_capture_on_commit_callbacks
):
    change = _checked(two_centres.alice_eo_change)
    with django_capture_on_commit_callbacks(execute=True):
        _act(board_client, "confirm_and_invite", change)
    link = re.search(r"/accounts/invite/([\w-]+)/", mailoutbox[0].body)
    assert link is not None

    newcomer = invite_accept(token=link.group(1), password="a-long-enough-password-1")

    centre = two_centres.alice_centre
    centre.refresh_from_db()
    assert centre.exams_officer_name == "Eve Alicenewofficer"
    assert centre.exams_officer_email == "eve@alice.example"
    assert Membership.objects.get(centre=centre, user=newcomer).account_type == (
        Membership.AccountType.EXAMS_OFFICER
    )
    assert Membership.objects.get(
        centre=centre, user=two_centres.alice
    ).account_type == (Membership.AccountType.ADMIN)


def test_confirming_before_the_security_check_is_refused(board_client, two_centres):
    change = two_centres.alice_eo_change

    response = _act(board_client, "confirm_and_invite", change)

    change.refresh_from_db()
    assert change.status == Status.RECEIVED
    assert not Invite.objects.filter(email=change.new_email).exists()
    assert "only a request that passed the security check can be confirmed" in (
        response.text
    )
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.EO_CHANGE_DECIDED
    ).exists()


def test_confirming_needs_a_matched_centre(board_client, two_centres):
    change = ExamsOfficerChange.objects.create(
        source=Source.PUBLIC_FORM,
        status=Status.CHECKED,
        centre_number=70001,
        centre_name="Unknown School",
        new_name="Nia Nobody",
        new_email="nia@unknown.example",
    )

    response = _act(board_client, "confirm_and_invite", change)

    change.refresh_from_db()
    assert change.status == Status.CHECKED
    assert "not matched to a centre yet" in response.text
    assert not Invite.objects.filter(email="nia@unknown.example").exists()


def test_confirming_a_current_member_hands_the_role_over_without_an_invite(
    board_client, two_centres
):
    change = _checked(two_centres.alice_eo_change)
    change.new_name = "Tess Aliceteacher"
    change.new_email = "TEACHER@alice.example"
    change.save()

    _act(board_client, "confirm_and_invite", change)

    change.refresh_from_db()
    centre = two_centres.alice_centre
    centre.refresh_from_db()
    assert change.status == Status.CONFIRMED
    assert not Invite.objects.filter(email__iexact="teacher@alice.example").exists()
    roles = dict(
        Membership.objects.filter(centre=centre).values_list(
            "user__email", "account_type"
        )
    )
    assert roles["teacher@alice.example"] == Membership.AccountType.EXAMS_OFFICER
    assert roles["alice@alice.example"] == Membership.AccountType.ADMIN
    assert (centre.exams_officer_name, centre.exams_officer_email) == (
        "Tess Aliceteacher",
        "teacher@alice.example",
    )


def test_security_check_twice_is_refused(board_client, two_centres):
    change = _checked(two_centres.alice_eo_change)

    response = _act(board_client, "security_check_passed", change)

    change.refresh_from_db()
    assert change.status == Status.CHECKED
    assert change.checked_by is None
    assert "only a received request can pass the security check" in response.text


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.CHECKED])
def test_reject_closes_an_open_request(board_client, board_staff, two_centres, status):
    change = two_centres.alice_eo_change
    change.status = status
    change.save()

    _act(board_client, "reject", change)

    change.refresh_from_db()
    assert change.status == Status.REJECTED
    assert change.decided_by == board_staff
    event = AuditEvent.objects.get(action=AuditEvent.Action.EO_CHANGE_DECIDED)
    assert (event.detail["before"], event.detail["after"]) == (status, "rejected")


def test_a_confirmed_request_cannot_be_rejected(board_client, two_centres):
    change = two_centres.alice_eo_change
    change.status = Status.CONFIRMED
    change.save()

    response = _act(board_client, "reject", change)

    change.refresh_from_db()
    assert change.status == Status.CONFIRMED
    assert "only an open request can be rejected" in response.text


def test_board_chooses_the_centre_only_for_open_public_requests(
    rf, board_client, two_centres
):
    admin = site._registry[ExamsOfficerChange]
    public = ExamsOfficerChange(source=Source.PUBLIC_FORM, status=Status.RECEIVED)
    decided = ExamsOfficerChange(source=Source.PUBLIC_FORM, status=Status.REJECTED)
    request = rf.get(QUEUE_URL)

    assert "centre" not in admin.get_readonly_fields(request, public)
    assert "centre" in admin.get_readonly_fields(request, decided)
    assert "centre" in admin.get_readonly_fields(request, two_centres.alice_eo_change)
    assert "status" in admin.get_readonly_fields(request, public)


def test_behind_the_balancer_the_form_is_throttled_per_client(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    balancer = {"REMOTE_ADDR": "10.0.0.5"}
    for _ in range(PUBLIC_FORM_LIMIT):
        client.post(
            FORM_URL,
            public_change_form(),
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **balancer,
        )

    refused = client.post(
        FORM_URL, public_change_form(), HTTP_X_FORWARDED_FOR="203.0.113.9", **balancer
    )
    elsewhere = client.post(
        FORM_URL, public_change_form(), HTTP_X_FORWARDED_FOR="198.51.100.7", **balancer
    )

    assert refused.status_code == 429
    assert elsewhere.status_code == 302


def test_a_request_made_in_welsh_invites_the_new_exams_officer_in_welsh(
    client, board_client, two_centres, mailoutbox, django_capture_on_commit_callbacks
):
    client.post(FORM_URL, public_change_form(), headers={"Accept-Language": "cy"})
    change = ExamsOfficerChange.objects.get(new_email="gwen@alice.example")

    with django_capture_on_commit_callbacks(execute=True):
        _act(board_client, "confirm_and_invite", _checked(change))

    change.refresh_from_db()
    assert (change.language, change.status) == ("cy", Status.CONFIRMED)
    assert Invite.objects.get(email="gwen@alice.example").language == "cy"


def test_a_request_made_in_english_invites_in_english(
    client, board_client, two_centres, django_capture_on_commit_callbacks
):
    client.post(FORM_URL, public_change_form(), headers={"Accept-Language": "en"})
    change = ExamsOfficerChange.objects.get(new_email="gwen@alice.example")

    with django_capture_on_commit_callbacks(execute=True):
        _act(board_client, "confirm_and_invite", _checked(change))

    assert Invite.objects.get(email="gwen@alice.example").language == "en"
