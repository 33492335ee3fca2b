"""Before an idle session ends the page warns and offers to stay signed in (WCAG 2.2.1);
a page left alone lands on the sign-in page saying the session ended, and comes back
to the same page after signing in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.mfa_helpers import give_authenticator

from .test_invite_and_access import _sign_in


@pytest.mark.django_db(transaction=True)
def test_an_idle_page_warns_first_and_staying_signed_in_keeps_the_session(
    live_server, page: Page, two_centres, settings
):
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())
    settings.SESSION_IDLE_SECONDS = 8
    settings.SESSION_TOUCH_SECONDS = 1
    page.goto(f"{live_server.url}/iamis/")
    page.locator("#id_q, main a").first.focus()
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()

    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused(timeout=10_000)  # two seconds before the end
    expect(warning).to_contain_text("You will be signed out soon")
    page.keyboard.press("Enter")
    expect(warning).to_contain_text("You are still signed in.")
    expect(page.locator("main a").first).to_be_focused()
    page.wait_for_timeout(4_000)  # past the end the page was first given

    page.goto(f"{live_server.url}/iamis/")
    expect(page.get_by_test_id("session-ended")).to_have_count(0)
    assert "/accounts/sign-in/" not in page.url


@pytest.mark.django_db(transaction=True)
def test_a_page_left_alone_lands_on_session_ended_with_its_address_kept(
    live_server, page: Page, two_centres, settings
):
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())
    settings.SESSION_IDLE_SECONDS = 4
    settings.SESSION_TOUCH_SECONDS = 1
    marksheet = f"/iamis/units/{two_centres.alice_unit.public_id}/"
    page.goto(f"{live_server.url}{marksheet}")

    expect(page.get_by_test_id("session-ended")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("session-ended")).to_contain_text(
        "Your session has ended"
    )
    assert parse_qs(urlparse(page.url).query)["next"] == [marksheet]
    # The page's own checks never count as activity: the session did end.
    settings.SESSION_IDLE_SECONDS = 1200
    page.goto(f"{live_server.url}/iamis/")
    assert "/accounts/sign-in/" in page.url
