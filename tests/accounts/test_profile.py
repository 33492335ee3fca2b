"""Edit your profile: name, language, password and authenticator, for anyone signed in."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TOTPDevice, User
from accounts.services import mfa
from accounts.views.profile import REPLACE_PROVED_AT, REPLACE_SEALED
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

PROFILE = "/accounts/profile/"
PASSWORD_URL = "/accounts/profile/password/"
AUTHENTICATOR = "/accounts/profile/authenticator/"
NEW_PASSWORD = "a-much-longer-new-passphrase"


@pytest.fixture(autouse=True)
def private_cache(settings):
    # The code-guess throttle counts in the cache; keep off the shared Redis database.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-profile",
        }
    }
    cache.clear()


def _authenticator(user: User) -> pyotp.TOTP:
    secret = mfa.new_secret()
    TOTPDevice.objects.create(
        user=user, encrypted_secret=mfa.seal(secret), confirmed_at=timezone.now()
    )
    return pyotp.TOTP(secret)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _manual_key(html: str) -> str:
    match = re.search(r'data-testid="manual-key">([A-Z2-7 ]+)<', html)
    assert match is not None
    return match.group(1).replace(" ", "")


def _device_secret(user: User) -> str:
    return mfa.device_secret(TOTPDevice.objects.get(user=user))


def test_urls_are_under_accounts_profile():
    assert reverse("accounts:profile") == PROFILE
    assert reverse("accounts:password_change") == PASSWORD_URL
    assert reverse("accounts:replace_authenticator") == AUTHENTICATOR


# --- Name and language -------------------------------------------------------------------


def test_profile_shows_name_email_and_language(alice_client, two_centres):
    response = alice_client.get(PROFILE)

    assert response.status_code == 200
    assert "alice@alice.example" in response.text
    assert 'value="Alice"' in response.text
    assert '<label for="id_first_name">' in response.text
    assert '<label for="id_last_name">' in response.text
    assert "Cymraeg" in response.text
    assert f'href="{PASSWORD_URL}"' in response.text


@pytest.mark.parametrize("role", ["is_moderator", "is_staff"])
def test_moderators_and_board_staff_have_a_profile_too(db, role):
    person = UserFactory(email="someone@board.example", **{role: True})

    response = _client_for(person).get(PROFILE)

    assert response.status_code == 200
    assert "someone@board.example" in response.text


@pytest.mark.parametrize("url", [PROFILE, PASSWORD_URL, AUTHENTICATOR])
def test_sign_in_is_required(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("url", [PROFILE, PASSWORD_URL, AUTHENTICATOR])
def test_other_methods_are_refused(alice_client, url):
    assert alice_client.put(url).status_code == 405


def test_header_links_to_your_profile(alice_client):
    response = alice_client.get("/")

    assert f'href="{PROFILE}">Your profile</a>' in response.text


def test_saving_name_and_language_audits_and_switches_the_language(
    alice_client, two_centres
):
    alice = two_centres.alice
    old_last_name = alice.last_name

    response = alice_client.post(
        PROFILE, {"first_name": " Alys ", "last_name": "Jones", "language": "cy"}
    )

    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.language) == (
        "Alys",
        "Jones",
        "cy",
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "cy"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PROFILE_CHANGED)
    assert event.actor == alice
    assert event.detail == {
        "before": {"first_name": "Alice", "last_name": old_last_name, "language": "en"},
        "after": {"first_name": "Alys", "last_name": "Jones", "language": "cy"},
    }
    assert '<html lang="cy">' in alice_client.get(PROFILE).text


def test_saving_without_changes_writes_no_audit(alice_client, two_centres):
    alice = two_centres.alice

    alice_client.post(
        PROFILE,
        {
            "first_name": alice.first_name,
            "last_name": alice.last_name,
            "language": "en",
        },
    )

    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.PROFILE_CHANGED
    ).exists()


def test_unknown_language_and_empty_name_are_refused(alice_client, two_centres):
    response = alice_client.post(
        PROFILE, {"first_name": "", "last_name": "Jones", "language": "fr"}
    )

    assert response.status_code == 200
    assert '<a href="#id_first_name">' in response.text
    assert '<a href="#id_language_0">' in response.text
    two_centres.alice.refresh_from_db()
    assert two_centres.alice.last_name != "Jones"


def test_extra_fields_such_as_email_and_is_staff_are_ignored(alice_client, two_centres):
    alice_client.post(
        PROFILE,
        {
            "first_name": "Alice",
            "last_name": "Jones",
            "language": "en",
            "email": "mallory@evil.example",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    alice = two_centres.alice
    alice.refresh_from_db()
    assert alice.last_name == "Jones"
    assert alice.email == "alice@alice.example"
    assert not alice.is_staff
    assert not alice.is_superuser


# --- Password ----------------------------------------------------------------------------


def _change_password(client: Client, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(
        PASSWORD_URL,
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_password_change_keeps_this_session_and_is_audited(alice_client, two_centres):
    response = _change_password(alice_client)

    assert response.status_code == 302
    assert response.url == PROFILE
    alice = two_centres.alice
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get(PROFILE).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGED)
    assert event.actor == alice
    assert NEW_PASSWORD not in str(event.detail)


def test_password_change_ends_the_other_sessions(two_centres):
    this_browser = _client_for(two_centres.alice)
    other_browser = _client_for(two_centres.alice)

    _change_password(this_browser)

    assert this_browser.get(PROFILE).status_code == 200
    assert other_browser.get(PROFILE).status_code == 302


def test_wrong_current_password_is_refused(alice_client, two_centres):
    response = _change_password(alice_client, old="not-my-password")

    assert response.status_code == 200
    assert '<a href="#id_old_password">' in response.text
    two_centres.alice.refresh_from_db()
    assert two_centres.alice.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_CHANGED
    ).exists()


def test_wrong_current_passwords_are_paused_like_sign_in(
    alice_client, two_centres, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _change_password(alice_client, old="not-my-password")

    locked = _change_password(alice_client, old="not-my-password")
    right = _change_password(alice_client)

    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    assert right.status_code == 429
    two_centres.alice.refresh_from_db()
    assert two_centres.alice.check_password(PASSWORD)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, actor=two_centres.alice
    ).exists()


def test_wrong_current_passwords_count_with_sign_in_failures(two_centres, settings):
    guesser = _client_for(two_centres.alice)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _change_password(guesser, old="not-my-password")
    signing_in = Client()
    signing_in.post("/accounts/sign-in/", {"email": "alice@alice.example"})

    response = signing_in.post("/accounts/sign-in/password/", {"password": PASSWORD})

    assert response.status_code == 429


def test_the_back_office_password_change_is_the_profiles(db):
    board = UserFactory(is_staff=True, is_superuser=True)
    client = _client_for(board)

    response = client.get("/board/password_change/")

    assert response.status_code == 302
    assert response.url == PASSWORD_URL


def test_short_new_password_is_refused(alice_client, two_centres):
    response = _change_password(alice_client, new="short-pw1")

    assert '<a href="#id_new_password2">' in response.text
    two_centres.alice.refresh_from_db()
    assert two_centres.alice.check_password(PASSWORD)


def test_password_page_is_not_cached(alice_client):
    response = alice_client.get(PASSWORD_URL)

    assert "no-store" in response["Cache-Control"]


# --- Replacing the authenticator ---------------------------------------------------------


def test_replacing_starts_by_asking_for_a_current_code(alice_client, two_centres):
    _authenticator(two_centres.alice)

    response = alice_client.get(AUTHENTICATOR)

    assert response.status_code == 200
    assert '<label for="id_code">' in response.text
    assert '<label for="id_recovery_code">' in response.text
    assert "manual-key" not in response.text
    assert "no-store" in response["Cache-Control"]


def test_full_replacement_with_a_current_code(alice_client, two_centres):
    alice = two_centres.alice
    old_totp = _authenticator(alice)
    old_codes = mfa.recovery_codes_issue(user=alice)

    proved = alice_client.post(AUTHENTICATOR, {"code": old_totp.now()})
    setup = alice_client.get(AUTHENTICATOR)
    new_key = _manual_key(setup.text)
    done = alice_client.post(AUTHENTICATOR, {"new_code": pyotp.TOTP(new_key).now()})

    assert proved.status_code == 302
    assert '<img class="qr" src="data:image/svg+xml;charset=utf-8,%3Csvg' in setup.text
    assert _device_secret(alice) == new_key
    shown = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", done.text)
    assert len(shown) == mfa.RECOVERY_CODE_COUNT
    assert mfa.recovery_code_use(user=alice, code=shown[0])
    assert not mfa.recovery_code_use(user=alice, code=old_codes[0])
    device = mfa.confirmed_device(alice)
    assert device is not None
    later = old_totp.at(timezone.now() + timedelta(seconds=30))
    assert not mfa.totp_verify(device=device, code=later)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.MFA_REPLACED, actor=alice
    ).exists()
    assert REPLACE_SEALED not in alice_client.session
    assert "I have saved my recovery codes" in done.text


def test_a_recovery_code_also_proves_it_is_you(alice_client, two_centres):
    alice = two_centres.alice
    _authenticator(alice)
    codes = mfa.recovery_codes_issue(user=alice)

    response = alice_client.post(AUTHENTICATOR, {"recovery_code": codes[0]})

    assert response.status_code == 302
    assert "manual-key" in alice_client.get(AUTHENTICATOR).text
    assert not mfa.recovery_code_use(user=alice, code=codes[0])
    event = AuditEvent.objects.get(action=AuditEvent.Action.RECOVERY_CODE_USED)
    assert event.detail["left"] == mfa.RECOVERY_CODE_COUNT - 1


def test_a_current_code_works_only_once(two_centres):
    totp = _authenticator(two_centres.alice)
    code = totp.now()
    first, second = _client_for(two_centres.alice), _client_for(two_centres.alice)

    first.post(AUTHENTICATOR, {"code": code})
    replayed = second.post(AUTHENTICATOR, {"code": code})
    fresh = second.post(
        AUTHENTICATOR, {"code": totp.at(timezone.now() + timedelta(seconds=30))}
    )

    assert replayed.status_code == 200
    assert "That code is not right or has been used before." in replayed.text
    assert fresh.status_code == 302


def test_a_wrong_code_is_refused_and_recorded(alice_client, two_centres):
    totp = _authenticator(two_centres.alice)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"

    response = alice_client.post(AUTHENTICATOR, {"code": wrong})

    assert response.status_code == 200
    assert '<a href="#id_code">' in response.text
    assert REPLACE_SEALED not in alice_client.session
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_REFUSED)
    assert event.detail == {"purpose": "replace_authenticator", "method": "totp"}


def test_the_proof_step_needs_a_code(alice_client, two_centres):
    _authenticator(two_centres.alice)

    response = alice_client.post(AUTHENTICATOR, {"code": "", "recovery_code": ""})

    assert '<a href="#id_code">' in response.text
    assert REPLACE_SEALED not in alice_client.session


def test_guessing_is_stopped_after_five_wrong_codes(alice_client, two_centres):
    totp = _authenticator(two_centres.alice)
    for _ in range(5):
        alice_client.post(AUTHENTICATOR, {"code": "000000"})

    response = alice_client.post(AUTHENTICATOR, {"code": totp.now()})

    assert response.status_code == 429
    assert "Too many wrong codes" in response.text
    assert REPLACE_SEALED not in alice_client.session


def test_new_secret_is_kept_sealed_in_the_session(alice_client, two_centres):
    totp = _authenticator(two_centres.alice)
    alice_client.post(AUTHENTICATOR, {"code": totp.now()})

    new_key = _manual_key(alice_client.get(AUTHENTICATOR).text)

    sealed = alice_client.session[REPLACE_SEALED]
    assert new_key not in sealed
    assert mfa.unseal(sealed) == new_key


def test_a_wrong_code_from_the_new_app_keeps_the_old_one(alice_client, two_centres):
    alice = two_centres.alice
    totp = _authenticator(alice)
    old_secret = _device_secret(alice)
    alice_client.post(AUTHENTICATOR, {"code": totp.now()})

    response = alice_client.post(AUTHENTICATOR, {"new_code": "000000"})

    assert response.status_code == 200
    assert '<a href="#id_new_code">' in response.text
    assert _device_secret(alice) == old_secret
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MFA_REPLACED).exists()


def test_the_proof_lasts_ten_minutes(alice_client, two_centres):
    totp = _authenticator(two_centres.alice)
    alice_client.post(AUTHENTICATOR, {"code": totp.now()})
    session = alice_client.session
    session[REPLACE_PROVED_AT] -= 11 * 60
    session.save()

    response = alice_client.get(AUTHENTICATOR)

    assert "manual-key" not in response.text
    assert '<label for="id_code">' in response.text


def test_an_account_without_an_authenticator_is_sent_to_sign_in_again(alice_client):
    response = alice_client.get(AUTHENTICATOR)

    assert response.status_code == 200
    assert "no authenticator app yet" in response.text
    assert '<label for="id_code">' not in response.text


def test_a_code_in_full_width_digits_is_refused_at_the_proof_step(
    alice_client, two_centres
):
    _authenticator(two_centres.alice)

    response = alice_client.post(
        AUTHENTICATOR, {"code": "\uff11\uff12\uff13\uff14\uff15\uff16"}
    )

    assert response.status_code == 200
    assert "Enter the 6 digits your authenticator app shows." in response.text
    assert REPLACE_SEALED not in alice_client.session


def test_a_code_in_full_width_digits_is_refused_for_the_new_app(
    alice_client, two_centres
):
    totp = _authenticator(two_centres.alice)
    alice_client.post(AUTHENTICATOR, {"code": totp.now()})

    response = alice_client.post(
        AUTHENTICATOR, {"new_code": "\uff11\uff12\uff13\uff14\uff15\uff16"}
    )

    assert response.status_code == 200
    assert "Enter the 6 digits your authenticator app shows." in response.text
