"""An exams officer invites a teacher, who joins with MFA; IAMIS access is granted for one unit."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    EntryFactory,
    TaskFactory,
    UnitFactory,
)


def _sign_in(
    page: Page, base: str, email: str, code: str, password: str = PASSWORD
) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()


@pytest.mark.django_db(transaction=True)
def test_exams_officer_invites_a_teacher_who_sees_only_the_unit_granted(
    live_server, browser: Browser, page: Page, two_centres
):
    base = live_server.url
    other_unit = UnitFactory(code="3720U4", title="Second Subject Unit")
    TaskFactory(unit=other_unit, number=1, max_mark=60)
    EntryFactory(
        candidate=CandidateFactory(centre=two_centres.alice_centre, number=1500),
        unit=other_unit,
    )
    totp = give_authenticator(two_centres.alice)

    # The exams officer invites a teacher.
    _sign_in(page, base, "alice@alice.example", totp.now())
    page.get_by_role("link", name="Centre Users").click()
    page.get_by_role("link", name="Invite User").click()
    page.get_by_label("First name").fill("Tomos")
    page.get_by_label("Last name").fill("Teacher")
    page.get_by_label("Email address").fill("tomos@alice.example")
    page.get_by_label("User", exact=True).check()
    page.get_by_role("button", name="Send invite").click()
    expect(page.get_by_role("cell", name="tomos@alice.example")).to_be_visible()
    found = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    link = found.group(0)

    # The teacher opens the link, chooses a password and sets up an authenticator.
    teacher = browser.new_context(locale="en-GB").new_page()
    teacher.goto(link)
    teacher.get_by_label("Choose a password").fill("tomos-long-passphrase")
    teacher.get_by_label("Type the password again").fill("tomos-long-passphrase")
    teacher.get_by_role("button", name="Continue").click()
    key = teacher.get_by_test_id("manual-key").inner_text().replace(" ", "")
    teacher_totp = pyotp.TOTP(key)
    teacher.get_by_label("6-digit code").fill(teacher_totp.now())
    teacher.get_by_role("button", name="Confirm and continue").click()
    expect(teacher.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    teacher.get_by_role("link", name="I have saved my recovery codes").click()

    # Signed in, but no IAMIS until the exams officer grants it.
    expect(teacher.get_by_text("Alice Academy (68999)")).to_be_visible()
    expect(
        teacher.get_by_role("link", name="Internal Assessment Marks/Outcomes")
    ).to_have_count(0)
    teacher.goto(f"{base}/iamis/")
    expect(teacher.get_by_role("heading", level=1)).to_have_text(
        "You do not have access to this page"
    )

    # The exams officer grants IAMIS for one unit only, confirming with their password.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Centre Users").click()
    page.get_by_role("link", name="Manage access for Tomos Teacher").click()
    page.get_by_label("IAMIS", exact=True).check()
    page.get_by_label(re.compile(r"^3700U1 ")).check()
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm access permissions").click()

    teacher.goto(f"{base}/")
    teacher.get_by_role("link", name="Internal Assessment Marks/Outcomes").click()
    expect(teacher.get_by_text("(3700U1)")).to_be_visible()
    expect(teacher.get_by_text("(3720U4)")).to_have_count(0)
    teacher.context.close()
