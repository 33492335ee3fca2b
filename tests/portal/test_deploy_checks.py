"""`manage.py check --deploy` fails on what would make a real site an open one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import TOTPDevice
from accounts.services import mfa
from portal.checks import (
    KNOWN_SECRETS,
    check_no_published_secrets,
    check_secrets_are_set,
)
from tests.conftest import make_member
from tests.factories import CentreFactory

from ..accounts.mfa_helpers import give_authenticator

ROOT = Path(__file__).resolve().parents[2]


def _ids(messages) -> set[str]:
    return {message.id for message in messages}


@pytest.mark.django_db
def test_a_site_with_its_own_secrets_and_no_demo_passes():
    give_authenticator(make_member(CentreFactory()))

    assert check_no_published_secrets() == []


@pytest.mark.django_db
def test_the_demo_accounts_fail_the_deploy_check():
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    assert {"portal.E005", "portal.E006"} <= _ids(check_no_published_secrets())


@pytest.mark.django_db
def test_the_demo_authenticator_key_on_any_account_fails_the_deploy_check():
    from portal.demo import DEMO_TOTP_SECRET

    user = make_member(CentreFactory())
    TOTPDevice.objects.create(user=user, encrypted_secret=mfa.seal(DEMO_TOTP_SECRET))

    assert _ids(check_no_published_secrets()) == {"portal.E006"}


@pytest.mark.django_db
def test_secrets_sealed_with_another_key_fail_the_deploy_check(settings):
    give_authenticator(make_member(CentreFactory()))
    settings.MFA_ENCRYPTION_KEY = "a-different-key-from-the-one-that-sealed-them"

    assert _ids(check_no_published_secrets()) == {"portal.E007"}


@pytest.mark.parametrize(
    "setting, value",
    [
        ("SECRET_KEY", "change-me-to-a-long-random-string-before-real-use"),
        ("SECRET_KEY", "django-insecure-embedded-default-only-for-local-use"),
        ("MFA_ENCRYPTION_KEY", "change-me-too-authenticator-secrets-key"),
    ],
)
@pytest.mark.django_db
def test_published_key_values_fail_the_deploy_check(settings, setting, value):
    setattr(settings, setting, value)

    assert "portal.E003" in _ids(check_no_published_secrets())


@pytest.mark.django_db
def test_the_compose_files_storage_password_fails_the_deploy_check(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "evidence", "secret_key": "portal-secret"},
        },
    }

    assert "portal.E003" in _ids(check_no_published_secrets())


@pytest.mark.django_db
def test_an_unset_authenticator_key_fails_the_deploy_check_and_start_up(settings):
    settings.MFA_ENCRYPTION_KEY = ""

    assert "portal.E004" in _ids(check_no_published_secrets())
    assert "portal.E002" in _ids(check_secrets_are_set())
    with pytest.raises(SystemCheckError, match="MFA_ENCRYPTION_KEY must be set"):
        call_command("check")


def test_every_default_secret_in_the_compose_file_is_known_to_the_deploy_check():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["x-portal-env"]
    defaults = {
        value.split(":-", 1)[1].rstrip("}")
        for name, value in env.items()
        if name in {"DJANGO_SECRET_KEY", "MFA_ENCRYPTION_KEY", "AWS_SECRET_ACCESS_KEY"}
    }

    assert len(defaults) == 3
    assert defaults <= KNOWN_SECRETS


def test_celery_worker_and_beat_refuse_to_start_without_the_secrets(settings):
    from celery.signals import beat_init, worker_init

    settings.MFA_ENCRYPTION_KEY = ""

    for signal in (worker_init, beat_init):
        with pytest.raises(SystemExit, match="MFA_ENCRYPTION_KEY must be set"):
            signal.send(sender=object())
