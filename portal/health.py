"""`/healthz` (the process is up) and `/readyz` (it can reach what it needs), for load
balancers and orchestrators.

Answered by the first middleware, before host validation, the HTTPS redirect, sessions and
everything else: a load balancer probes each machine by its own address over plain HTTP,
and a probe must not create sessions or depend on the very things it checks. The answers
name each dependency and say ok or failing; the reasons go to the log only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# A name no upload can have (server-made keys are uuids under a folder): a HEAD on S3.
STORAGE_PROBE = "readyz-probe"
REDIS_TIMEOUT_SECONDS = 2


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    if isinstance(default_storage, FileSystemStorage):
        location = default_storage.location
        # The store makes its folder on the first save; do it now, as that save would.
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise OSError(f"{location} is not a writable folder")
        return
    default_storage.exists(STORAGE_PROBE)


def readiness() -> dict[str, str]:
    """Each dependency: "ok", "failing", or "not used" (the embedded default has no Redis)."""
    checks: dict[str, Callable[[], None] | None] = {
        "database": _database,
        "redis": _redis if settings.REDIS_URL else None,
        "storage": _storage,
    }
    results = {}
    for name, check in checks.items():
        if check is None:
            results[name] = "not used"
            continue
        try:
            check()
        except Exception:
            logger.exception("readiness check failed: %s", name)
            results[name] = "failing"
        else:
            results[name] = "ok"
    return results


def _answer(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or request.path not in (
            HEALTH_PATH,
            READY_PATH,
        ):
            return self.get_response(request)
        if request.path == HEALTH_PATH:
            return _answer(200, {"status": "up"})
        checks = readiness()
        ready = all(result != "failing" for result in checks.values())
        return _answer(
            200 if ready else 503,
            {"status": "ready" if ready else "not ready", "checks": checks},
        )
