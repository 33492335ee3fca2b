"""Fail-closed centre scoping: no query on centre-owned data runs without knowing whose it is.

Every request, Celery task and management command works inside a scope:
- a request, through `TenancyMiddleware`: the active centre of a member, the allocated
  centres of a moderator, every centre for board staff, and none for anyone signed out;
- a task or command, explicitly: `centre_of(Model, pk)` for work on one centre's object,
  `every_centre(label)` for board-wide sweeps (retention, beat re-queues, demo data).

Centre-owned models use `CentreScopedManager` as their default manager. Outside any scope
it raises `ScopeError`, so a task or command that forgot its scope fails in the tests
rather than reading every centre's rows; inside a scope it adds the centre condition
itself, so a view that forgot `centre=request.centre` still cannot show another centre's
data. The explicit filters in the selectors stay: this is the second lock, not the first.

Saving, refreshing and following a foreign key use Django's plain base manager, so an
object already loaded can always be saved and its parents read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import Task
from django.db import models
from django.db.models import Q

_M = TypeVar("_M", bound=models.Model)


class ScopeError(RuntimeError):
    """Centre-owned data was read with no scope: a task or command forgot to set one."""


@dataclass(frozen=True)
class Scope:
    """Whose data may be read. `condition` is a filter on `centre_id`; None means all."""

    label: str
    condition: Q | None

    @property
    def is_every_centre(self) -> bool:
        return self.condition is None


# Nothing at all: pk__in=[] makes Django skip the query and return no rows.
NO_CENTRE = Q(pk__in=[])

_current: ContextVar[Scope | None] = ContextVar("centre_scope", default=None)


def current_scope() -> Scope:
    scope = _current.get()
    if scope is None:
        raise ScopeError(
            "Centre-owned data read outside a centre scope: wrap the task or command in "
            "common.scoping.centre_of(...) or every_centre(...)."
        )
    return scope


@contextmanager
def entered(scope: Scope | None) -> Iterator[Scope | None]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def every_centre(label: str) -> Any:
    """Board-wide work: retention, beat sweeps, the back office, demo data."""
    return entered(Scope(label=label, condition=None))


def centres(label: str, *centre_ids: int) -> Any:
    return entered(Scope(label=label, condition=Q(centre_id__in=centre_ids)))


def centre_of(model: type[models.Model], pk: Any, label: str = "") -> Any:
    """The scope of one object's centre, for a task handed that object's id.

    The lookup uses the base manager (unscoped by design); a missing row gives a scope
    that sees nothing, so the task's own lookup fails as it would have anyway.
    """
    centre_id = (
        model._base_manager.filter(pk=pk).values_list("centre_id", flat=True).first()
    )
    label = label or f"{model._meta.label} {pk}"
    if centre_id is None:
        return entered(Scope(label=label, condition=NO_CENTRE))
    return centres(label, centre_id)


def unscoped() -> Any:
    """No scope at all: what a task starts with, and how the tests prove the guard."""
    return entered(None)


class CentreScopedManager(models.Manager[_M]):
    """Default manager of centre-owned models: the current scope's centres, or ScopeError."""

    def get_queryset(self) -> models.QuerySet[_M]:
        scope = current_scope()
        queryset = super().get_queryset()
        if scope.condition is None:
            return queryset
        return queryset.filter(scope.condition)


class ScopeFreshTask(Task[Any, Any]):
    """Every task starts with no scope, even when run in the caller's thread (eager mode,
    `apply()`), so each one must set its own; the app's `task_cls` (portal/celery.py)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with unscoped():
            return super().__call__(*args, **kwargs)
