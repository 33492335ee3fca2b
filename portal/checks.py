"""System checks for the secrets production must bring.

Settings read the environment without failing, so tools that sign nothing (mypy's Django
plugin, compilemessages, collectstatic at image build) run without secrets. Everything
that serves or works refuses to start without them: `manage.py` commands through these
checks (the compose file's `migrate` first of all), gunicorn through `portal.wsgi`, and
Celery's worker and beat through `portal.celery`.
"""

from __future__ import annotations

from typing import Any, cast

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

# Values anyone can read: the embedded run's key (settings), and docker-compose.yml's
# defaults for a local try-out. A real site that kept one has no secret at all.
KNOWN_SECRETS = frozenset(
    {
        "django-insecure-embedded-default-only-for-local-use",
        "change-me-to-a-long-random-string-before-real-use",
        "change-me-too-authenticator-secrets-key",
        "portal-secret",
    }
)


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
    if not settings.DEBUG and not settings.MFA_ENCRYPTION_KEY:
        # Without its own key the authenticator secrets are sealed with SECRET_KEY, and
        # changing that would leave everyone stuck at the code step.
        errors.append(
            checks.Error(
                "The environment variable MFA_ENCRYPTION_KEY must be set.",
                hint=(
                    "A long random value, kept apart from DJANGO_SECRET_KEY. A site "
                    "that ran without it sealed its authenticators with the secret "
                    "key: set MFA_ENCRYPTION_KEY to that value to keep them."
                ),
                id="portal.E002",
            )
        )
    return errors


def refuse_to_start_without_secrets() -> None:
    """For entry points that run no system checks (gunicorn, Celery)."""
    problems = check_secrets_are_set()
    if problems:
        raise ImproperlyConfigured(" ".join(str(p.msg) for p in problems))


@checks.register(checks.Tags.security, deploy=True)
def check_no_published_secrets(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A real site has no demo accounts and none of the published key values."""
    errors: list[checks.CheckMessage] = []
    published = {
        "DJANGO_SECRET_KEY": settings.SECRET_KEY if _secret_key_set() else "",
        "MFA_ENCRYPTION_KEY": settings.MFA_ENCRYPTION_KEY,
        "AWS_SECRET_ACCESS_KEY (MINIO_ROOT_PASSWORD)": _storage_secret(),
    }
    for name, value in published.items():
        if value and value in KNOWN_SECRETS:
            errors.append(
                checks.Error(
                    f"{name} has a value published in this project's files.",
                    hint="Set a long random value of your own.",
                    id="portal.E003",
                )
            )
    if not settings.MFA_ENCRYPTION_KEY:
        errors.append(
            checks.Error(
                "MFA_ENCRYPTION_KEY is not set: authenticator secrets are sealed "
                "with DJANGO_SECRET_KEY, so changing that key locks everyone out.",
                hint="Set MFA_ENCRYPTION_KEY (see docs/operations.md, Settings).",
                id="portal.E004",
            )
        )
    errors += _demo_data_problems()
    return errors


def _storage_secret() -> str:
    default = cast(dict[str, Any], settings.STORAGES["default"])
    options = cast(dict[str, Any], default.get("OPTIONS") or {})
    return str(options.get("secret_key") or "")


def _demo_data_problems() -> list[checks.CheckMessage]:
    """The demo's accounts and authenticator key, in the database the site uses."""
    from accounts.models import TOTPDevice, User
    from accounts.services import mfa
    from portal.demo import DEMO_EMAILS, DEMO_TOTP_SECRET

    errors: list[checks.CheckMessage] = []
    try:
        demo_accounts = User.objects.filter(email__in=DEMO_EMAILS).count()
        sealed = list(TOTPDevice.objects.values_list("encrypted_secret", flat=True))
    except DatabaseError:
        # No database to look in (an image build, a machine without access): the
        # release job, which migrates, can.
        return errors
    if demo_accounts:
        errors.append(
            checks.Error(
                f"{demo_accounts} demo account(s) exist; their password and "
                "authenticator key are published in README.md.",
                hint="Delete them in the back office (manage.py demo_data made them).",
                id="portal.E005",
            )
        )
    unreadable = demo_key = 0
    for token in sealed:
        try:
            demo_key += mfa.unseal(token) == DEMO_TOTP_SECRET
        except InvalidToken:
            unreadable += 1
    if demo_key:
        errors.append(
            checks.Error(
                f"{demo_key} authenticator(s) use the demo's published key.",
                hint="Remove those accounts' authenticators; they set up new ones.",
                id="portal.E006",
            )
        )
    if unreadable:
        errors.append(
            checks.Error(
                f"{unreadable} authenticator secret(s) cannot be read with "
                "MFA_ENCRYPTION_KEY: those people could not sign in.",
                hint="MFA_ENCRYPTION_KEY (or, without it, DJANGO_SECRET_KEY) changed; "
                "set it back to the value the secrets were sealed with.",
                id="portal.E007",
            )
        )
    return errors


@checks.register(deploy=True)
def check_board_named(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Training certificates name the board that issues them (common/board.py)."""
    if settings.BOARD_NAME:
        return []
    return [
        checks.Warning(
            "BOARD_NAME is not set: training certificates name the portal itself as "
            "their issuer instead of the exam board.",
            hint="Set BOARD_NAME, and BOARD_NAME_CY for Welsh certificates "
            "(see docs/operations.md, Settings).",
            id="portal.W001",
        )
    ]
