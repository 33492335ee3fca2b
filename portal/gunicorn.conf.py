"""gunicorn settings for the web container; each can be overridden by an environment variable.

Threaded workers (gthread): most views are short database round-trips and big uploads
arrive in chunks, but a download (one evidence file, or a whole sample's zip streamed from
storage) can take minutes on a school's line. A sync worker cannot tell the arbiter it is
alive while it sends, so it would be killed after `timeout` mid-download; a gthread worker's
main loop keeps beating while its threads send.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker whose main loop is stuck for longer than this is restarted (a long download is
# not: it runs in a thread); PDFs and samples run in Celery instead.
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
