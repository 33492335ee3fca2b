"""Reading the e-mails the suite's locmem mailer collects."""

from __future__ import annotations

from django.core import mail
from django.core.mail import EmailMessage


def html_of(message: EmailMessage) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def language_of(message: EmailMessage) -> str:
    """The language the message was rendered in: its header and its page agree."""
    language = message.extra_headers["Content-Language"]
    assert f'<html lang="{language}">' in html_of(message)
    return language


def sent_to(address: str) -> list[EmailMessage]:
    return [m for m in mail.outbox if address in m.to]
