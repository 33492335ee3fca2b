"""Edit your profile: name, language, password and authenticator (the signed-in person only).

Replacing the authenticator asks for proof first (a code from the current app, or a recovery
code), because a session left open must not be enough to take over someone's MFA.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from audit.models import AuditEvent
from audit.services import audit_record

from ..models import User
from . import mfa

PROFILE_FIELDS = ("first_name", "last_name", "language")


def profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    language: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """Save name and language preference; returns the fields that changed."""
    after = {
        "first_name": " ".join(first_name.split()),
        "last_name": " ".join(last_name.split()),
        "language": language,
    }
    with transaction.atomic():
        before = {name: getattr(user, name) for name in PROFILE_FIELDS}
        changed = [name for name in PROFILE_FIELDS if before[name] != after[name]]
        if not changed:
            return []
        for name in changed:
            setattr(user, name, after[name])
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
        audit_record(
            action=AuditEvent.Action.PROFILE_CHANGED,
            actor=user,
            target=user.email,
            request=request,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return changed


def reminders_set(
    *, user: User, deadline_reminders: bool, request: HttpRequest | None = None
) -> bool:
    """Switch the deadline reminder e-mails on or off; returns whether it changed."""
    with transaction.atomic():
        before = user.deadline_reminders
        if before == deadline_reminders:
            return False
        user.deadline_reminders = deadline_reminders
        user.save(update_fields=["deadline_reminders"])
        audit_record(
            action=AuditEvent.Action.PROFILE_CHANGED,
            actor=user,
            target=user.email,
            request=request,
            before={"deadline_reminders": before},
            after={"deadline_reminders": deadline_reminders},
        )
    return True


@sensitive_variables()
def password_change(
    *, user: User, new_password: str, request: HttpRequest | None = None
) -> None:
    """Set a new password (the form has checked the current one and the validators)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(
            action=AuditEvent.Action.PASSWORD_CHANGED,
            actor=user,
            target=user.email,
            request=request,
        )


@sensitive_variables()
def authenticator_prove(
    *,
    user: User,
    code: str = "",
    recovery_code: str = "",
    request: HttpRequest | None = None,
) -> bool:
    """Check a code from the current authenticator, or spend a recovery code.

    Each works once. A failure is recorded as refused access; codes are never logged.
    """
    with transaction.atomic():
        device = mfa.confirmed_device(user)
        if code:
            proved = device is not None and mfa.totp_verify(device=device, code=code)
        else:
            proved = mfa.recovery_code_use(user=user, code=recovery_code)
            if proved:
                audit_record(
                    action=AuditEvent.Action.RECOVERY_CODE_USED,
                    actor=user,
                    target=user.email,
                    request=request,
                    purpose="replace_authenticator",
                    left=mfa.recovery_codes_left(user=user),
                )
        if not proved:
            audit_record(
                action=AuditEvent.Action.ACCESS_REFUSED,
                actor=user,
                target=user.email,
                request=request,
                purpose="replace_authenticator",
                method="totp" if code else "recovery_code",
            )
    return proved


@sensitive_variables()
def authenticator_replace(
    *, user: User, secret: str, code: str, request: HttpRequest | None = None
) -> list[str] | None:
    """Swap in the new authenticator once a code from it matches; fresh recovery codes.

    Returns the new recovery codes (to show once), or None when the code does not match, in
    which case the old authenticator and codes stay in force.
    """
    with transaction.atomic():
        device = mfa.device_enrol(user=user, secret=secret, code=code)
        if device is None:
            return None
        codes = mfa.recovery_codes_issue(user=user)
        audit_record(
            action=AuditEvent.Action.MFA_REPLACED,
            actor=user,
            target=user.email,
            request=request,
        )
    return codes
