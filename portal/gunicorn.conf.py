"""gunicorn settings for the web container; each can be overridden by an environment variable.

Sync workers: the views are short database round-trips; big uploads arrive in chunks (each
request short), so no worker is kept busy for minutes.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# A worker silent for longer than this is restarted; PDFs and samples run in Celery instead.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never takes a process down on deadline day.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = "-"
# gunicorn's usual line plus the time taken (microseconds) and the request id, which
# matches the id in the application's JSON log lines (common/request_log.py).
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s '
    "%({x-request-id}o)s"
)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
