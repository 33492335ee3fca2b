"""Sessions end after 20 minutes idle and after 12 hours in all, and the page says why."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from common.polling import BACKGROUND_POLL_HEADER


def _age_session(client, *, idle: int, since_sign_in: int) -> None:
    now = int(timezone.now().timestamp())
    session = client.session
    session[LAST_SEEN] = now - idle
    session[SIGNED_IN_AT] = now - since_sign_in
    session.save()


def test_twenty_minutes_idle_signs_out_and_says_so(alice_client, settings):
    alice_client.get(reverse("portal:home"))
    # Twenty minutes after the last activity, however late "last seen" was written.
    idle = settings.SESSION_IDLE_SECONDS + settings.SESSION_TOUCH_SECONDS + 1
    _age_session(alice_client, idle=idle, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"), follow=True)

    assert "_auth_user_id" not in alice_client.session
    assert "left for 20 minutes without activity" in response.text


def test_activity_within_twenty_minutes_keeps_the_session(alice_client):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=19 * 60, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"))

    assert response.status_code == 200


def test_last_seen_written_a_minute_before_the_last_activity_keeps_the_session(
    alice_client, settings
):
    # "Last seen" lags activity by up to SESSION_TOUCH_SECONDS: a person busy until
    # just under twenty minutes ago is still signed in.
    alice_client.get(reverse("portal:home"))
    idle = settings.SESSION_IDLE_SECONDS + settings.SESSION_TOUCH_SECONDS - 5
    _age_session(alice_client, idle=idle, since_sign_in=3600)

    response = alice_client.get(reverse("iamis:index"))

    assert response.status_code == 200


def _session_writes(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]


def test_a_busy_session_is_written_at_most_once_a_minute(alice_client, settings):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=settings.SESSION_TOUCH_SECONDS, since_sign_in=60)

    first = _session_writes(alice_client, reverse("iamis:index"))
    again = _session_writes(alice_client, reverse("iamis:index"))
    last_seen = alice_client.session[LAST_SEEN]

    assert len(first) == 1
    assert again == []
    assert int(timezone.now().timestamp()) - last_seen < 5


def test_a_background_poll_never_moves_last_seen(alice_client, settings):
    alice_client.get(reverse("portal:home"))
    _age_session(alice_client, idle=600, since_sign_in=3600)
    before = alice_client.session[LAST_SEEN]

    writes = []
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(
            reverse("portal:home"), headers={BACKGROUND_POLL_HEADER: "true"}
        )
    writes = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]

    assert alice_client.session[LAST_SEEN] == before
    assert not any("django_session" in sql for sql in writes)


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
