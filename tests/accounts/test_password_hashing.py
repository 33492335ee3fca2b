"""Passwords are stored with Argon2id at OWASP's baseline; older hashes upgrade at sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from portal import settings as project_settings
from tests.factories import PASSWORD, UserFactory

from .mfa_helpers import give_authenticator, sign_in


@pytest.fixture
def project_hashers(settings):
    # Undo the suite's fast MD5 hashing: these tests are about the real choice.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


@pytest.mark.django_db
def test_new_passwords_are_stored_as_argon2id_with_owasp_parameters(project_hashers):
    user = UserFactory()

    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")


def test_an_older_pbkdf2_hash_still_signs_in_and_is_upgraded(
    client, two_centres, project_hashers
):
    alice = two_centres.alice
    alice.password = make_password(
        PASSWORD, hasher="pbkdf2_sha256"
    )  # as stored before this change
    alice.save(update_fields=["password"])
    totp = give_authenticator(alice)

    sign_in(client, "alice@alice.example", totp.now())

    alice.refresh_from_db()
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert alice.password.startswith("argon2$argon2id$")
    assert alice.check_password(PASSWORD)
