"""Test helpers for accounts with an authenticator."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from django.test import Client
from django.utils import timezone

from accounts.models import TOTPDevice, User
from accounts.services import mfa
from tests.factories import PASSWORD


def give_authenticator(user: User) -> pyotp.TOTP:
    """A confirmed authenticator for `user`; returns the app's TOTP generator."""
    secret = pyotp.random_base32()
    TOTPDevice.objects.update_or_create(
        user=user,
        defaults={
            "encrypted_secret": mfa.seal(secret),
            "confirmed_at": timezone.now(),
            "last_used_step": None,
        },
    )
    return pyotp.TOTP(secret)


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (inside the accepted window)."""
    return totp.at(timezone.now() + timedelta(seconds=30))


def sign_in(client: Client, email: str, code: str, password: str = PASSWORD):
    client.post("/accounts/sign-in/", {"email": email})
    client.post("/accounts/sign-in/password/", {"password": password})
    return client.post("/accounts/sign-in/code/", {"code": code})
