"""Counting attempts in the cache: lockouts, slow-downs and rate limits.

A `Throttle` counts hits per key (say an e-mail address and a client address) in a
fixed window that starts at the first hit; `exceeded` says when the count has reached
the limit. Counts live in the cache (Redis in production, shared by every web machine);
losing them loses nothing worse than a fresh window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    seconds: int

    def key(self, *parts: object) -> str:
        # Hashed: e-mail addresses and such are neither stored in clear in the cache
        # nor able to make an over-long or odd key.
        digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()
        return f"throttle:{self.name}:{digest}"

    def count(self, *parts: object) -> int:
        return int(cache.get(self.key(*parts), 0))

    def exceeded(self, *parts: object) -> bool:
        return self.count(*parts) >= self.limit

    def hit(self, *parts: object) -> int:
        """Count one attempt; returns the count so far in this window."""
        key = self.key(*parts)
        cache.add(key, 0, self.seconds)
        try:
            return cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.add(key, 1, self.seconds)
            return 1

    def clear(self, *parts: object) -> None:
        cache.delete(self.key(*parts))


def wait_turn(name: str, seconds: int, *parts: object) -> bool:
    """One attempt per `seconds` for `parts`: True if this one may go ahead now."""
    return bool(cache.add(Throttle(name, 1, seconds).key(*parts), 1, seconds))
