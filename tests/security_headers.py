"""What every response the portal serves must carry, and what its HTML may contain.

Checked over every 200 response of the access matrix (tests/access_walk.py), so a new page
is covered as soon as it is declared there:

- a Content-Security-Policy with a nonce in script-src, `object-src 'none'`,
  `base-uri 'none'`, `frame-ancestors 'none'` and nothing `unsafe-*`;
- `X-Content-Type-Options: nosniff` and a Referrer-Policy that does not send the path
  to other sites;
- `Cache-Control: no-store` on everything served to a signed-in or half-signed-in
  person; other pages `private` (see common/cache_control.py);
- cookies HttpOnly, SameSite Lax or Strict, for the whole host (no Domain, Path /);
  Secure and the `__Host-` names are production's and are checked there
  (tests/test_security_headers.py);
- in HTML: every <script> loaded from our origin or carrying the response's nonce,
  no <style> without it, no style="..." and no on...= attributes (style-src is 'self'
  only, so the browser would refuse them anyway).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.conf import settings

# Script elements the browser does not run (data blocks): CSP does not apply to them.
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
# Policies that never send the path of a page to another site.
_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def csp_nonce(header: str) -> str | None:
    for source in csp_directives(header).get("script-src", []):
        if source.startswith("'nonce-") and source.endswith("'"):
            return source[len("'nonce-") : -1]
    return None


def header_problems(response: Any, *, signed_in: bool) -> list[str]:
    """Problems with the headers and cookies of one response."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    else:
        directives = csp_directives(csp)
        # Only a page has scripts; a download's policy needs no nonce.
        if is_html(response) and csp_nonce(csp) is None:
            problems.append(f"script-src has no nonce: {csp}")
        for name in ("object-src", "base-uri", "frame-ancestors"):
            if directives.get(name) != ["'none'"]:
                sources = " ".join(directives.get(name, [])) or "missing"
                problems.append(f"{name} is not 'none' ({sources})")
        unsafe = [
            f"{name} {source}"
            for name, sources in directives.items()
            for source in sources
            if source.startswith("'unsafe-")
        ]
        if unsafe:
            problems.append(f"CSP allows {', '.join(unsafe)}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") not in _REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.get('Referrer-Policy')!r}")
    cache = {
        part.strip().split("=")[0].lower()
        for part in response.get("Cache-Control", "").split(",")
    }
    if signed_in and "no-store" not in cache:
        problems.append(
            f"Cache-Control {response.get('Cache-Control')!r} lacks no-store"
        )
    if not signed_in and "private" not in cache and "no-store" not in cache:
        problems.append(f"Cache-Control {response.get('Cache-Control')!r} not private")
    problems += cookie_problems(response)
    return problems


def cookie_problems(response: Any) -> list[str]:
    problems = []
    for name, morsel in response.cookies.items():
        if morsel["max-age"] == 0 or not morsel.value:
            continue  # a deletion: nothing is stored
        if not morsel["httponly"]:
            problems.append(f"cookie {name} is readable by scripts (no HttpOnly)")
        if str(morsel["samesite"]).lower() not in ("lax", "strict"):
            problems.append(f"cookie {name} has SameSite={morsel['samesite']!r}")
        if morsel["domain"] or morsel["path"] != "/":
            problems.append(
                f"cookie {name} is not for the whole host only (domain "
                f"{morsel['domain']!r}, path {morsel['path']!r})"
            )
        if settings.SESSION_COOKIE_SECURE and not morsel["secure"]:
            problems.append(f"cookie {name} is not Secure")
    return problems


class _PageScanner(HTMLParser):
    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        for name, _value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: <{tag} style=...>")
            elif name.startswith("on"):
                self.problems.append(f"line {line}: <{tag} {name}=...>")
        has_nonce = self.nonce is not None and values.get("nonce") == self.nonce
        if tag == "script":
            kind = (values.get("type") or "").lower()
            src = values.get("src")
            if kind in _DATA_SCRIPT_TYPES:
                return
            if src is not None:
                if not _same_origin(src):
                    self.problems.append(f"line {line}: script from {src}")
            elif not has_nonce:
                self.problems.append(f"line {line}: inline <script> without the nonce")
        elif tag == "style" and not has_nonce:
            self.problems.append(f"line {line}: <style> without the nonce")
        elif (
            tag == "link"
            and "stylesheet" in (values.get("rel") or "").split()
            and not _same_origin(values.get("href") or "")
        ):
            self.problems.append(f"line {line}: stylesheet from {values.get('href')}")


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def page_problems(response: Any) -> list[str]:
    """Problems with the markup of one HTML response."""
    scanner = _PageScanner(csp_nonce(response.get("Content-Security-Policy", "")))
    scanner.feed(response.content.decode(response.charset or "utf-8", "replace"))
    scanner.close()
    return scanner.problems


def is_html(response: Any) -> bool:
    return response.get("Content-Type", "").startswith("text/html")
