"""Sessions end after 20 minutes idle and after 12 hours in all, and the page says why."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT


def _age_session(client, *, idle: int, since_sign_in: int) -> None:
    now = int(timezone.now().timestamp())
    session = client.session
    session[LAST_SEEN] = now - idle
    session[SIGNED_IN_AT] = now - since_sign_in
    session.save()


def test_twenty_minutes_idle_signs_out_and_says_so(alice_client):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=20 * 60 + 1, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"), follow=True)

    assert "_auth_user_id" not in alice_client.session
    assert "left for 20 minutes without activity" in response.text


def test_activity_within_twenty_minutes_keeps_the_session(alice_client):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=19 * 60, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"))

    assert response.status_code == 200


def test_twelve_hours_after_sign_in_the_session_ends_however_busy(alice_client):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=10, since_sign_in=12 * 3600 + 1)

    response = alice_client.get(reverse("iamis:index"), follow=True)

    assert "_auth_user_id" not in alice_client.session
    assert "signed in for 12 hours" in response.text


def test_htmx_requests_are_sent_to_sign_in_when_the_session_ended(alice_client):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=3600, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"), headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"].startswith(reverse("accounts:sign_in"))
