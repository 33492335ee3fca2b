"""Invite links: set a password, set up MFA, join the centre; single use, 7 days."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Invite, User
from accounts.services.invites import (
    invite_accept,
    invite_resend,
    invite_revoke,
    invite_send,
)
from audit.models import AuditEvent
from centres.models import Membership

from .mfa_helpers import give_authenticator, sign_in


def _invite(two_centres, email="newteacher@alice.example", **overrides):
    fields = {
        "centre": two_centres.alice_centre,
        "email": email,
        "first_name": "Nia",
        "last_name": "Newteacher",
        "language": "en",
        "account_type": Membership.AccountType.USER,
        "invited_by": two_centres.alice,
    }
    return invite_send(**(fields | overrides))


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_an_invite_emails_a_single_use_link(
    two_centres, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(two_centres)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newteacher@alice.example"]
    assert sent.link in message.body
    assert "Alice Academy" in message.body
    assert message.alternatives  # an HTML part beside the plain text
    stored = Invite.objects.get(email="newteacher@alice.example")
    assert _token(sent.link) not in stored.token_hash
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITE_SENT).exists()


def test_the_invitee_sets_a_password_and_an_authenticator_then_is_signed_in(
    client, two_centres
):
    sent = _invite(two_centres)

    step1 = client.post(
        sent.link,
        {
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    key = client.get(step1.url).context["manual_key"].replace(" ", "")
    done = client.post(step1.url, {"code": pyotp.TOTP(key).now()}, follow=True)

    user = User.objects.get(email="newteacher@alice.example")
    assert done.status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.check_password("a-long-enough-passphrase")
    assert Membership.objects.get(user=user).centre == two_centres.alice_centre
    assert (user.first_name, user.last_name) == ("Nia", "Newteacher")


def test_a_used_invite_link_is_refused(client, two_centres):
    sent = _invite(two_centres)
    invite_accept(token=_token(sent.link), password="a-long-enough-passphrase")

    response = client.get(sent.link)

    assert response.status_code == 404
    assert "cannot be used" in response.text


def test_an_expired_invite_link_is_refused(client, two_centres):
    sent = _invite(two_centres)
    Invite.objects.filter(pk=sent.invite.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert client.get(sent.link).status_code == 404
    with pytest.raises(ValidationError):
        invite_accept(token=_token(sent.link), password="a-long-enough-passphrase")
    assert not User.objects.filter(email="newteacher@alice.example").exists()


def test_invites_expire_after_seven_days(two_centres):
    sent = _invite(two_centres)

    assert sent.invite.expires_at - sent.invite.sent_at == timedelta(days=7)


def test_a_revoked_invite_link_is_refused(client, two_centres):
    sent = _invite(two_centres)

    invite_revoke(invite=sent.invite, acting_user=two_centres.alice)

    assert client.get(sent.link).status_code == 404


def test_resending_replaces_the_link(client, two_centres):
    first = _invite(two_centres)

    second = invite_resend(invite=first.invite, acting_user=two_centres.alice)

    assert client.get(first.link).status_code == 404
    assert client.get(second.link).status_code == 200


def test_a_second_invite_to_an_address_with_one_waiting_is_refused(client, two_centres):
    first = _invite(two_centres)

    with pytest.raises(ValidationError, match="already waiting") as refused:
        _invite(two_centres, first_name="Other", language="cy")

    assert refused.value.code == "pending_invite"
    first.invite.refresh_from_db()
    assert (first.invite.first_name, first.invite.language) == ("Nia", "en")
    assert client.get(first.link).status_code == 200


def test_replacing_the_waiting_invite_revokes_its_link(client, two_centres):
    first = _invite(two_centres)
    second = _invite(two_centres, first_name="Other", replace_pending=True)

    assert client.get(first.link).status_code == 404
    assert client.get(second.link).status_code == 200
    assert second.invite.first_name == "Other"


def test_an_expired_invite_is_replaced_without_asking(client, two_centres):
    first = _invite(two_centres)
    Invite.objects.filter(pk=first.invite.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    second = _invite(two_centres, first_name="Other")

    assert client.get(second.link).status_code == 200
    first.invite.refresh_from_db()
    assert first.invite.revoked_at is not None


def test_inviting_an_existing_member_is_refused(two_centres):
    with pytest.raises(ValidationError, match="already has an account"):
        _invite(two_centres, email="ALICE@alice.example")


def test_a_weak_password_is_refused_and_nothing_is_created(client, two_centres):
    sent = _invite(two_centres)

    response = client.post(
        sent.link, {"password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "error-summary" in response.text
    assert not User.objects.filter(email="newteacher@alice.example").exists()


def test_someone_with_an_account_elsewhere_joins_after_signing_in(client, two_centres):
    charlie = two_centres.charlie
    totp = give_authenticator(charlie)
    sent = _invite(two_centres, email=charlie.email)

    before = client.get(sent.link)
    sign_in(client, charlie.email, totp.now())
    joined = client.post(sent.link, follow=True)

    assert "Sign in" in before.text
    assert User.objects.filter(email__iexact=charlie.email).count() == 1
    assert Membership.objects.filter(user=charlie).count() == 2
    assert "Alice Academy (68999)" in joined.text


def test_an_exams_officer_invite_hands_over_the_role(two_centres):
    sent = _invite(
        two_centres,
        email="neweo@alice.example",
        account_type=Membership.AccountType.EXAMS_OFFICER,
    )

    invite_accept(token=_token(sent.link), password="a-long-enough-passphrase")

    centre = two_centres.alice_centre
    centre.refresh_from_db()
    officers = Membership.objects.filter(
        centre=centre, account_type=Membership.AccountType.EXAMS_OFFICER
    )
    assert [m.user.email for m in officers] == ["neweo@alice.example"]
    assert Membership.objects.get(user=two_centres.alice).account_type == "admin"
    assert centre.exams_officer_email == "neweo@alice.example"


def test_the_invite_email_follows_the_invitees_language(
    two_centres, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(two_centres, language="cy")

    assert re.search(r"Porth", mail.outbox[0].subject)


def test_an_invite_sent_outside_a_request_links_to_the_site(two_centres, settings):
    settings.SITE_URL = "https://portal.example.org/"

    sent = _invite(two_centres)

    assert sent.link.startswith("https://portal.example.org/accounts/invite/")
