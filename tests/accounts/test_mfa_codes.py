"""What counts as an authenticator code, and what an error report may show of one."""

from __future__ import annotations

import secrets
import sys

import pytest
from django.views.debug import ExceptionReporter

from accounts.services import mfa
from tests.conftest import make_member
from tests.factories import CentreFactory

from .mfa_helpers import give_authenticator


@pytest.mark.parametrize(
    "value",
    [
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width
        "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic
        "\u00b9\u00b2\u00b3\u2074\u2075\u2076",  # superscripts
        "123456\n",
        "12345",
        "1234567",
        "12 456",
        "",
    ],
)
def test_only_six_ascii_digits_make_a_code(value):
    assert not mfa.is_code(value)


def test_six_ascii_digits_make_a_code():
    assert mfa.is_code("012345")


def test_a_code_in_another_scripts_digits_is_simply_not_right(db):
    user = make_member(CentreFactory())
    give_authenticator(user)
    device = mfa.confirmed_device(user)
    assert device is not None

    assert not mfa.totp_verify(
        device=device, code="\uff11\uff12\uff13\uff14\uff15\uff16"
    )


def test_an_error_while_checking_a_code_keeps_the_secret_out_of_the_report(
    db, monkeypatch
):
    user = make_member(CentreFactory())
    totp = give_authenticator(user)
    device = mfa.confirmed_device(user)
    assert device is not None

    def broken(a, b):
        raise TypeError("unexpected")

    monkeypatch.setattr(secrets, "compare_digest", broken)
    try:
        mfa.totp_verify(device=device, code="123456")
    except TypeError:
        data = ExceptionReporter(None, *sys.exc_info()).get_traceback_data()
        report = repr([frame["vars"] for frame in data["frames"]])
    else:  # pragma: no cover - the monkeypatch always raises
        pytest.fail("the check did not fail")

    assert "'code'" in report  # the frames' variables are in the report, cleansed
    assert totp.secret not in report
    assert device.encrypted_secret not in report


def _hides_its_variables(function) -> bool:
    # sensitive_variables() wraps the function; error reports (with DEBUG off) then
    # show none of its variables, nor those of what it calls.
    while function is not None:
        if function.__code__.co_name == "sensitive_variables_wrapper":
            return True
        function = getattr(function, "__wrapped__", None)
    return False


def test_every_function_that_holds_a_secret_hides_it_from_error_reports():
    from accounts.services import invites
    from accounts.services import profile as profile_services
    from accounts.views import profile, sign_in
    from notifications import emails, tasks

    holders = [
        mfa.device_secret,
        mfa.seal,
        mfa.unseal,
        mfa.device_enrol,
        mfa.provisioning_uri,
        mfa.totp_verify,
        mfa.recovery_codes_issue,
        mfa.recovery_code_use,
        profile_services.password_change,
        profile_services.authenticator_prove,
        profile_services.authenticator_replace,
        invites.invite_send,
        invites.invite_resend,
        invites.invite_for_token,
        invites.invite_accept,
        emails.invite,
        emails.password_reset,
        tasks.invite.run,
        tasks.password_reset.run,
        sign_in.sign_in_password,
        sign_in.sign_in_code,
        sign_in.enrol,
        sign_in.recovery_codes,
        sign_in.invite_accept,
        profile.password_change,
        profile.replace_authenticator,
    ]

    assert [f.__qualname__ for f in holders if not _hides_its_variables(f)] == []
