"""Signing out, and a board deactivating an account, end the person's sessions on every
device; pages that poll in the background do not keep an idle session alive."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LAST_SEEN
from accounts.services.sessions import sessions_end_everywhere
from audit.models import AuditEvent
from common.polling import BACKGROUND_POLL_HEADER
from tests.accounts.mfa_helpers import give_authenticator, next_code, sign_in
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("portal:home")).status_code == 200
    return client


def _is_signed_out(client: Client) -> bool:
    response = client.get(reverse("portal:home"))
    return response.status_code == 302 and response.url.startswith(
        reverse("accounts:sign_in")
    )


def test_signing_out_ends_the_session_on_every_other_device(two_centres):
    alice = two_centres.alice
    laptop, phone = _signed_in(alice), _signed_in(alice)

    laptop.post(reverse("accounts:sign_out"))

    assert _is_signed_out(laptop)
    assert _is_signed_out(phone)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGN_OUT, actor=alice
    ).exists()


def test_signing_out_leaves_other_peoples_sessions_alone(two_centres):
    alice = _signed_in(two_centres.alice)
    teacher = _signed_in(two_centres.alice_teacher.user)

    alice.post(reverse("accounts:sign_out"))

    assert not _is_signed_out(teacher)


def test_signing_in_again_after_signing_out_everywhere_works(two_centres):
    alice = two_centres.alice
    totp = give_authenticator(alice)
    _signed_in(alice).post(reverse("accounts:sign_out"))

    again = Client()
    sign_in(again, alice.email, next_code(totp))

    assert not _is_signed_out(again)


def test_a_deactivated_account_is_signed_out_at_its_next_request(two_centres):
    teacher = two_centres.alice_teacher.user
    client = _signed_in(teacher)

    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    assert _is_signed_out(client)


def test_board_deactivation_ends_sessions_so_reactivating_does_not_revive_them(
    two_centres,
):
    teacher = two_centres.alice_teacher.user
    client = _signed_in(teacher)
    board = Client()
    board.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_user_change", args=[teacher.pk])
    form = {
        "email": teacher.email,
        "first_name": teacher.first_name,
        "last_name": teacher.last_name,
        "language": teacher.language,
        "date_joined_0": timezone.localtime(teacher.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(teacher.date_joined).strftime("%H:%M:%S"),
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }

    response = board.post(url, form)
    assert response.status_code == 302, response.text[:2000]
    teacher.refresh_from_db()
    assert not teacher.is_active
    teacher.is_active = True
    teacher.save(update_fields=["is_active"])

    assert _is_signed_out(client)


def test_ending_sessions_keeps_the_current_object_in_step(two_centres):
    alice = two_centres.alice
    before = alice.get_session_auth_hash()

    sessions_end_everywhere(user=alice)

    assert alice.get_session_auth_hash() != before
    alice.refresh_from_db()
    assert alice.get_session_auth_hash() != before


def _age(client: Client, seconds: int) -> int:
    session = client.session
    session[LAST_SEEN] = int(timezone.now().timestamp()) - seconds
    session.save()
    return session[LAST_SEEN]


def test_background_polls_do_not_count_as_activity(alice_client):
    alice_client.get(reverse("portal:home"))
    seen = _age(alice_client, 19 * 60)

    poll = alice_client.get(
        reverse("portal:home"),
        headers={"HX-Request": "true", BACKGROUND_POLL_HEADER: "true"},
    )

    assert poll.status_code == 200
    assert alice_client.session[LAST_SEEN] == seen


def test_a_page_left_polling_still_times_out_after_twenty_minutes(
    alice_client, settings
):
    alice_client.get(reverse("portal:home"))
    _age(
        alice_client, settings.SESSION_IDLE_SECONDS + settings.SESSION_TOUCH_SECONDS + 1
    )

    poll = alice_client.get(
        reverse("portal:home"),
        headers={"HX-Request": "true", BACKGROUND_POLL_HEADER: "true"},
    )

    assert poll.headers["HX-Redirect"].startswith(reverse("accounts:sign_in"))


def test_requests_the_person_makes_still_count_as_activity(alice_client):
    alice_client.get(reverse("portal:home"))
    seen = _age(alice_client, 19 * 60)

    alice_client.get(reverse("portal:home"), headers={"HX-Request": "true"})

    assert alice_client.session[LAST_SEEN] > seen


POLLING = re.compile(r"<[^>]*hx-trigger=\"[^\"]*every [^>]*>", re.DOTALL)


def test_every_polling_element_marks_its_requests_as_background():
    templates = [
        path for path in ROOT.glob("*/templates/**/*.html") if ".venv" not in path.parts
    ] + list((ROOT / "templates").glob("**/*.html"))
    polling = [
        (path, tag) for path in templates for tag in POLLING.findall(path.read_text())
    ]

    assert len(polling) >= 3
    header = f'hx-headers=\'{{"{BACKGROUND_POLL_HEADER}": "true"}}\''
    assert [str(path) for path, tag in polling if header not in tag] == []
