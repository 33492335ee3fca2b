"""Settings for the portal.

With no environment variables set this is the embedded default: SQLite in the project folder,
Celery tasks run in-process, files under ./media, e-mail printed to the console. Production (and
the test suite) switch to PostgreSQL, Redis, S3 and SMTP through the variables read below; see
docs/operations.md for the list.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from common.env import (
    env_bool,
    env_int,
    env_list,
    env_scanner,
    env_str,
)

# Lets the admin classes name their model (admin.ModelAdmin[Unit]) for the type
# checker: Django's generic classes take type arguments at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: only the embedded run command (bin/run) turns it on. Django's
# technical 500 page shows local variables (secrets among them) whatever
# sensitive_variables says, so no deployed process may fall into it by default.
DEBUG = env_bool("DJANGO_DEBUG", default=False)

# The embedded run gets a fixed development key; everything else must bring its own
# secret. Not required here, so tools that sign nothing (mypy, compilemessages) run
# without one; portal/checks.py stops every server, command and worker that lacks it.
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY",
    "django-insecure-embedded-default-only-for-local-use" if DEBUG else "",
)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Where the portal is reached, for links in e-mails sent outside a request (tasks, shell).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
# The exam board that runs the portal and issues its training certificates, as it names
# itself in English and in Welsh (WJEC / CBAC); blank, the portal's own name stands in.
BOARD_NAME = env_str("BOARD_NAME")
BOARD_NAME_CY = env_str("BOARD_NAME_CY")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "portal",
    "outbox",
    "centres",
    "accounts",
    "iamis",
    "sampling",
    "uploads",
    "moderation",
    "reports",
    "marksheets",
    "training",
    "guides",
    "console",
    "audit",
    "notifications",
    "axes",
]

MIDDLEWARE = [
    # Every response, probes too, carries the request id its log lines carry.
    "common.request_log.RequestIdMiddleware",
    # Load balancers' probes are answered before host checks and the HTTPS redirect.
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the form: the views marked allow_many_fields get their cap.
    "common.post_limits.ManyFieldsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # no-store for every response to someone signed in (or signing in).
    "common.cache_control.CacheControlMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "centres.tenancy.TenancyMiddleware",
    "audit.middleware.AccessRefusedAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.root_urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.context_processors.session_lifetime",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must hold fast typing from several tabs: WAL lets pages read
    # while a save writes, IMMEDIATE takes the write lock when a transaction starts (so
    # two saves queue instead of failing to upgrade a read lock: "database is locked"),
    # and a save waits up to 20 s for the lock rather than answering 500.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "iamis"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker the embedded default runs every task in-process, at enqueue time.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# Longer than the longest task, so Redis does not hand a running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", 600_000
)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Beat's crontab hours are UK hours (07:00 reminders, 03:30 retention); Celery would
# take TIME_ZONE anyway, this says so where the schedule is.
CELERY_TIMEZONE = "Europe/London"
# The worker logs through LOGGING below (JSON with request ids), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # E-mails whose hand-over to a worker failed (Redis away at commit) or that are still
    # unsent long after it are handed over again (outbox/tasks.py).
    "sweep-outbox": {
        "task": "outbox.sweep",
        "schedule": 60.0,
        # A sweep still queued when the next is due is dropped, not run twice.
        "options": {"expires": 55},
    },
    "purge-sent-outbox": {
        "task": "outbox.purge",
        "schedule": crontab(hour=3, minute=40),
    },
    # A sample whose task was lost (crash between commit and enqueue) is queued again.
    "requeue-pending-samples": {
        "task": "sampling.requeue_pending_samples",
        "schedule": 300.0,
    },
    # Uploads: lock evidence files once the deletion cutoff passes; remove the parts of
    # uploads nobody finished.
    "lock-files-past-cutoff": {
        "task": "uploads.lock_files_past_cutoff",
        "schedule": 900.0,
    },
    "clean-abandoned-uploads": {
        "task": "uploads.clean_abandoned_uploads",
        "schedule": 3600.0,
    },
    # A file whose virus scan was lost (a crash between commit and enqueue, a scanner
    # down for longer than the task's retries) is queued again.
    "requeue-pending-scans": {
        "task": "uploads.requeue_pending_scans",
        "schedule": 300.0,
    },
    # Training: archive every academic year that has ended (from 1 August); daily, so a
    # missed run is caught up the next day.
    "archive-training-years": {
        "task": "training.archive_years",
        "schedule": crontab(hour=2, minute=15),
    },
    # A PDF whose render task was lost (a worker killed mid-render) is queued again.
    "requeue-stuck-renders": {
        "task": "reports.requeue_stuck_renders",
        "schedule": 300.0,
    },
    # E-mail: deadline reminders (7 days and 1 day before a unit's deadline, for sheets
    # not submitted) and moderator reports reaching results day; each sent once.
    "send-due-notifications": {
        "task": "notifications.send_due",
        "schedule": crontab(hour=7, minute=0),
    },
    # Retention (docs/operations.md, "Retention"): daily, so a day's results pass their period on
    # time; a run with nothing due changes nothing.
    "apply-retention": {
        "task": "portal.apply_retention",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- Files ----------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root whatever a page says (/favicon.ico), served
# by WhiteNoise from here.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            # Server-made unique keys; never overwrite, short-lived v4 signed URLs.
            "file_overwrite": False,
            "default_acl": None,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
# Evidence uploads: at most 1 GiB a file (the guide's "1GB"), sent in chunks so each
# request stays short; parts of an upload idle this long are removed.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 1024**3)
# The largest chunk the server takes. Each chunk pays a signed-in request (~25 ms on the
# bench machine), so fewer, larger chunks are faster; a chunk is streamed, never held
# whole. The browser starts at 4 MiB and grows or shrinks its chunks to take about 4 s
# each (static/js/uploads.js), so a slow link never sends one a sync worker would time
# out on (GUNICORN_TIMEOUT, 30 s).
UPLOAD_CHUNK_BYTES = env_int("UPLOAD_CHUNK_BYTES", 64 * 1024 * 1024)
# On S3 browsers send files straight to the bucket in parts of this size, the last one
# smaller (uploads/direct.py; S3 takes parts of 5 MiB to 5 GiB, at most 10,000).
UPLOAD_PART_BYTES = env_int("UPLOAD_PART_BYTES", 8 * 1024 * 1024)
UPLOAD_ABANDON_HOURS = env_int("UPLOAD_ABANDON_HOURS", 24)
# Retention, counted in days after the series' results day: evidence files and report
# PDFs after the review-of-moderation and appeals window; candidates' names and dates of
# birth once every series they were entered for is that far past.
RETENTION_EVIDENCE_DAYS = env_int("RETENTION_EVIDENCE_DAYS", 180)
RETENTION_CANDIDATE_DAYS = env_int("RETENTION_CANDIDATE_DAYS", 365)
# Every new file is scanned for viruses before anyone outside its centre can download it.
# "clamd://host:3310" streams it to ClamAV's daemon (docker-compose.yml runs one); "eicar",
# the embedded default's, is a stand-in that flags only the EICAR test string (check
# --deploy warns about it). A scan waits this long for clamd; a file still pending this
# many minutes after it was queued is queued again by beat.
UPLOAD_SCANNER = env_scanner("UPLOAD_SCANNER", "eicar")
UPLOAD_SCANNER_TIMEOUT = env_int("UPLOAD_SCANNER_TIMEOUT", 240)
UPLOAD_SCAN_STUCK_MINUTES = env_int("UPLOAD_SCAN_STUCK_MINUTES", 15)

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        # Hashed, compressed names in production (after collectstatic); plain files for
        # the embedded default and the test suite.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Django 6.1 mailers: SMTP when EMAIL_HOST is set, otherwise messages print to the console.
EMAIL_HOST_NAME = env_str("EMAIL_HOST")
if EMAIL_HOST_NAME:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST_NAME,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER") or None,
                "password": env_str("EMAIL_HOST_PASSWORD") or None,
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": env_int("EMAIL_TIMEOUT", 20),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IAMIS Portal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts and sessions ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many proxies (load balancers) in front of the app append to X-Forwarded-For; the
# client's address for lockouts, rate limits and audit rows is read from there
# (common/client_ip.py). 0: the app faces clients and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "common.client_ip.client_ip"
# Lock the pair (e-mail, IP) after repeated failures, for a while (ASVS 8.3.x); the same
# message is shown whether or not the e-mail address has an account.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.sign_in.locked_out"
AXES_USERNAME_CALLABLE = "accounts.views.sign_in.axes_username"
AXES_VERBOSE = False
# Reset links work once and for 3 days at most (Django's default), stated on the page.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Encrypts authenticator secrets at rest. Required with DEBUG off (portal/checks.py), so
# that changing SECRET_KEY never makes them unreadable; bin/run derives it from
# SECRET_KEY.
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"
# Argon2id first; PBKDF2 stays so older hashes still verify and are re-hashed at next sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idOwaspHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after 20 minutes idle, as the original system does (ASVS 7.3.1), and after
# 12 hours in all (7.3.2); accounts.middleware enforces both and tells the person why.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 20 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# A session is written only when it changed: "last seen" moves on at most once this
# often, so a busy teacher's saves do not each rewrite their session. The idle rule
# allows for that lag (a session never ends before SESSION_IDLE_SECONDS of idleness).
SESSION_TOUCH_SECONDS = env_int("SESSION_TOUCH_SECONDS", 60)
SESSION_SAVE_EVERY_REQUEST = False
# The signed-in person's membership is kept this long in the shared cache, renewed by
# any change to it (centres/membership_cache.py); 0 (the embedded run) reads it each time.
MEMBERSHIP_CACHE_SECONDS = env_int("MEMBERSHIP_CACHE_SECONDS", 300 if REDIS_URL else 0)
if REDIS_URL:
    # Read from the shared cache, written through to the database: no session query on
    # most requests. (Not with the embedded per-process cache: a sign-out in one process
    # would not reach another's copy.)
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security (production hardening switches on when DEBUG is off) ---------------------------
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Pages send the CSRF token from the page (htmx's hx-headers, forms), never from the
# cookie, so scripts need not read it.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form gets a page saying what happened and what to do, with no details.
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"
# Django's language switch sets its cookie with these; the sign-in and profile pages set
# it the same way.
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if SECURE_COOKIES:
    # __Host- cookies are bound to this exact host over HTTPS (ASVS 3.3.3). Browsers
    # refuse the prefix without Secure, so plain-HTTP local use keeps Django's names.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
# Messages wait in the session rather than in a cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if AWS_STORAGE_BUCKET_NAME:
    # Direct uploads: the browser PUTs parts to the bucket (uploads/direct.py), whose
    # CORS rules must allow PUT from the site.
    _store = urlsplit(env_str("AWS_S3_ENDPOINT_URL") or "https://*.amazonaws.com")
    SECURE_CSP["connect-src"] = [CSP.SELF, f"{_store.scheme}://{_store.netloc}"]

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cy", _("Cymraeg"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/London"
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------
# One JSON object a line with the request id (common/request_log.py), for the log
# collector; the embedded default (DEBUG) prints plain lines a person can read.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "common.request_log.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every reset at INFO; its lockouts are in our audit events anyway.
    # WeasyPrint logs every layout step at INFO; its warnings still show.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
