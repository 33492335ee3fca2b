"""Error pages say what happened and what to do, in the person's language, with the right
status and nothing of the error itself (no exception text, paths or CSRF reasons)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from tests.security_headers import page_problems

LANGUAGES = ["en", "cy"]
LEAKS = ("Traceback", "Exception", "RuntimeError", "secret-detail", "/srv/", ".py")


def _client(language: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _in(language: str, text: str) -> str:
    """The text as the page should show it in `language` (English until translated)."""
    with translation.override(language):
        return gettext(text)


def _assert_error_page(response, language: str, *texts: str) -> None:
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    for text in texts:
        assert _in(language, text) in body
    for leak in LEAKS:
        assert leak not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_page_says_so_and_links_home(db, language):
    response = _client(language).get("/no-such-page/")

    assert response.status_code == 404
    _assert_error_page(response, language, "Page not found")
    assert 'href="/"' in response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_without_access_says_who_can_grant_it(two_centres, language):
    client = _client(language)
    client.force_login(two_centres.alice_teacher.user)

    response = client.get(reverse("iamis:index"))

    assert response.status_code == 403
    _assert_error_page(
        response,
        language,
        "You do not have access to this page",
        "Your exams officer can grant your account access to this area of the Portal.",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_refused_by_the_csrf_check_says_how_to_send_it_again(db, language):
    client = _client(language, enforce_csrf_checks=True)

    response = client.post(reverse("accounts:sign_in"), {"email": "a@example.org"})

    assert response.status_code == 403
    _assert_error_page(
        response,
        language,
        "Your form could not be sent",
        "Nothing from the form was saved. Go back, reload the page and try again. "
        "If it keeps happening, allow cookies for this site.",
    )
    # Django's reasons ("CSRF cookie not set.") are for the log, not the page.
    assert "CSRF cookie" not in response.text and "Referer" not in response.text
    assert page_problems(response) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_ended_session_lands_on_sign_in_saying_so(two_centres, language):
    client = _client(language)
    client.force_login(two_centres.alice)
    client.get(reverse("portal:home"))
    session = client.session
    now = int(timezone.now().timestamp())
    idle_limit = settings.SESSION_IDLE_SECONDS + settings.SESSION_TOUCH_SECONDS
    session[LAST_SEEN] = now - idle_limit - 1
    session[SIGNED_IN_AT] = now - 3600
    session.save()

    response = client.get(reverse("iamis:index"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:sign_in"))
    _assert_error_page(
        response,
        language,
        "Your session has ended",
        "You were signed out because the page was left for 20 minutes without "
        "activity. Sign in again to carry on.",
    )


@pytest.mark.urls("tests.portal.broken_urls")
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_server_error_apologises_without_showing_the_error(db, language):
    client = _client(language, raise_request_exception=False)

    response = client.get("/broken/")

    assert response.status_code == 500
    _assert_error_page(
        response,
        language,
        "Sorry, there is a problem with the service",
        "Try again in a few minutes. If the problem continues, contact the Centre "
        "Support Team and tell them the time it happened and what you were doing.",
    )
    # Styled by the portal's own sheet, and no inline style or script to trip the CSP.
    assert re.search(
        r'<link rel="stylesheet" href="/static/css/site\.css', response.text
    )
    assert "<script" not in response.text and "style=" not in response.text
