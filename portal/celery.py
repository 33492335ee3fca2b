"""The Celery application: workers for samples, PDFs, e-mail and the upload cutoff."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

# Carries the request id into every task sent and logged (its signals connect on import).
import common.request_log  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Tasks start with no centre scope and set their own (common/scoping.py).
app = Celery("portal", task_cls="common.scoping:ScopeFreshTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_to_start_without_secrets(**kwargs: Any) -> None:
    # Workers run no system checks; a task would sign links with an empty key. Celery
    # logs and carries on past an Exception from a signal handler: SystemExit stops it.
    from django.core.exceptions import ImproperlyConfigured

    from portal.checks import refuse_to_start_without_secrets

    try:
        refuse_to_start_without_secrets()
    except ImproperlyConfigured as error:
        raise SystemExit(f"Celery cannot start: {error}") from error
