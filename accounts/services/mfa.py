"""TOTP authenticators and recovery codes.

pyotp does the TOTP arithmetic, `cryptography`'s Fernet encrypts the shared secret at rest, and
Django's password hashers store recovery codes: no hand-written crypto.
"""

from __future__ import annotations

import base64
import re
import secrets
from functools import lru_cache

import pyotp
import segno
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from ..models import RecoveryCode, TOTPDevice, User

ISSUER = "Internal Assessment Portal"
RECOVERY_CODE_COUNT = 10
# Accept the previous and next 30-second step too: phone clocks drift.
VALID_WINDOW = 1
# Six ASCII digits and nothing else. str.isdigit() and regex \d also take other scripts'
# digits (full-width "\uff11", Arabic-Indic, ...), which compare_digest refuses with a
# TypeError; fullmatch, because "$" would let a trailing newline through.
_CODE = re.compile(r"[0-9]{6}")


def is_code(value: str) -> bool:
    """Whether `value` is a 6-digit authenticator code (ASCII digits only)."""
    return _CODE.fullmatch(value) is not None


@lru_cache(maxsize=4)
@sensitive_variables()
def _fernet(key_material: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"iamis-totp-secret"
    ).derive(key_material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@sensitive_variables()
def _cipher() -> Fernet:
    return _fernet(settings.MFA_ENCRYPTION_KEY or settings.SECRET_KEY)


@sensitive_variables()
def device_secret(device: TOTPDevice) -> str:
    return unseal(device.encrypted_secret)


def user_has_mfa(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def new_secret() -> str:
    return pyotp.random_base32()


@sensitive_variables()
def seal(secret: str) -> str:
    """Encrypt a secret for storage (in the device row, or in the session while enrolling)."""
    return _cipher().encrypt(secret.encode()).decode()


@sensitive_variables()
def unseal(token: str) -> str:
    return _cipher().decrypt(token.encode()).decode()


@sensitive_variables()
def device_enrol(*, user: User, secret: str, code: str) -> TOTPDevice | None:
    """Confirm a new authenticator with a code from it; it replaces any earlier one.

    Until this succeeds the old authenticator (if any) stays in force, so replacing one never
    leaves the account without MFA.
    """
    step = _matching_step(secret, code)
    if step is None:
        return None
    device, _created = TOTPDevice.objects.update_or_create(
        user=user,
        defaults={
            "encrypted_secret": seal(secret),
            "confirmed_at": timezone.now(),
            "last_used_step": step,
        },
    )
    return device


@sensitive_variables()
def provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI for an <img> (no external request, and no
    markup printed unescaped into the page)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


@sensitive_variables()
def _matching_step(secret: str, code: str) -> int | None:
    code = code.strip().replace(" ", "")
    if not is_code(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(timezone.now())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@sensitive_variables()
def totp_verify(*, device: TOTPDevice, code: str) -> bool:
    """Check a code once: a step at or before the last accepted one is refused (replay)."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        step = _matching_step(device_secret(locked), code)
        if step is None:
            return False
        if locked.last_used_step is not None and step <= locked.last_used_step:
            return False
        locked.last_used_step = step
        locked.save(update_fields=["last_used_step"])
    device.last_used_step = step
    return True


def _normalise_recovery_code(code: str) -> str:
    return code.strip().replace("-", "").replace(" ", "").lower()


@sensitive_variables()
def _recovery_hash(code: str) -> str:
    # Keyed with the server secret: a stolen table alone cannot be brute-forced offline,
    # and 48 random bits per code outlast the sign-in throttle online.
    return salted_hmac(
        "iamis.recovery-code", _normalise_recovery_code(code), algorithm="sha256"
    ).hexdigest()


@transaction.atomic
@sensitive_variables()
def recovery_codes_issue(*, user: User) -> list[str]:
    """Ten fresh one-time codes, shown once; earlier codes stop working."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [secrets.token_hex(6) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes
    )
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


@sensitive_variables()
def recovery_code_use(*, user: User, code: str) -> bool:
    """Spend one unused recovery code; each works once."""
    updated = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return updated == 1


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
