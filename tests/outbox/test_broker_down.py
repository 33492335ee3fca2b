"""The outbox keeps an e-mail whose change committed while Redis was unreachable, and a
real worker sends it, once, when Redis returns (the beat's sweep hands it over)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core import mail

from marksheets.services.change_requests import change_request_reject
from notifications.models import SentNotification
from outbox.models import Message
from outbox.tasks import sweep
from portal.celery import app
from tests.factories import UserFactory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Broker:
    """A Redis server of the test's own, so stopping it stops nobody else's."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed (bin/test starts Redis with it)"
        self.process = subprocess.Popen(  # noqa: S603 (a fixed argument list)
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the test's Redis did not start"
                time.sleep(0.05)

    def is_idle(self) -> bool:
        """Nothing queued and nothing taken but unfinished (kombu's "unacked")."""
        client = redis.Redis.from_url(self.url)
        return client.llen("default") == 0 and client.hlen("unacked") == 0

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    # Celery keeps its connections: forget them so the next publish uses `url`.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_broker() -> Iterator[Broker]:
    broker = Broker(port=_free_port())
    broker.start()
    previous = app.conf.broker_url
    _use_broker(broker.url)
    try:
        yield broker
    finally:
        _use_broker(previous)
        if broker.process is not None:
            broker.stop()


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.notifications_through_redis
@pytest.mark.django_db(transaction=True)
def test_an_email_committed_while_the_broker_is_down_is_sent_once_it_returns(
    two_centres, own_broker
):
    board_staff = UserFactory(email="staff@board.example", is_staff=True)
    own_broker.stop()

    change_request_reject(
        change_request=two_centres.alice_change_request,
        acting_user=board_staff,
        note="The script says 20.",
    )

    # The decision committed; its e-mail waits in the outbox, never handed over.
    [message] = Message.objects.filter(kind="change_request_decided")
    assert (message.published_at, message.sent_at) == (None, None)
    assert mail.outbox == []

    own_broker.start()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sweep.delay()  # what beat sends every minute
        _wait_for(lambda: len(mail.outbox) >= 1)
        # A second sweep, and the same message delivered again, send nothing more.
        sweep.delay()
        app.tasks["outbox.deliver"].delay(message.pk)
        _wait_for(own_broker.is_idle)

    [email] = mail.outbox
    assert email.subject.startswith("Mark change request rejected:")
    assert "alice@alice.example" in email.to
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts >= 1
    assert SentNotification.objects.filter(kind="change_request_decided").count() == (
        len(email.to)
    )
