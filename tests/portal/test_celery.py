"""The Celery path is real in the suite: a worker takes tasks from Redis."""

from __future__ import annotations

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache

from portal.celery import app
from portal.tasks import heartbeat


@pytest.fixture
def celery_worker():
    # The suite runs against Redis on 127.0.0.1 (bin/test sets REDIS_URL); an in-memory
    # broker here would prove nothing about the deployed path.
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def test_a_worker_runs_a_task_sent_through_redis(celery_worker):
    token = uuid.uuid4().hex

    heartbeat.delay(token)

    deadline = time.monotonic() + 15
    while cache.get(f"heartbeat:{token}") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.get(f"heartbeat:{token}") is not None
