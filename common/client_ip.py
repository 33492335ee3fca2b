"""The address a request came from, for lockouts, rate limits and audit rows.

Behind the load balancer (docs/operations.md, Deploying) REMOTE_ADDR is the balancer's own address, so
everything keyed on it would treat every school as one client. Each trusted proxy appends
the address it received the request from to X-Forwarded-For; with TRUSTED_PROXY_COUNT
proxies in front of the app, the client is the entry that many places from the right.
Entries further left were written by the client and may be anything, so they are never
read. With the setting at 0 (the default: the app faces clients directly) the header is
ignored altogether.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    value = value.strip()
    # Some balancers append the client's port: "203.0.113.9:51234", "[2001:db8::1]:443".
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: from the trusted proxies' X-Forwarded-For, or REMOTE_ADDR."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if len(forwarded) < proxies:
        # Not through every proxy (a probe straight to the machine): nothing to trust.
        return remote
    return _address(forwarded[-proxies]) or remote
