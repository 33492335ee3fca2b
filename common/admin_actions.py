"""The back office's decisions on several rows at once (approve, reject, confirm)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def decide_each[Row](
    request: HttpRequest,
    rows: Iterable[Row],
    decide: Callable[[Row], object],
    done: StrPromise,
) -> int:
    """Decide each row in turn. A refusal (the service's ValidationError) becomes an
    error message naming its row and the others still go ahead; `done` (a plural
    message keyed on "count") says how many were decided."""
    decided = 0
    for row in rows:
        try:
            decide(row)
        except ValidationError as error:
            for message in error.messages:
                messages.error(
                    request,
                    _("%(change)s: %(message)s") % {"change": row, "message": message},
                )
        else:
            decided += 1
    if decided:
        messages.success(request, done % {"count": decided})
    return decided
