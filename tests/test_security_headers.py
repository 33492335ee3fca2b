"""Headers and cookies (tests/security_headers.py) on every page the access matrix is
served, the checker itself, the Cache-Control rule, and production's cookies and HSTS."""

from __future__ import annotations

import json
import os

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.access_matrix import ROLES, Role
from tests.access_world import build_world
from tests.factories import UserFactory
from tests.portal.test_settings import PRODUCTION, _manage
from tests.security_headers import header_problems, page_problems
from tests.test_access_matrix import role_walk


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_page_the_matrix_is_served_carries_the_security_headers(
    two_centres, role
):
    walk = role_walk(two_centres, role)

    assert walk.header_problems == []
    assert walk.pages >= 10


def _page(body: str, nonce: str = "abc123") -> HttpResponse:
    response = HttpResponse(body)
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return response


def test_the_page_check_finds_inline_scripts_styles_and_handlers():
    page = _page(
        '<script src="/static/js/ok.js"></script>'
        '<script nonce="abc123">ok()</script>'
        '<script type="application/json">{"data": 1}</script>'
        "<script>alert(1)</script>"
        '<script nonce="guessed">alert(2)</script>'
        '<script src="https://cdn.example.com/x.js"></script>'
        '<style nonce="abc123">p {}</style><style>p {}</style>'
        '<p style="color: red">red</p><button onclick="go()">Go</button>'
    )

    problems = page_problems(page)

    assert [p.split(": ", 1)[1] for p in problems] == [
        "inline <script> without the nonce",
        "inline <script> without the nonce",
        "script from https://cdn.example.com/x.js",
        "<style> without the nonce",
        "<p style=...>",
        "<button onclick=...>",
    ]


def test_the_header_check_finds_a_weak_policy_and_a_stored_signed_in_page():
    response = HttpResponse("<p>page</p>")
    response["Content-Security-Policy"] = (
        "script-src 'self' 'unsafe-inline'; base-uri 'self'"
    )
    response["Cache-Control"] = "private, max-age=600"
    response.set_cookie("sessionid", "x", samesite="None")

    problems = header_problems(response, signed_in=True)

    assert problems == [
        "script-src has no nonce: script-src 'self' 'unsafe-inline'; base-uri 'self'",
        "object-src is not 'none' (missing)",
        "base-uri is not 'none' ('self')",
        "frame-ancestors is not 'none' (missing)",
        "CSP allows script-src 'unsafe-inline'",
        "no X-Content-Type-Options: nosniff",
        "Referrer-Policy is None",
        "Cache-Control 'private, max-age=600' lacks no-store",
        "cookie sessionid is readable by scripts (no HttpOnly)",
        "cookie sessionid has SameSite='None'",
    ]


def test_the_sign_in_page_may_be_kept_by_the_browser_only_and_is_asked_for_again(db):
    response = Client().get(reverse("accounts:sign_in"))

    assert response["Cache-Control"] == "private, no-cache"


def test_pages_for_someone_part_way_through_signing_in_are_never_stored(db):
    user = UserFactory()
    client = Client()
    client.post(reverse("accounts:sign_in"), {"email": user.email})

    response = client.get(reverse("accounts:sign_in_password"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_response_that_sets_its_own_cache_control_keeps_it(two_centres):
    world = build_world(two_centres)
    url = reverse(
        "uploads:upload",
        args=[world.own.values["unit_id"], world.own.values["upload_id"]],
    )

    response = world.client(Role.EXAMS_OFFICER).get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


# Production's cookies and HSTS, from a process started with production's variables
# (as tests/portal/test_settings.py does). Its requests go to this test run's database
# and Redis, inside a transaction it rolls back.
_PRODUCTION_REQUESTS = """
import json
from django.db import transaction
from django.test import Client

def seen(response):
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            name: {key: morsel[key] for key in ("secure", "httponly", "samesite",
                                                "path", "domain")}
            for name, morsel in response.cookies.items()
        },
    }

client = Client(HTTP_HOST="portal.example.org", HTTP_X_FORWARDED_PROTO="https")
with transaction.atomic():
    sign_in = client.get("/accounts/sign-in/", secure=True)
    email = client.post("/accounts/sign-in/", {"email": "a@example.org"}, secure=True)
    password = client.get("/accounts/sign-in/password/", secure=True)
    language = client.post("/i18n/setlang/", {"language": "cy"}, secure=True)
    transaction.set_rollback(True)
print(json.dumps({"sign_in": seen(sign_in), "email": seen(email),
                  "password": seen(password), "language": seen(language)}))
"""


@pytest.fixture
def production_responses(db) -> dict[str, dict]:
    settings_dict = connection.settings_dict
    env = {
        **PRODUCTION,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        # No collectstatic here: the manifest is a deployment step, not a header.
        "DJANGO_STATIC_MANIFEST": "false",
        "PGUSER": settings_dict["USER"] or "postgres",
    }
    result = _manage("shell", "-c", _PRODUCTION_REQUESTS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_host_only_secure_httponly_and_same_site(
    production_responses,
):
    cookies = {
        **production_responses["sign_in"]["cookies"],
        **production_responses["email"]["cookies"],
        **production_responses["language"]["cookies"],
    }

    assert set(cookies) == {"__Host-csrftoken", "__Host-sessionid", "__Host-language"}
    for attributes in cookies.values():
        assert attributes == {
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "path": "/",
            "domain": "",
        }


def test_production_sends_hsts_and_the_strict_headers(production_responses):
    headers = production_responses["sign_in"]["headers"]
    csp = headers["Content-Security-Policy"]

    assert production_responses["sign_in"]["status"] == 200
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert header_problems(_as_response(headers), signed_in=False) == []
    assert "'nonce-" in csp
    assert "base-uri 'none'" in csp
    password = production_responses["password"]
    assert password["status"] == 200
    assert password["headers"]["Cache-Control"] == "private, no-store"


def _as_response(headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(content_type=headers["Content-Type"])
    for name, value in headers.items():
        response[name] = value
    return response
