"""Handing outbox messages to workers and sending them, each once.

A message is claimed before it is handed over (a conditional UPDATE, or the sweep's
SKIP LOCKED), so the commit hook and a sweep do not both hand it over. `deliver` runs
the message's handler and marks it sent; a handler that fails for a mail server or
database briefly away is retried by Celery, and one that keeps failing leaves the
message unsent with its error, for the sweep to hand over again later. After
MAX_HANDOVERS the message is given up: marked failed, its secrets emptied, and left
for the back office to see. Handlers are idempotent (notifications.SentNotification
keeps one row per e-mail sent), so a message delivered twice still sends once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from . import handlers
from .models import Message

logger = logging.getLogger(__name__)

# A message handed over this long ago and still unsent is handed over again: its
# worker died, or Celery's retries (up to 8, backing off to 10 minutes) ran out while
# the mail server was away. Longer than those retries and than Redis's visibility
# timeout, so a message still in Celery's hands is not handed over beside it.
RESEND_AFTER = timedelta(hours=2)
# Hand-overs before a message is given up: about a day of trying.
MAX_HANDOVERS = 12
SWEEP_BATCH = 500
# Sent messages are kept this long for the back office, then removed.
KEEP_SENT = timedelta(days=30)


def publish(message_id: int) -> bool:
    """Right after the change commits: claim the message and hand it to a worker."""
    claimed = Message.objects.filter(
        pk=message_id, published_at__isnull=True, sent_at__isnull=True
    ).update(published_at=timezone.now(), attempts=F("attempts") + 1)
    return bool(claimed) and _hand_over(message_id)


def _hand_over(message_id: int) -> bool:
    """False when the broker is unreachable: the claim is undone, so the next sweep
    takes the message at once. (Where tasks run in-process, a failing handler raises
    here; the commit hook logs it and the sweep tries again.)"""
    try:
        # No publish retries of kombu's own: the sweep is the retry.
        deliver.apply_async(args=(message_id,), retry=False)
    except OperationalError:
        Message.objects.filter(pk=message_id, sent_at__isnull=True).update(
            published_at=None
        )
        logger.warning(
            "Outbox message %s is kept for the sweep: the broker is unreachable",
            message_id,
        )
        return False
    return True


def _error_text(error: Exception) -> str:
    """What went wrong, without what the error may quote (SMTP errors name addresses)."""
    code = getattr(error, "smtp_code", None)
    return type(error).__name__ + (f" (SMTP {code})" if code else "")


@shared_task(
    name="outbox.deliver",
    autoretry_for=(DatabaseError, SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def deliver(message_id: int) -> bool:
    message = Message.objects.filter(
        pk=message_id, sent_at__isnull=True, failed_at__isnull=True
    ).first()
    if message is None:
        return False  # sent already (an earlier delivery of it), or given up
    try:
        handlers.handler_for(message.kind)(**message.arguments, **message.secrets)
    except Exception as error:
        Message.objects.filter(pk=message_id).update(last_error=_error_text(error))
        raise
    Message.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), secrets={}, last_error=""
    )
    return True


def _due() -> Q:
    never_handed_over = Q(published_at__isnull=True)
    stale = Q(published_at__lt=timezone.now() - RESEND_AFTER)
    return Q(sent_at__isnull=True, failed_at__isnull=True) & (never_handed_over | stale)


@shared_task(name="outbox.sweep")
def sweep() -> int:
    """Beat, every minute: hand over again what was never handed over (the broker was
    away at commit) or was handed over long ago and is still unsent; give up on what
    has been handed over MAX_HANDOVERS times."""
    given_up = Message.objects.filter(_due(), attempts__gte=MAX_HANDOVERS).update(
        failed_at=timezone.now(), secrets={}
    )
    if given_up:
        logger.error(
            "%s outbox messages given up after %s tries", given_up, MAX_HANDOVERS
        )
    with transaction.atomic():
        # Claimed in one statement: a second sweep at the same time skips these rows.
        claimed = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_due())
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        Message.objects.filter(pk__in=claimed).update(
            published_at=timezone.now(), attempts=F("attempts") + 1
        )
    for handed, message_id in enumerate(claimed):
        if not _hand_over(message_id):
            # The broker is still away: what is left is unclaimed for the next sweep.
            Message.objects.filter(pk__in=claimed[handed:]).update(published_at=None)
            return handed
    return len(claimed)


@shared_task(name="outbox.purge")
def purge() -> int:
    """Beat, daily: sent messages older than KEEP_SENT are removed."""
    removed, _by_model = Message.objects.filter(
        sent_at__lt=timezone.now() - KEEP_SENT
    ).delete()
    return removed
