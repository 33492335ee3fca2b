"""Password reset by e-mail; it never skips the authenticator."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from audit.models import AuditEvent

from .mfa_helpers import give_authenticator


@pytest.fixture(autouse=True)
def commit_runs_at_once(monkeypatch):
    """Each request commits as it ends (no atomic requests); the test's own transaction
    would hold back what it queues on commit, so run that at once."""
    from django.db import transaction

    monkeypatch.setattr(
        transaction, "on_commit", lambda func, using=None, robust=False: func()
    )


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


RESET = "/accounts/password-reset/"


def test_the_reset_email_is_queued_not_sent_inside_the_request(
    client, two_centres, monkeypatch
):
    from outbox.models import Message
    from outbox.tasks import deliver

    queued = []
    monkeypatch.setattr(
        deliver,
        "apply_async",
        lambda args=None, kwargs=None, **options: queued.append(args),
    )

    response = client.post(RESET, {"email": "Alice@Alice.example"})

    assert response.status_code == 302
    assert mail.outbox == []
    assert len(queued) == 1
    assert Message.objects.get(pk=queued[0][0]).secrets["email"] == (
        "alice@alice.example"
    )
    assert deliver.apply(args=queued[0]).get() is True
    assert len(mail.outbox) == 1


def test_a_rerun_of_the_reset_task_sends_nothing_twice(two_centres):
    from notifications import tasks
    from notifications.models import SentNotification

    kwargs = {"reset_id": "r1", "email": "alice@alice.example", "site": "http://x/"}
    first = tasks.password_reset.apply(kwargs=kwargs).get()
    again = tasks.password_reset.apply(kwargs=kwargs).get()

    assert (first, again) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your Internal Assessment Portal password"
    assert SentNotification.objects.filter(kind="password_reset").count() == 1


def test_one_address_is_sent_at_most_three_links_an_hour(client, two_centres):
    pages = [
        client.post(RESET, {"email": "alice@alice.example"}, follow=True)
        for _ in range(5)
    ]

    assert len(mail.outbox) == 3
    assert all("Check your email" in page.text for page in pages)


def test_a_connection_may_ask_ten_times_an_hour(client, db):
    for n in range(10):
        assert client.post(RESET, {"email": f"n{n}@example.org"}).status_code == 302

    refused = client.post(RESET, {"email": "n11@example.org"})
    elsewhere = client.post(
        RESET, {"email": "n12@example.org"}, REMOTE_ADDR="192.0.2.7"
    )

    assert refused.status_code == 429
    assert "Several requests have been sent from this connection" in refused.text
    assert elsewhere.status_code == 302
