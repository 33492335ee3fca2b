"""Who handles each kind of outbox message. Apps above this one register their
handlers at start-up (AppConfig.ready), so no domain app imports the ones that send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]

_handlers: dict[str, Handler] = {}


class UnknownKind(LookupError):
    """A message of a kind nobody registered: a deploy without the app that sends it."""


def register(kind: str, handler: Handler) -> None:
    _handlers[kind] = handler


def handler_for(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownKind(
            f"No handler is registered for outbox kind {kind!r}"
        ) from None
