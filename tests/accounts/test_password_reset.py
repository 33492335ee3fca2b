"""Password reset by e-mail; it never skips the authenticator."""

from __future__ import annotations

import re

from django.core import mail

from audit.models import AuditEvent

from .mfa_helpers import give_authenticator


def _reset_link(client, email: str) -> str:
    client.post("/accounts/password-reset/", {"email": email})
    found = re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(0)


def test_a_reset_link_sets_a_new_password_but_does_not_sign_in(client, two_centres):
    give_authenticator(two_centres.alice)
    link = _reset_link(client, "alice@alice.example")

    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
        follow=True,
    )

    two_centres.alice.refresh_from_db()
    assert two_centres.alice.check_password("another-long-passphrase")
    assert "_auth_user_id" not in client.session
    assert "still be asked for the code" in done.text
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET).exists()


def test_after_a_reset_sign_in_still_needs_the_code(client, two_centres):
    give_authenticator(two_centres.alice)
    link = _reset_link(client, "alice@alice.example")
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )

    client.post("/accounts/sign-in/", {"email": "alice@alice.example"})
    response = client.post(
        "/accounts/sign-in/password/", {"password": "another-long-passphrase"}
    )

    assert response.url == "/accounts/sign-in/code/"
    assert "_auth_user_id" not in client.session


def test_a_used_reset_link_is_refused(client, two_centres):
    link = _reset_link(client, "alice@alice.example")
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )

    again = client.get(link, follow=True)

    assert "This link cannot be used" in again.text


def test_an_unknown_address_gets_the_same_page_and_no_email(client, db):
    response = client.post(
        "/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True
    )

    assert "Check your email" in response.text
    assert mail.outbox == []
