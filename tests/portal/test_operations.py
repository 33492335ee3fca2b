"""Operations: health and readiness probes, request ids from the web into Celery, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from common import request_log
from portal.celery import app


def test_healthz_answers_without_the_database_a_session_or_a_known_host(
    client, db, settings, django_assert_num_queries
):
    settings.SECURE_SSL_REDIRECT = True

    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "up"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def _store_files_at(settings, location) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }


def _break_the_file_store(settings, tmp_path) -> None:
    # A file where the store's folder should be, as when a volume is not mounted right.
    blocker = tmp_path / "media"
    blocker.write_text("not a folder")
    _store_files_at(settings, blocker)


def test_readyz_says_each_dependency_is_ok(client, db, settings, tmp_path):
    _store_files_at(settings, tmp_path / "media")

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "storage": "ok"},
    }


def test_readyz_fails_when_redis_cannot_be_reached_and_says_no_more(
    client, db, settings, tmp_path, caplog
):
    _store_files_at(settings, tmp_path / "media")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "not ready",
        "checks": {"database": "ok", "redis": "failing", "storage": "ok"},
    }
    # The reason is in the server's log, not the answer.
    assert "readiness check failed: redis" in caplog.text
    assert "Connection" not in response.text


def test_readyz_fails_when_the_file_store_is_broken(client, db, settings, tmp_path):
    _break_the_file_store(settings, tmp_path)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "failing"


def test_every_response_carries_a_request_id(client, db):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/accounts/sign-in/").headers["X-Request-ID"]

    assert len(first) == 32 and len(second) == 32
    assert first != second


def test_a_load_balancers_request_id_is_kept_and_a_malformed_one_replaced(client, db):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nInjected: yes")

    assert kept.headers["X-Request-ID"] == "lb-0123456789abcdef"
    assert "Injected" not in replaced.headers["X-Request-ID"]
    assert len(replaced.headers["X-Request-ID"]) == 32


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.fixture
def json_log():
    """The JSON lines of the loggers under test (not the root's: a starting worker
    configures logging again, which replaces the root's handlers)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(request_log.RequestIdFilter())
    handler.setFormatter(request_log.JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("portal.health", "tests")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def test_log_lines_are_json_with_the_request_id(
    client, db, settings, tmp_path, json_log
):
    _break_the_file_store(settings, tmp_path)

    response = client.get("/readyz", HTTP_X_REQUEST_ID="trace-4242424242")

    assert response.status_code == 503
    lines = [
        line
        for line in _json_lines(json_log)
        if line["message"] == "readiness check failed: storage"
    ]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "trace-4242424242"
    assert lines[0]["level"] == "ERROR"
    assert "FileExistsError" in lines[0]["exception"]


@shared_task(name="tests.remember_request_id")
def remember_request_id(key: str) -> None:
    logging.getLogger("tests.remember_request_id").info("task ran")
    cache.set(key, request_log.request_id.get(), timeout=60)


def test_a_task_sent_during_a_request_logs_that_requests_id(db, json_log):
    token = request_log.request_id.set("submit-77777777")
    try:
        remember_request_id.delay("rid:task")
    finally:
        request_log.request_id.reset(token)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 15
        while cache.get("rid:task") is None and time.monotonic() < deadline:
            time.sleep(0.1)

    assert cache.get("rid:task") == "submit-77777777"
    ran = [line for line in _json_lines(json_log) if line["message"] == "task ran"]
    assert ran and ran[0]["request_id"] == "submit-77777777"
    assert ran[0]["task"] == "tests.remember_request_id"


def test_a_task_with_no_request_behind_it_logs_its_own_id(db):
    remember_request_id.apply(args=["rid:beat"], task_id="beat-task-0001").get()

    assert cache.get("rid:beat") == "beat-task-0001"
