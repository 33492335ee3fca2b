"""Centre Users list, Invite User, resend and revoke, and the centre audit log."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invite
from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import Membership
from tests.factories import PASSWORD, MembershipFactory, UserFactory

LIST = reverse("accounts:centre_users")
INVITE = reverse("accounts:invite_user")
AUDIT = reverse("accounts:centre_audit")
# The admin's own password, asked for again before an invite is revoked.
CONFIRMED = {"password": PASSWORD}


def _resend(invite: Invite) -> str:
    return reverse("accounts:invite_resend", args=[invite.public_id])


def _revoke(invite: Invite) -> str:
    return reverse("accounts:invite_revoke", args=[invite.public_id])


def _make_invite(centre, email: str, **fields) -> Invite:
    now = timezone.now()
    defaults = {
        "first_name": "Nia",
        "last_name": "Newcomer",
        "account_type": Membership.AccountType.USER,
        "token_hash": f"{email:0>64}"[-64:],
        "sent_at": now,
        "expires_at": now + timedelta(days=7),
    }
    return Invite.objects.create(centre=centre, email=email, **{**defaults, **fields})


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def teacher_client(two_centres) -> Client:
    return _client_for(two_centres.alice_teacher.user)


def _invite_data(**overrides) -> dict[str, str]:
    return {
        "first_name": "Joe",
        "last_name": "Bloggs",
        "email": "j.bloggs@alice.example",
        "language": "cy",
        "account_type": Membership.AccountType.USER,
        **overrides,
    }


# --- The list ------------------------------------------------------------------------


def test_list_shows_the_centres_accounts_and_pending_invites(alice_client, two_centres):
    response = alice_client.get(LIST)

    assert response.status_code == 200
    text = response.text
    assert "alice@alice.example" in text
    assert "teacher@alice.example" in text
    assert "invitee@alice.example" in text
    assert "Ivy Aliceinvitee" in text
    assert "Invite sent" in text
    assert "charlie@charlie.example" not in text


def test_list_shows_account_type_last_sign_in_and_status(alice_client, two_centres):
    teacher = two_centres.alice_teacher.user
    teacher.last_login = datetime(2025, 9, 16, 15, 3, tzinfo=ZoneInfo("Europe/London"))
    teacher.save(update_fields=["last_login"])

    response = alice_client.get(LIST)

    row = _row_for(response.text, "teacher@alice.example")
    assert "User" in row
    assert "16 Sep 2025 15:03" in row
    assert "Active" in row
    assert "Exams officer" in _row_for(response.text, "alice@alice.example")


def test_an_expired_invite_is_listed_as_expired(alice_client, two_centres):
    past = timezone.now() - timedelta(days=8)
    _make_invite(
        two_centres.alice_centre,
        "late@alice.example",
        sent_at=past,
        expires_at=past + timedelta(days=7),
    )

    response = alice_client.get(LIST)

    assert "Expired" in _row_for(response.text, "late@alice.example")


def test_accepted_and_revoked_invites_are_not_listed(alice_client, two_centres):
    now = timezone.now()
    _make_invite(two_centres.alice_centre, "used@alice.example", accepted_at=now)
    _make_invite(two_centres.alice_centre, "withdrawn@alice.example", revoked_at=now)

    response = alice_client.get(LIST)

    assert "used@alice.example" not in response.text
    assert "withdrawn@alice.example" not in response.text


def test_removed_accounts_are_not_listed(alice_client, two_centres):
    two_centres.alice_teacher.is_active = False
    two_centres.alice_teacher.save(update_fields=["is_active"])

    response = alice_client.get(LIST)

    assert "teacher@alice.example" not in response.text


def test_filter_by_part_of_an_email_works_without_javascript(alice_client, two_centres):
    response = alice_client.get(LIST, {"q": "TEACHER@alice"})

    assert "teacher@alice.example" in response.text
    assert "invitee@alice.example" not in response.text
    assert "<td>alice@alice.example</td>" not in response.text


def test_filter_by_full_name_finds_invites_too(alice_client, two_centres):
    response = alice_client.get(LIST, {"q": "ivy aliceinvitee"})

    assert "invitee@alice.example" in response.text
    assert "teacher@alice.example" not in response.text
    assert "1 user" in response.text


def test_a_filter_that_matches_nobody_says_so(alice_client, two_centres):
    response = alice_client.get(LIST, {"q": "nobody-by-this-name"})

    assert "No users match the filter." in response.text


def test_htmx_filter_gets_only_the_results(alice_client, two_centres):
    response = alice_client.get(LIST, {"q": "teacher"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="user-results">')
    assert "<html" not in response.text
    assert "teacher@alice.example" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(alice_client, two_centres):
    response = alice_client.get(
        LIST,
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.text


def test_list_makes_the_same_queries_for_few_and_many_users(alice_client, two_centres):
    centre = two_centres.alice_centre

    def queries_with(count: int) -> int:
        while Membership.objects.filter(centre=centre).count() < count:
            index = Membership.objects.filter(centre=centre).count()
            MembershipFactory(centre=centre)
            _make_invite(centre, f"pending{index}@alice.example")
        alice_client.get(LIST)  # the session's first write is not the page's cost
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.get(LIST)
        assert response.status_code == 200
        return len(captured)

    assert queries_with(3) == queries_with(30)


def test_only_other_accounts_than_yours_and_the_exams_officers_can_be_removed(
    alice_client, two_centres
):
    admin = MembershipFactory(
        centre=two_centres.alice_centre,
        account_type=Membership.AccountType.ADMIN,
        user=UserFactory(email="admin@alice.example"),
    )

    response = _client_for(admin.user).get(LIST)

    text = response.text
    remove = "Remove user"
    assert remove in _row_for(text, "teacher@alice.example")
    assert remove not in _row_for(text, "admin@alice.example")
    assert remove not in _row_for(text, "alice@alice.example")


def test_list_refuses_post(alice_client, two_centres):
    assert alice_client.post(LIST).status_code == 405


def test_list_needs_sign_in(client, two_centres):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


# --- Who may use these pages -----------------------------------------------------------


def _every_page(two_centres) -> list[tuple[str, str]]:
    invite, member = two_centres.alice_invite, two_centres.alice_teacher
    return [
        ("get", LIST),
        ("get", INVITE),
        ("post", _resend(invite)),
        ("post", _revoke(invite)),
        ("get", reverse("accounts:member_access", args=[member.public_id])),
        ("get", reverse("accounts:member_remove", args=[member.public_id])),
        ("post", reverse("accounts:member_remove", args=[member.public_id])),
        ("get", AUDIT),
    ]


def test_a_user_account_is_refused_every_centre_users_page(teacher_client, two_centres):
    statuses = {
        url: getattr(teacher_client, method)(url).status_code
        for method, url in _every_page(two_centres)
    }

    assert set(statuses.values()) == {403}, statuses
    assert Membership.objects.get(pk=two_centres.alice_teacher.pk).is_active
    assert Invite.objects.get(pk=two_centres.alice_invite.pk).revoked_at is None


def test_every_centre_users_page_needs_sign_in(client, two_centres):
    for method, url in _every_page(two_centres):
        response = getattr(client, method)(url)

        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:sign_in"))
    assert Invite.objects.get(pk=two_centres.alice_invite.pk).revoked_at is None


def test_an_admin_account_may_use_every_centre_users_page(two_centres):
    admin = MembershipFactory(
        centre=two_centres.alice_centre, account_type=Membership.AccountType.ADMIN
    )
    client = _client_for(admin.user)

    statuses = [
        getattr(client, method)(url).status_code
        for method, url in _every_page(two_centres)
        if method == "get"
    ]

    assert statuses == [200] * len(statuses)


def test_another_centres_invite_cannot_be_resent_or_revoked(
    charlie_client, two_centres
):
    invite = two_centres.alice_invite

    assert charlie_client.post(_resend(invite)).status_code == 404
    assert charlie_client.post(_revoke(invite)).status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None
    assert invite.token_hash == "0" * 64


def test_the_home_page_links_admins_to_centre_users(alice_client, teacher_client):
    link = f'href="{LIST}"'

    assert link in alice_client.get(reverse("portal:home")).text
    assert link not in teacher_client.get(reverse("portal:home")).text


# --- Invite User -----------------------------------------------------------------------


def test_invite_form_describes_each_account_type(alice_client, two_centres):
    response = alice_client.get(INVITE)

    text = response.text
    assert "Invite a new user to centre 68999." in text
    assert (
        "Admin accounts have the same access as examination officer accounts." in text
    )
    assert "We recommend this type of account for teachers." in text
    for field in ("first_name", "last_name", "email", "language"):
        assert f'<label for="id_{field}">' in text
    assert 'value="exams_officer"' not in text


def test_sending_an_invite_emails_it_and_returns_to_the_list(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(INVITE, _invite_data(), follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert "Invite sent to j.bloggs@alice.example." in response.text
    assert "Joe Bloggs" in _row_for(response.text, "j.bloggs@alice.example")
    invite = Invite.objects.get(email="j.bloggs@alice.example")
    assert invite.centre == two_centres.alice_centre
    assert invite.language == "cy"
    assert invite.account_type == Membership.AccountType.USER
    assert invite.invited_by == two_centres.alice
    assert [message.to for message in mail.outbox] == [["j.bloggs@alice.example"]]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.INVITE_SENT, centre=two_centres.alice_centre
    ).exists()


def test_an_invite_goes_to_the_active_centre_whatever_the_post_says(
    alice_client, two_centres
):
    alice_client.post(
        INVITE, _invite_data(centre=two_centres.charlie_centre.pk, invited_by="")
    )

    invite = Invite.objects.get(email="j.bloggs@alice.example")
    assert invite.centre == two_centres.alice_centre
    assert invite.invited_by == two_centres.alice


def test_inviting_someone_who_already_has_an_account_here_is_a_form_error(
    alice_client, two_centres
):
    response = alice_client.post(INVITE, _invite_data(email="TEACHER@alice.example"))

    assert response.status_code == 200
    assert "already has an account at this centre" in response.text
    assert 'href="#id_email"' in response.text
    assert not Invite.objects.filter(email__iexact="teacher@alice.example").exists()


def test_an_incomplete_invite_lists_every_problem_linked_to_its_field(
    alice_client, two_centres
):
    response = alice_client.post(
        INVITE, _invite_data(first_name="", email="not-an-address", account_type="")
    )

    assert response.status_code == 200
    summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_first_name"' in summary
    assert 'href="#id_email"' in summary
    assert 'href="#id_account_type_0"' in summary
    assert not Invite.objects.filter(email="not-an-address").exists()


def test_an_exams_officer_account_cannot_be_invited_from_this_form(
    alice_client, two_centres
):
    response = alice_client.post(
        INVITE, _invite_data(account_type=Membership.AccountType.EXAMS_OFFICER)
    )

    assert response.status_code == 200
    assert not Invite.objects.filter(email="j.bloggs@alice.example").exists()


def test_invite_form_refuses_other_methods(alice_client, two_centres):
    assert alice_client.put(INVITE).status_code == 405


# --- Resend and revoke -----------------------------------------------------------------


def test_resending_an_invite_gives_it_a_new_link_and_seven_more_days(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    invite = two_centres.alice_invite
    invite.expires_at = timezone.now() - timedelta(days=1)
    invite.save(update_fields=["expires_at"])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(_resend(invite), follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert "A new invite was sent to invitee@alice.example" in response.text
    invite.refresh_from_db()
    assert invite.token_hash != "0" * 64
    assert invite.expires_at > timezone.now() + timedelta(days=6)
    assert "Invite sent" in _row_for(response.text, "invitee@alice.example")
    assert len(mail.outbox) == 1


def test_a_revoked_invite_cannot_be_resent(alice_client, two_centres):
    invite = two_centres.alice_invite
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])

    response = alice_client.post(_resend(invite), follow=True)

    assert "already been used or revoked" in response.text
    invite.refresh_from_db()
    assert invite.token_hash == "0" * 64


def test_revoking_an_invite_stops_its_link_and_takes_it_off_the_list(
    alice_client, two_centres
):
    invite = two_centres.alice_invite

    response = alice_client.post(_revoke(invite), CONFIRMED, follow=True)

    assert "The invite for invitee@alice.example was revoked." in response.text
    assert "Ivy Aliceinvitee" not in response.text
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.INVITE_REVOKED, target="invitee@alice.example"
    ).exists()


def test_revoking_asks_for_confirmation_with_the_admins_password(
    alice_client, two_centres
):
    invite = two_centres.alice_invite

    page = alice_client.get(_revoke(invite))
    wrong = alice_client.post(_revoke(invite), {"password": "not-my-password"})

    assert page.status_code == 200
    assert "Revoke the invite for <strong>Ivy Aliceinvitee</strong>" in page.text
    assert 'autocomplete="current-password"' in page.text
    assert wrong.status_code == 200
    assert "Your password is not right" in wrong.text
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_resend_is_post_only(alice_client, two_centres):
    assert alice_client.get(_resend(two_centres.alice_invite)).status_code == 405


def test_an_invite_to_an_address_with_one_waiting_keeps_the_waiting_details(
    alice_client, two_centres
):
    waiting = two_centres.alice_invite
    changed = _invite_data(
        email="Invitee@alice.example", first_name="Someone", language="cy"
    )

    response = alice_client.post(INVITE, changed)

    assert response.status_code == 200
    assert "An invite to invitee@alice.example is already waiting" in response.text
    assert "Replace the waiting invite with these details" in response.text
    waiting.refresh_from_db()
    assert waiting.revoked_at is None
    assert waiting.first_name == "Ivy"
    assert Invite.objects.filter(email__iexact="invitee@alice.example").count() == 1


def test_the_waiting_invite_is_replaced_only_when_the_admin_ticks_replace(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    waiting = two_centres.alice_invite
    changed = _invite_data(
        email="invitee@alice.example", first_name="Someone", replace_pending="on"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(INVITE, changed, follow=True)

    assert "Invite sent to invitee@alice.example." in response.text
    waiting.refresh_from_db()
    assert waiting.revoked_at is not None
    newest = Invite.objects.get(email="invitee@alice.example", revoked_at=None)
    assert newest.first_name == "Someone"


# --- Audit log -------------------------------------------------------------------------


def test_audit_log_shows_who_did_what_when_and_from_where(alice_client, two_centres):
    audit_record(
        action=AuditEvent.Action.ACCESS_CHANGED,
        actor=two_centres.alice,
        centre=two_centres.alice_centre,
        target="teacher@alice.example",
        request=RequestFactory().get("/", REMOTE_ADDR="192.0.2.7"),
    )
    audit_record(
        action=AuditEvent.Action.USER_REMOVED,
        actor=two_centres.charlie,
        centre=two_centres.charlie_centre,
        target="someone@charlie.example",
    )

    response = alice_client.get(AUDIT)

    row = _row_for(response.text, "teacher@alice.example")
    assert "alice@alice.example" in row
    assert "Access changed" in row
    assert "192.0.2.7" in row
    assert "someone@charlie.example" not in response.text


def test_audit_log_is_newest_first_fifty_to_a_page(alice_client, two_centres):
    for number in range(51):
        audit_record(
            action=AuditEvent.Action.INVITE_SENT,
            centre=two_centres.alice_centre,
            target=f"person{number:02d}@alice.example",
        )

    first = alice_client.get(AUDIT).text
    second = alice_client.get(AUDIT, {"page": 2}).text

    assert first.index("person50@") < first.index("person49@")
    assert "person00@" not in first
    assert "person00@" in second
    assert "Page 2 of 2" in second


def test_audit_log_makes_the_same_queries_for_one_and_fifty_events(
    alice_client, two_centres
):
    def queries_with(count: int) -> int:
        while (
            AuditEvent.objects.filter(centre=two_centres.alice_centre).count() < count
        ):
            audit_record(
                action=AuditEvent.Action.INVITE_SENT,
                actor=two_centres.alice,
                centre=two_centres.alice_centre,
            )
        alice_client.get(AUDIT)  # the session's first write is not the page's cost
        with CaptureQueriesContext(connection) as captured:
            alice_client.get(AUDIT)
        return len(captured)

    assert queries_with(1) == queries_with(50)


def _row_for(html: str, marker: str) -> str:
    """The <tr> of a table that mentions `marker` (fails the test when there is none)."""
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if marker in row:
            return row
    raise AssertionError(f"no table row mentions {marker!r}")
