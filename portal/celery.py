"""The Celery application: workers for samples, PDFs, e-mail and the upload cutoff."""

from __future__ import annotations

import os

from celery import Celery

# Carries the request id into every task sent and logged (its signals connect on import).
import common.request_log  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Tasks start with no centre scope and set their own (common/scoping.py).
app = Celery("portal", task_cls="common.scoping:ScopeFreshTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
