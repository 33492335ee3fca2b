"""Recording a notification in the transaction of the change it is about."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import transaction

from .models import Message
from .tasks import publish


def notify(
    kind: str, *, secrets: Mapping[str, Any] | None = None, **arguments: Any
) -> Message:
    """Record that people must be told of `kind` (with the handler's `arguments`), in
    the current transaction. Once it commits the message is handed to a worker; if the
    broker is away then, `outbox.tasks.sweep` hands it over later. `secrets` are
    arguments kept out of logs and emptied once sent."""
    message = Message.objects.create(
        kind=kind, arguments=arguments, secrets=dict(secrets or {})
    )
    # robust: a failure here (the database, an in-process handler) is logged, and the
    # change, already committed, is not turned into an error; the sweep tries again.
    transaction.on_commit(partial(publish, message.pk), robust=True)
    return message
