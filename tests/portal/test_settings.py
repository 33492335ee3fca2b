"""Settings come from the environment: an embedded default, and production by variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]
_OURS = (
    "DJANGO_",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_",
    "AWS_",
    "EMAIL_",
    "CACHE_KEY_PREFIX",
    "MEDIA_ROOT",
    "UPLOAD_",
    "MFA_",
)

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-secret-with-enough-entropy-0123456789",
    "MFA_ENCRYPTION_KEY": "m" * 20
    + "-production-mfa-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "DJANGO_BEHIND_TLS_PROXY": "true",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "evidence",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "UPLOAD_SCANNER": "clamd://clamav.internal:3310",
    "BOARD_NAME": "Example Exam Board",
}

# What bin/run sets: the one entry point with DEBUG on.
EMBEDDED_RUN = {"DJANGO_DEBUG": "true"}

_PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "storage": settings.STORAGES["default"]["BACKEND"],
    "mailer": settings.MAILERS["default"]["BACKEND"],
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
    "idle_seconds": settings.SESSION_IDLE_SECONDS,
    "csp": bool(settings.SECURE_CSP),
    "scanner": settings.UPLOAD_SCANNER,
}))
"""


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings_under(env: dict[str, str]) -> dict[str, object]:
    result = _manage("shell", "-c", _PRINT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_variables_pass_the_deploy_check_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_asks_for_the_boards_name():
    without = {k: v for k, v in PRODUCTION.items() if k != "BOARD_NAME"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=without)

    assert result.returncode != 0
    assert "portal.W001" in result.stdout + result.stderr


def test_production_variables_switch_to_postgres_redis_s3_and_smtp():
    values = _settings_under(PRODUCTION)

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://redis.internal:6379/0"
    assert values["cache"] == "common.cache.RedisCache"
    assert values["storage"] == "storages.backends.s3.S3Storage"
    assert values["mailer"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["session_cookie"] == "__Host-sessionid"
    assert values["csrf_cookie"] == "__Host-csrftoken"
    assert values["idle_seconds"] == 20 * 60
    assert values["csp"] is True
    assert values["scanner"] == "clamd://clamav.internal:3310"


def test_no_variables_means_debug_is_off_and_a_secret_key_is_needed():
    result = _manage("check", env={})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_web_server_refuses_to_start_without_a_secret_key():
    result = _manage("shell", "-c", "import portal.wsgi", env={})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_only_the_embedded_run_command_turns_debug_on():
    assert "export DJANGO_DEBUG=true" in (ROOT / "bin/run").read_text()
    for name in ("Dockerfile", "docker-compose.yml", "bin/setup", "bin/test"):
        text = (ROOT / name).read_text()
        assert "DJANGO_DEBUG=true" not in text, name
        assert 'DJANGO_DEBUG: "true"' not in text, name


def test_the_embedded_run_means_the_embedded_default():
    values = _settings_under(EMBEDDED_RUN)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"
    assert values["mailer"] == "django.core.mail.backends.console.EmailBackend"
    assert values["scanner"] == "eicar"


def test_the_deploy_check_warns_when_uploads_are_scanned_by_the_eicar_stand_in():
    env = {k: v for k, v in PRODUCTION.items() if k != "UPLOAD_SCANNER"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "uploads.W001" in result.stderr + result.stdout


def test_a_misspelt_scanner_stops_start_up():
    result = _manage("check", env={**EMBEDDED_RUN, "UPLOAD_SCANNER": "clamav:3310"})

    assert result.returncode != 0
    assert "UPLOAD_SCANNER='clamav:3310' is not a scanner" in result.stderr


def test_turning_debug_off_without_a_secret_key_stops_start_up():
    result = _manage("check", env={"DJANGO_DEBUG": "false"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_an_unreadable_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='maybe'"):
        env_bool("DJANGO_DEBUG", default=True)


def test_an_unreadable_number_fails_loudly(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")

    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("EMAIL_PORT", 587)
