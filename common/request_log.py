"""One request id from the load balancer to the last Celery task it caused, in every log line.

- `RequestIdMiddleware` takes a well-formed `X-Request-ID` from the load balancer, or makes
  one, keeps it for the request and sends it back in the response.
- Celery signals carry it in the headers of every task sent during the request; the task
  that runs takes it back, so a sample or PDF logs the id of the submission that asked.
- `JsonFormatter` writes each record as one JSON object with the id, and the task's name
  and id inside a worker.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
TASK_HEADER = "request_id"
# What we accept from outside: ids of 8 to 64 letters, digits, dashes or underscores.
ACCEPTED = re.compile(r"[A-Za-z0-9_-]{8,64}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_task: ContextVar[tuple[str, str] | None] = ContextVar(
    "current_task", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.META.get(META_KEY, "")
        rid = offered if ACCEPTED.fullmatch(offered) else new_request_id()
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(TASK_HEADER, rid)


_task_tokens: dict[str, tuple[Any, Any]] = {}


@task_prerun.connect
def _take_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    rid = getattr(request, TASK_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    )
    # A task from beat or a shell has no request behind it: its own id stands in.
    _task_tokens[task_id] = (
        request_id.set(rid if isinstance(rid, str) else task_id),
        current_task.set((getattr(task, "name", ""), task_id)),
    )


@task_postrun.connect
def _drop_request_id(task_id: str = "", **kwargs: Any) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is not None:
        current_task.reset(tokens[1])
        request_id.reset(tokens[0])


class RequestIdFilter(logging.Filter):
    """Puts the request id (and the task, in a worker) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        task = current_task.get()
        record.task_name, record.task_id = task if task else ("", "")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if getattr(record, "task_id", ""):
            entry["task"] = record.task_name  # type: ignore[attr-defined]
            entry["task_id"] = record.task_id  # type: ignore[attr-defined]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
