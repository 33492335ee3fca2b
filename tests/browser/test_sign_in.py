from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_exams_officer_signs_in_and_reaches_the_marks_pages(
    live_server, page: Page, two_centres
):
    totp = give_authenticator(two_centres.alice)
    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))
    page.get_by_label("Email address").fill("alice@alice.example")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Academy (68999)")
    page.get_by_role("link", name="Internal Assessment Marks/Outcomes").click()
    expect(page.get_by_text("ALICESPECIFIC ORACY (3700U1)")).to_be_visible()
    expect(page.get_by_text("CHARLIESPECIFIC")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_the_language_switch_turns_the_sign_in_page_welsh(live_server, page: Page, db):
    page.goto(f"{live_server.url}/accounts/sign-in/")

    page.get_by_role("button", name="Cymraeg").click()

    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mewngofnodi i'r Porth")
