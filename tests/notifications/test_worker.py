"""The deployed path: a notification queued on commit goes through Redis to a worker."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from notifications.models import SentNotification
from portal.celery import app
from sampling.services import marks_submit
from tests.sampling.sheets import worked_sheet


@pytest.mark.notifications_through_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_receipt_and_then_the_sample_ready_email(two_centres):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    unit = worked_sheet(two_centres)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        submission = marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        )
        deadline = time.monotonic() + 20
        while len(mail.outbox) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)

    assert [(m.subject, tuple(m.to)) for m in mail.outbox] == [
        (f"Marks submitted: {unit.code}, 12 candidates", ("alice@alice.example",)),
        (f"Sample ready: {unit.code}", ("alice@alice.example",)),
    ]
    receipts = SentNotification.objects.filter(about=f"submission-{submission.pk}")
    assert receipts.count() == 1
