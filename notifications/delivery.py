"""Sending one notification to its recipients, once each, in each one's language.

Every e-mail has a plain-text body and an HTML alternative, rendered from templates under
`translation.override(<the recipient's language>)` and labelled with a Content-Language
header. A recipient's language is their account's preference; an address without an
account (a post-results address, an invitee) gets the language the centre or the invite
gave, English otherwise. Recipients who share a language get one message together
(they are colleagues at one centre); everyone else gets their own.

Sending once: each (notification, recipient) is a `SentNotification` row with a unique
key, inserted in the same transaction that sends the e-mail. A rerun finds the row and
sends nothing; two runs at once queue on the unique key, and the second (after an
IntegrityError and a retry) finds the row too. A crash after the mail server took the
message but before the commit would send it again on retry: e-mail offers no better.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from accounts.models import User
from accounts.selectors import exams_officer_of
from centres.models import Centre

from .models import SentNotification


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    user: User | None = None


def recipients_for(
    addresses: Iterable[str], *, language: str = "en"
) -> list[Recipient]:
    """Each address once (whatever its case), in its account's language if it has one."""
    unique: dict[str, str] = {}
    for address in addresses:
        address = (address or "").strip()
        if address:
            unique.setdefault(address.lower(), address)
    # Accounts store their address in lower case (UserManager.create_user).
    users = {
        user.email.lower(): user
        for user in User.objects.filter(email__in=list(unique), is_active=True)
    }
    return [
        Recipient(
            address=address,
            language=users[lower].language if lower in users else language,
            user=users.get(lower),
        )
        for lower, address in unique.items()
    ]


def people(users: Iterable[User]) -> list[Recipient]:
    return [Recipient(user.email, user.language, user) for user in users]


def exams_officer(centre: Centre) -> list[Recipient]:
    """The centre's exams officer: their account, or the address on the centre record."""
    membership = exams_officer_of(centre=centre)
    if membership is not None:
        return people([membership.user])
    return recipients_for([centre.exams_officer_email])


def merge(*groups: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for group in groups:
        for recipient in group:
            seen.setdefault(recipient.address.lower(), recipient)
    return list(seen.values())


def deliver(
    *,
    kind: str,
    about: str,
    recipients: list[Recipient],
    template: str,
    subject: Promise,
    subject_values: dict[str, Any] | None = None,
    context: dict[str, Any],
    centre: Centre | None,
) -> int:
    """Send `template` (.txt and .html) to everyone not already sent this notification;
    one message per language. Returns how many recipients it was sent to."""
    by_language: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        by_language.setdefault(recipient.language, []).append(recipient)
    sent = 0
    for language, group in by_language.items():
        sent += _deliver_in(
            language,
            group,
            kind=kind,
            about=about,
            template=template,
            subject=subject,
            subject_values=subject_values or {},
            context=context,
            centre=centre,
        )
    return sent


def _key(kind: str, about: str, address: str) -> str:
    return f"{kind}:{about}:{address.lower()}"


def _deliver_in(
    language: str,
    group: list[Recipient],
    *,
    kind: str,
    about: str,
    template: str,
    subject: Promise,
    subject_values: dict[str, Any],
    context: dict[str, Any],
    centre: Centre | None,
) -> int:
    with transaction.atomic():
        keys = {_key(kind, about, r.address): r for r in group}
        done = set(
            SentNotification.objects.filter(key__in=list(keys)).values_list(
                "key", flat=True
            )
        )
        todo = [r for key, r in keys.items() if key not in done]
        if not todo:
            return 0
        # Inserted before sending: a concurrent run of the same task waits here on the
        # unique key until this transaction ends, then fails and retries to find it.
        SentNotification.objects.bulk_create(
            SentNotification(
                key=_key(kind, about, r.address),
                kind=kind,
                about=about,
                address=r.address,
                user=r.user,
                centre=centre,
                language=language,
            )
            for r in todo
        )
        with translation.override(language):
            text = render_to_string(f"{template}.txt", context)
            html = render_to_string(f"{template}.html", context)
            # A plural subject (ngettext_lazy keyed on "count") picks its form here.
            title = str(subject % subject_values) if subject_values else str(subject)
        message = EmailMultiAlternatives(
            title,
            text,
            to=[r.address for r in todo],
            headers={"Content-Language": language},
        )
        message.attach_alternative(html, "text/html")
        message.send()
    return len(todo)
