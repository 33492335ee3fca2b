"""Sign-in as Portal does it: e-mail, password, then a code from the authenticator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import RecoveryCode, TOTPDevice
from audit.models import AuditEvent
from tests.factories import PASSWORD

from .mfa_helpers import give_authenticator, next_code, sign_in

SIGN_IN = "/accounts/sign-in/"


def test_sign_in_asks_for_email_then_password_then_code(client, two_centres):
    totp = give_authenticator(two_centres.alice)

    step1 = client.post(SIGN_IN, {"email": "alice@alice.example"})
    step2 = client.post(step1.url, {"password": PASSWORD})
    step3 = client.post(step2.url, {"code": totp.now()}, follow=True)

    assert step1.url == reverse("accounts:sign_in_password")
    assert step2.url == reverse("accounts:sign_in_code")
    assert "Alice Academy (68999)" in step3.text
    assert client.session["_auth_user_id"] == str(two_centres.alice.pk)


def test_password_alone_does_not_sign_anyone_in(client, two_centres):
    give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})

    response = client.get(reverse("iamis:index"))

    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response.url.startswith(SIGN_IN)


def test_email_is_matched_without_regard_to_case(client, two_centres):
    totp = give_authenticator(two_centres.alice)

    sign_in(client, "ALICE@Alice.Example", totp.now())

    assert client.session["_auth_user_id"] == str(two_centres.alice.pk)


def test_a_used_code_cannot_be_replayed(client, two_centres):
    totp = give_authenticator(two_centres.alice)
    code = totp.now()
    sign_in(client, "alice@alice.example", code)
    client.post("/accounts/sign-out/")

    replay = sign_in(client, "alice@alice.example", code)

    assert "That code is not right" in replay.text
    assert "_auth_user_id" not in client.session


def test_a_code_older_than_the_last_accepted_one_is_refused(client, two_centres):
    totp = give_authenticator(two_centres.alice)
    sign_in(client, "alice@alice.example", next_code(totp))
    client.post("/accounts/sign-out/")

    older = sign_in(client, "alice@alice.example", totp.now())

    assert "That code is not right" in older.text


def test_wrong_password_and_unknown_email_get_the_same_message(client, two_centres):
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    wrong_password = client.post("/accounts/sign-in/password/", {"password": "not-it"})
    client.post(SIGN_IN, {"email": "nobody@alice.example"})
    unknown_email = client.post("/accounts/sign-in/password/", {"password": "not-it"})

    message = "The email address or password is not right."
    assert message in wrong_password.text
    assert message in unknown_email.text


def _fail_password(client, email: str, times: int):
    response = None
    for _ in range(times):
        client.post(SIGN_IN, {"email": email})
        response = client.post(
            "/accounts/sign-in/password/", {"password": "wrong-password"}
        )
    return response


def test_repeated_password_failures_lock_the_sign_in(client, two_centres, settings):
    give_authenticator(two_centres.alice)

    locked = _fail_password(client, "alice@alice.example", settings.AXES_FAILURE_LIMIT)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    right_password = client.post("/accounts/sign-in/password/", {"password": PASSWORD})

    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    assert right_password.status_code == 429
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, actor_email="alice@alice.example"
    ).exists()


def test_lockout_looks_the_same_for_an_email_without_an_account(client, db, settings):
    locked = _fail_password(client, "nobody@example.org", settings.AXES_FAILURE_LIMIT)

    assert locked.status_code == 429
    assert "Too many attempts" in locked.text


def test_repeated_wrong_codes_lock_the_code_step(client, two_centres):
    totp = give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    wrong = "000000" if totp.now() != "000000" else "111111"

    responses = [
        client.post("/accounts/sign-in/code/", {"code": wrong}) for _ in range(5)
    ]
    right = client.post("/accounts/sign-in/code/", {"code": totp.now()})

    assert responses[-1].status_code == 429
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_code_lockout_does_not_send_the_person_to_reset_a_right_password(
    client, two_centres
):
    totp = give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    wrong = "000000" if totp.now() != "000000" else "111111"

    for _ in range(5):
        locked = client.post("/accounts/sign-in/code/", {"code": wrong})

    assert locked.status_code == 429
    assert "too many wrong codes" in locked.text
    assert "no need to reset it" in locked.text
    assert "or reset your password" not in locked.text


def test_a_password_lockout_offers_the_password_reset(client, db, settings):
    locked = _fail_password(client, "nobody@example.org", settings.AXES_FAILURE_LIMIT)

    assert "or reset your password" in locked.text


def test_first_sign_in_sets_up_an_authenticator_and_shows_ten_recovery_codes(
    client, two_centres
):
    import pyotp

    client.post(SIGN_IN, {"email": "alice@alice.example"})
    enrol = client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    page = client.get(enrol.url)
    key = page.context["manual_key"].replace(" ", "")

    confirmed = client.post(enrol.url, {"code": pyotp.TOTP(key).now()}, follow=True)

    assert enrol.url == reverse("accounts:enrol")
    assert '<img class="qr" src="data:image/svg+xml;charset=utf-8,%3Csvg' in page.text
    assert len(confirmed.context["codes"]) == 10
    assert client.session["_auth_user_id"] == str(two_centres.alice.pk)
    assert TOTPDevice.objects.get(user=two_centres.alice).is_confirmed
    # Shown once only.
    assert client.get(reverse("accounts:recovery_codes")).status_code == 302


def test_a_wrong_enrolment_code_is_refused_and_nothing_is_set_up(client, two_centres):
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})

    response = client.post(reverse("accounts:enrol"), {"code": "123456"})

    assert "That code is not right" in response.text
    assert not TOTPDevice.objects.filter(user=two_centres.alice).exists()


def test_the_secret_and_recovery_codes_are_not_stored_in_the_clear(client, two_centres):
    import pyotp

    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    key = client.get(reverse("accounts:enrol")).context["manual_key"].replace(" ", "")
    codes = client.post(
        reverse("accounts:enrol"), {"code": pyotp.TOTP(key).now()}, follow=True
    ).context["codes"]

    device = TOTPDevice.objects.get(user=two_centres.alice)
    assert key not in device.encrypted_secret
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in stored)


def test_a_recovery_code_signs_in_once(client, two_centres):
    from accounts.services import mfa

    give_authenticator(two_centres.alice)
    code = mfa.recovery_codes_issue(user=two_centres.alice)[3]

    def use_recovery_code():
        client.post(SIGN_IN, {"email": "alice@alice.example"})
        client.post("/accounts/sign-in/password/", {"password": PASSWORD})
        return client.post("/accounts/sign-in/code/", {"recovery_code": code})

    first = use_recovery_code()
    client.post("/accounts/sign-out/")
    second = use_recovery_code()

    assert first.status_code == 302
    assert "used before" in second.text


def test_session_id_changes_after_the_password_and_after_the_code(client, two_centres):
    totp = give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    first = client.session.session_key

    client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    second = client.session.session_key
    client.post("/accounts/sign-in/code/", {"code": totp.now()})
    third = client.session.session_key

    assert len({first, second, third}) == 3


def test_signing_in_and_failing_are_audited(client, two_centres):
    totp = give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": "wrong"})

    sign_in(client, "alice@alice.example", totp.now())

    actions = list(
        AuditEvent.objects.filter(actor_email="alice@alice.example").values_list(
            "action", flat=True
        )
    )
    assert AuditEvent.Action.SIGN_IN_FAILED in actions
    assert AuditEvent.Action.SIGN_IN in actions
    assert all("wrong" not in str(e.detail) for e in AuditEvent.objects.all())


def test_sign_out_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/accounts/sign-out/").status_code == 405

    response = alice_client.post("/accounts/sign-out/")

    assert response.status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_the_sign_in_page_says_access_is_logged(client, db):
    response = client.get(SIGN_IN)

    assert "All access is logged and monitored." in response.text


def test_a_password_lockout_holds_the_guessers_address_not_the_account(
    two_centres, settings
):
    totp = give_authenticator(two_centres.alice)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    alice = Client(REMOTE_ADDR="198.51.100.7")

    locked = _fail_password(guesser, "alice@alice.example", settings.AXES_FAILURE_LIMIT)
    signed_in = sign_in(alice, "alice@alice.example", next_code(totp))

    assert locked.status_code == 429
    assert signed_in.status_code == 302
    assert "_auth_user_id" in alice.session


def test_a_password_lockout_lifts_after_the_cool_off(client, two_centres, settings):
    from axes.models import AccessAttempt

    totp = give_authenticator(two_centres.alice)
    _fail_password(client, "alice@alice.example", settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    signed_in = sign_in(client, "alice@alice.example", next_code(totp))

    assert signed_in.status_code == 302
    assert "_auth_user_id" in client.session


# Full-width and Arabic-Indic digits pass str.isdigit(); compare_digest refuses them.
OTHER_SCRIPTS_CODES = [
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "\u0661\u0662\u0663\u0664\u0665\u0666",
]


@pytest.mark.parametrize("code", OTHER_SCRIPTS_CODES)
def test_a_code_in_another_scripts_digits_is_refused_at_the_code_step(
    client, two_centres, code
):
    give_authenticator(two_centres.alice)
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})

    response = client.post("/accounts/sign-in/code/", {"code": code})

    assert response.status_code == 200
    assert "Enter the 6 digits your authenticator app shows." in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("code", OTHER_SCRIPTS_CODES)
def test_a_code_in_another_scripts_digits_is_refused_at_enrolment(
    client, two_centres, code
):
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})

    response = client.post(reverse("accounts:enrol"), {"code": code})

    assert response.status_code == 200
    assert "Enter the 6 digits your authenticator app shows." in response.text
    assert not TOTPDevice.objects.filter(user=two_centres.alice).exists()


# --- Behind the load balancer (TRUSTED_PROXY_COUNT) ------------------------------------

BALANCER = "10.0.0.5"


def _behind_balancer(client_address: str) -> Client:
    return Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=client_address)


def test_behind_the_balancer_a_password_lockout_holds_only_the_guessers_address(
    two_centres, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    totp = give_authenticator(two_centres.alice)
    guesser = _behind_balancer("203.0.113.9")
    alice = _behind_balancer("198.51.100.7")

    locked = _fail_password(guesser, "alice@alice.example", settings.AXES_FAILURE_LIMIT)
    signed_in = sign_in(alice, "alice@alice.example", next_code(totp))

    assert locked.status_code == 429
    assert signed_in.status_code == 302
    assert "_auth_user_id" in alice.session


def test_behind_the_balancer_audit_rows_carry_the_clients_address(
    two_centres, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    totp = give_authenticator(two_centres.alice)

    sign_in(
        _behind_balancer("6.6.6.6, 198.51.100.7"), "alice@alice.example", totp.now()
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN)
    assert event.ip_address == "198.51.100.7"


def _fail_codes(client: Client, totp, times: int):
    client.post(SIGN_IN, {"email": "alice@alice.example"})
    client.post("/accounts/sign-in/password/", {"password": PASSWORD})
    wrong = "000000" if totp.now() != "000000" else "111111"
    return [
        client.post("/accounts/sign-in/code/", {"code": wrong}) for _ in range(times)
    ]


def test_a_code_lockout_holds_the_guessers_address_not_the_account(
    two_centres, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    totp = give_authenticator(two_centres.alice)
    guesser = _behind_balancer("203.0.113.9")

    responses = _fail_codes(guesser, totp, 5)
    alice = _behind_balancer("198.51.100.7")
    signed_in = sign_in(alice, "alice@alice.example", next_code(totp))

    assert responses[-1].status_code == 429
    assert signed_in.status_code == 302
    assert "_auth_user_id" in alice.session


def test_guessing_from_many_addresses_slows_the_account_but_its_owner_gets_in(
    two_centres, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    totp = give_authenticator(two_centres.alice)
    for n in range(10):
        _fail_password(_behind_balancer(f"203.0.113.{n}"), "alice@alice.example", 1)
    hurried = _behind_balancer("203.0.113.50")
    _fail_password(hurried, "alice@alice.example", 1)

    too_soon = _fail_password(hurried, "alice@alice.example", 1)
    alice = _behind_balancer("198.51.100.7")
    signed_in = sign_in(alice, "alice@alice.example", next_code(totp))

    assert too_soon.status_code == 429
    assert "Wait 30 seconds, then try again." in too_soon.text
    assert signed_in.status_code == 302
    assert "_auth_user_id" in alice.session
