"""The outbox's hand-over, without a worker: claiming, the broker refusing, giving up,
what an error keeps, and removing what was sent long ago."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox import handlers
from outbox.models import Message
from outbox.services import notify
from outbox.tasks import (
    KEEP_SENT,
    MAX_HANDOVERS,
    RESEND_AFTER,
    deliver,
    publish,
    purge,
    sweep,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent_to():
    """A kind of message whose handler notes what it was asked to send."""
    calls: list[dict[str, object]] = []
    original = handlers._handlers.copy()
    handlers.register("test_note", lambda **arguments: calls.append(arguments))
    yield calls
    handlers._handlers.clear()
    handlers._handlers.update(original)


def _refuse(*args, **kwargs):
    raise OperationalError(
        "Error 111 connecting to 127.0.0.1:6379. Connection refused."
    )


def test_a_message_the_broker_refused_waits_for_the_sweep(sent_to, monkeypatch):
    with monkeypatch.context() as broker_down:
        broker_down.setattr(deliver, "apply_async", _refuse)
        with transaction.atomic():
            message = notify("test_note", thing=1, secrets={"link": "https://x/1"})

    message.refresh_from_db()
    assert (message.published_at, message.sent_at) == (None, None)
    assert sent_to == []

    assert sweep.apply().get() == 1

    message.refresh_from_db()
    assert sent_to == [{"thing": 1, "link": "https://x/1"}]
    assert message.sent_at is not None
    assert message.secrets == {}


def test_a_message_is_handed_over_once_when_commit_and_sweep_race(sent_to):
    message = Message.objects.create(kind="test_note", arguments={"thing": 2})
    assert sweep.apply().get() == 1  # the sweep got there first

    assert publish(message.pk) is False  # the commit hook finds it claimed
    assert sent_to == [{"thing": 2}]
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_a_message_handed_over_long_ago_and_unsent_is_handed_over_again(sent_to):
    long_ago = timezone.now() - RESEND_AFTER - timedelta(minutes=1)
    lately = timezone.now() - timedelta(minutes=5)
    stale = Message.objects.create(
        kind="test_note", arguments={"thing": 3}, published_at=long_ago, attempts=1
    )
    Message.objects.create(
        kind="test_note", arguments={"thing": 4}, published_at=lately, attempts=1
    )

    assert sweep.apply().get() == 1

    assert sent_to == [{"thing": 3}]
    assert Message.objects.get(pk=stale.pk).attempts == 2


def test_a_message_that_keeps_failing_is_given_up_and_its_secrets_emptied(sent_to):
    long_ago = timezone.now() - RESEND_AFTER - timedelta(minutes=1)
    message = Message.objects.create(
        kind="test_note",
        arguments={"thing": 5},
        secrets={"email": "someone@alice.example"},
        published_at=long_ago,
        attempts=MAX_HANDOVERS,
    )

    assert sweep.apply().get() == 0

    message.refresh_from_db()
    assert message.failed_at is not None
    assert message.secrets == {}
    assert sent_to == []
    assert sweep.apply().get() == 0, "a message given up is not tried again"


def test_the_error_kept_on_a_message_names_no_address(monkeypatch):
    def refused(**arguments):
        raise SMTPRecipientsRefused({"someone@alice.example": (550, b"No such user")})

    monkeypatch.setitem(handlers._handlers, "test_refused", refused)
    message = Message.objects.create(kind="test_refused", arguments={})

    with pytest.raises(SMTPRecipientsRefused):
        deliver.run(message.pk)

    message.refresh_from_db()
    assert message.last_error == "SMTPRecipientsRefused"
    assert message.sent_at is None


def test_sent_messages_are_removed_once_old(sent_to):
    now = timezone.now()
    old = Message.objects.create(
        kind="test_note", sent_at=now - KEEP_SENT - timedelta(1)
    )
    recent = Message.objects.create(kind="test_note", sent_at=now - timedelta(days=1))
    unsent = Message.objects.create(kind="test_note")

    assert purge.apply().get() == 1

    assert set(Message.objects.values_list("pk", flat=True)) == {recent.pk, unsent.pk}
    assert not Message.objects.filter(pk=old.pk).exists()
