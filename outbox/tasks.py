"""Handing outbox messages to workers and sending them, each exactly once.

`deliver` runs the message's handler and marks it sent; a handler that fails for a
mail server or database briefly away is retried, and one that keeps failing leaves
the message unsent with its error, for the sweep to try again later. Handlers are
idempotent (notifications.SentNotification keeps one row per e-mail sent), so a
message delivered twice, after a lost acknowledgement, still sends each e-mail once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from . import handlers
from .models import Message

logger = logging.getLogger(__name__)

# A message handed over this long ago and still unsent is handed over again: its
# worker died, or its retries ran out while the mail server was away.
RESEND_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def publish(message_id: int) -> bool:
    """Hand one message to a worker. False when the broker is unreachable: the message
    stays pending and the sweep tries again."""
    try:
        deliver.apply_async(args=(message_id,))
    except Exception:  # kombu's OperationalError, a refused connection, a timeout
        logger.warning(
            "Outbox message %s is kept for the sweep: the broker is unreachable",
            message_id,
            exc_info=True,
        )
        return False
    Message.objects.filter(pk=message_id).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


@shared_task(
    name="outbox.deliver",
    autoretry_for=(DatabaseError, SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def deliver(message_id: int) -> bool:
    message = Message.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False  # sent already, by an earlier delivery of the same message
    try:
        handlers.handler_for(message.kind)(**message.arguments, **message.secrets)
    except Exception as error:
        Message.objects.filter(pk=message_id).update(last_error=repr(error)[:300])
        raise
    Message.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), secrets={}, last_error=""
    )
    return True


@shared_task(name="outbox.sweep")
def sweep() -> int:
    """Beat, every minute: hand over again what was never handed over (the broker was
    away at commit) or was handed over long ago and is still unsent."""
    stale = timezone.now() - RESEND_AFTER
    pending = (
        Message.objects.filter(sent_at__isnull=True)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=stale))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    published = 0
    for message_id in pending:
        if not publish(message_id):
            break  # the broker is still away: the next sweep tries again
        published += 1
    return published
