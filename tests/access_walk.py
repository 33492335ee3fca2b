"""Walks the access matrix (tests/access_matrix.py) for one role.

Every URL pattern is requested with GET and POST, for the role's own object and for the
other centre's (a pattern naming no centre-owned object: once), and the status compared
with the declaration. Each request runs inside a savepoint that is rolled back, and the
client's cookies are put back after it, so every request sees the same world (a POST
that signs out, removes a member or submits a sheet does not change what the next one
finds) and one set of people and clients serves the whole walk. A refused POST must not
write to the database (see `database_writes`), checked inside the savepoint.

Every 200 response also goes through tests/security_headers.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.access_matrix import (
    ADMIN_NAMESPACE,
    ADMIN_NO_ADD,
    ADMIN_ROUTE,
    LOGIN,
    ROUTES,
    Role,
    Route,
    expected,
    is_refusal,
    route_for,
)
from tests.access_world import CENTRE_OWNED, SHARED, World
from tests.security_headers import header_problems, is_html, page_problems
from tests.tenancy_walker import Probe, iter_probes

# Rows a refused request may write: its session, the audit event of the refusal
# (ASVS 16.3.2) and django-axes' records of sign-in attempts.
MAY_CHANGE_WHEN_REFUSED = {
    "django_session",
    "audit_auditevent",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accesslog",
    "axes_accessfailurelog",
}
METHODS: tuple[str, ...] = ("get", "post")


def pattern_name(probe: Probe) -> str:
    return f"{probe.namespace}:{probe.name}"


def declaration_problems(
    urlconf: str | None = None, routes: dict[str, Route] = ROUTES
) -> list[str]:
    """Patterns the declaration does not cover, keywords the matrix cannot fill, and
    declared names that no longer resolve."""
    problems = []
    names = set()
    for probe in iter_probes(urlconf):
        name = pattern_name(probe)
        names.add(name)
        if route_for(name, routes) is None:
            problems.append(
                f"{probe.route} ({name}) is not declared in tests/access_matrix.py"
            )
        if probe.namespace == ADMIN_NAMESPACE:
            continue
        unknown = [k for k in probe.keywords if k not in CENTRE_OWNED | SHARED]
        if unknown:
            problems.append(
                f"{probe.route} ({name}): URL keyword(s) {unknown} have no value in "
                "tests/access_world.py"
            )
    problems += [
        f"{name} is declared in tests/access_matrix.py but no URL pattern has that name"
        for name in routes
        if name not in names
    ]
    return problems


def database_writes() -> int:
    """How many rows this transaction has inserted, updated or deleted so far in the
    tables that matter, by PostgreSQL's own per-transaction counters. They count every
    write, also one a savepoint rolled back and one that wrote the same values again,
    so a refused request that so much as tries to write is caught."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_xact_user_tables WHERE NOT relname = ANY(%s)",
            [sorted(MAY_CHANGE_WHEN_REFUSED)],
        )
        return int(cursor.fetchone()[0])


@dataclass
class RoleWalk:
    role: Role
    requests: int = 0
    pages: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    header_problems: list[str] = field(default_factory=list)


def _outcome(response: Any) -> int | str:
    if response.status_code == 302:
        target = response["Location"].split("?")[0]
        if target in (reverse("accounts:sign_in"), reverse("admin:login")):
            return LOGIN
    return int(response.status_code)


class _Walker:
    def __init__(
        self,
        world: World,
        role: Role,
        *,
        urlconf: str | None,
        routes: dict[str, Route],
    ) -> None:
        self.world = world
        self.role = role
        self.urlconf = urlconf
        self.routes = routes
        self.client: Client = world.client(role)
        self.walk = RoleWalk(role)
        # The half-signed-in person's session holds a pending sign-in: their pages
        # must not be stored either.
        self.signed_in = role is not Role.ANONYMOUS

    def send(self, method: str, url: str, *, check_db: bool) -> tuple[Any, bool]:
        cookies = {name: morsel.copy() for name, morsel in self.client.cookies.items()}
        with transaction.atomic():
            before = database_writes() if check_db else 0
            response = getattr(self.client, method)(url)
            if response.streaming:
                # Read to the end inside the savepoint: the test client closes the
                # response (and its file) when its content is exhausted.
                b"".join(response.streaming_content)
            changed = check_db and database_writes() != before
            transaction.set_rollback(True)
        self.client.cookies = SimpleCookie()
        for name, morsel in cookies.items():
            self.client.cookies[name] = morsel
        self.walk.requests += 1
        return response, changed

    def cell(
        self,
        label: str,
        method: str,
        url: str,
        want: int | str,
        *,
        login_is_success: bool = False,
    ) -> None:
        refused = is_refusal(want) and not (login_is_success and want == LOGIN)
        response, changed = self.send(
            method, url, check_db=refused and method == "post"
        )
        got = _outcome(response)
        where = f"{self.role} {method.upper()} {url} ({label})"
        if got != want:
            error = getattr(response, "exc_info", None)
            detail = f" [{error[1]!r}]" if error else ""
            self.walk.problems.append(f"{where}: expected {want}, got {got}{detail}")
        if changed:
            self.walk.problems.append(f"{where}: refused, but the database changed")
        if response.status_code == 200:
            self.walk.pages += 1
            found = header_problems(response, signed_in=self.signed_in)
            if is_html(response):
                found += page_problems(response)
            self.walk.header_problems += [f"{where}: {problem}" for problem in found]

    def portal(self, only: set[str] | None) -> None:
        for probe in iter_probes(self.urlconf):
            name = pattern_name(probe)
            if probe.namespace == ADMIN_NAMESPACE or (only and name not in only):
                continue
            route = route_for(name, self.routes)
            if route is None:
                self.walk.problems.append(f"{name}: not declared")
                continue
            owned = any(k in CENTRE_OWNED for k in probe.keywords)
            sides = [("own", self.world.own)]
            if owned:
                sides.append(("foreign", self.world.foreign))
            for side_label, side in sides:
                values = {
                    k: side.values[k] if k in CENTRE_OWNED else self.world.shared[k]
                    for k in probe.keywords
                }
                url = probe.build(values)
                foreign = side_label == "foreign"
                for method in METHODS:
                    want = expected(route, self.role, method, foreign=foreign)
                    label = f"{name}, {side_label}" if owned else name
                    self.cell(
                        label,
                        method,
                        url,
                        want,
                        login_is_success=route.login_is_success,
                    )

    def back_office(self) -> None:
        """Every registered model's list, add and change page, and the index: GET as
        everyone, POST (to the pages with forms) as everyone but board staff, whose own
        writes are the back office's tests' concern."""
        pages: list[tuple[str, str, str, tuple[str, ...]]] = [
            ("admin:index", reverse("admin:index"), "", ("get",)),
            ("admin:login", reverse("admin:login"), "", METHODS),
        ]
        for label, row in self.world.admin_objects.items():
            app, model = label.split(".")
            for kind in ("changelist", "add", "change"):
                args = [row.pk] if kind == "change" else []
                url = reverse(f"admin:{app}_{model}_{kind}", args=args)
                methods: tuple[str, ...] = ("get",) if kind == "changelist" else METHODS
                pages.append((f"admin:{app}_{model}_{kind}", url, label, methods))
        for name, url, label, methods in pages:
            route = route_for(name, self.routes) or ADMIN_ROUTE
            for method in methods:
                if (
                    self.role is Role.BOARD
                    and method == "post"
                    and name != "admin:login"
                ):
                    continue
                want = expected(route, self.role, method, foreign=False)
                if self.role is Role.BOARD and name.endswith("_add"):
                    want = 403 if label in ADMIN_NO_ADD else want
                self.cell(name, method, url, want)


def walk_role(
    world: World,
    role: Role,
    *,
    urlconf: str | None = None,
    routes: dict[str, Route] = ROUTES,
    only: set[str] | None = None,
) -> RoleWalk:
    """The whole matrix for one role; `only` some patterns (and no back office), for
    the walker's own tests."""
    started = time.monotonic()
    walker = _Walker(world, role, urlconf=urlconf, routes=routes)
    # Thousands of refusals on purpose: Django's warning (with a traceback) for each is
    # noise, and formatting them is a good part of the walk's time.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        walker.portal(only)
        if only is None:
            walker.back_office()
    finally:
        request_log.setLevel(level)
    walker.walk.seconds = time.monotonic() - started
    if only is None and urlconf is None:
        FULL_WALKS[role] = walker.walk
    return walker.walk


# The walks of this run, for the size of the matrix in the closing summary.
FULL_WALKS: dict[Role, RoleWalk] = {}


def matrix_summary() -> str:
    """The matrix's size, e.g. for the closing note of the issue."""
    if not FULL_WALKS:
        return ""
    probes = list(iter_probes())
    portal = [p for p in probes if p.namespace != ADMIN_NAMESPACE]
    walks = FULL_WALKS.values()
    return (
        f"access matrix: {len(portal)} URL patterns x {len(FULL_WALKS)} roles "
        f"(+ {len(probes) - len(portal)} back-office patterns by one rule, their "
        f"list/add/change pages walked): "
        f"{sum(w.requests for w in walks)} requests, "
        f"{sum(w.pages for w in walks)} pages header-checked, "
        f"{sum(w.seconds for w in walks):.0f} s"
    )
