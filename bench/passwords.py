"""Issue 11's sign-in cost: CPU time of one password check, per hasher.

Prints the median of several checks (one core, no server) for the project's hasher and for
Django's PBKDF2 default it replaced, and their ratio. A sign-in checks the password once.

    .venv/bin/python bench/passwords.py    # a few seconds
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is wanted.
sys.path[:1] = [str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    PBKDF2PasswordHasher,
    check_password,
    get_hasher,
)

ROUNDS = 7


def check_ms(encoded: str) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.process_time()
        assert check_password("a deadline-day password", encoded)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ours = get_hasher("default")
    old = PBKDF2PasswordHasher()
    ours_ms = check_ms(ours.encode("a deadline-day password", ours.salt()))
    old_ms = check_ms(old.encode("a deadline-day password", old.salt()))
    print(f"{type(ours).__name__} ({ours.algorithm}): {ours_ms:.0f} ms CPU a check")
    print(f"PBKDF2 ({old.iterations:,} iterations): {old_ms:.0f} ms CPU a check")
    print(f"ratio: {old_ms / ours_ms:.1f}x cheaper")


if __name__ == "__main__":
    main()
