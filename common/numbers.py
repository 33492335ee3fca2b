"""Reading numbers people type or files carry.

`str.isdigit()` (and regex `\\d`) accept digits of every script: full-width ones
(U+FF11...), Arabic-Indic ones (U+0661...), superscripts. `int()` takes some of them
and refuses others, and byte-wise comparisons refuse them all, so a check that lets
them through moves the failure somewhere less careful. Numbers here are ASCII digits only.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_digits(value: str) -> bool:
    """Whether `value` is one or more of 0-9 and nothing else (no sign, no space)."""
    # fullmatch: "$" would also let a trailing newline through.
    return _ASCII_DIGITS.fullmatch(value) is not None
