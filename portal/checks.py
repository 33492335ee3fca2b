"""System checks for the secrets production must bring.

Settings read the environment without failing, so tools that sign nothing (mypy's Django
plugin, compilemessages, collectstatic at image build) run without secrets. Everything
that serves or works refuses to start without them: `manage.py` commands through these
checks (the compose file's `migrate` first of all), gunicorn through `portal.wsgi`, and
Celery's worker and beat through `portal.celery`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def _secret_key_set() -> bool:
    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return False


@checks.register(checks.Tags.security)
def check_secrets_are_set(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not _secret_key_set():
        errors.append(
            checks.Error(
                "The environment variable DJANGO_SECRET_KEY must be set.",
                hint="Only the embedded run command (bin/run) has a built-in key.",
                id="portal.E001",
            )
        )
    return errors


def refuse_to_start_without_secrets() -> None:
    """For entry points that run no system checks (gunicorn, Celery)."""
    problems = check_secrets_are_set()
    if problems:
        raise ImproperlyConfigured(" ".join(str(p.msg) for p in problems))
