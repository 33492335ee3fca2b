"""The exams officer watches a unit on the dashboard go from "Not started" to
"Submitted": one click to the sheet, marks entered, submitted, and the receipt e-mailed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from iamis.models import Mark
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory

from .test_invite_and_access import _sign_in


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_a_unit_move_from_not_started_to_submitted(
    live_server, page: Page, two_centres
):
    centre = two_centres.alice_centre
    unit = UnitFactory(
        code="3901U1",
        title="Dashboard Unit",
        sample_deadline=timezone.localdate() + timedelta(days=7),
    )
    TaskFactory(unit=unit, number=1, max_mark=40)
    for number in (4101, 4102, 4103):
        EntryFactory(
            candidate=CandidateFactory(centre=centre, number=number), unit=unit
        )
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())

    page.get_by_role("link", name="Dashboard: where each unit stands").click()
    row = page.locator(f"#dashboard-{unit.public_id}")
    expect(row).to_contain_text("Not started")
    expect(row).to_contain_text("0 done, 3 left")
    expect(row).to_contain_text("7 days")

    # One click to the sheet; enter the three marks.
    row.get_by_role("link", name="Dashboard Unit (3901U1)").click()
    for number, mark in ((4101, "25"), (4102, "31"), (4103, "18")):
        page.locator(f"#m-{number}-task-1").focus()
        page.keyboard.type(mark)
        page.keyboard.press("Tab")
        expect(page.locator(f"#status-{number}")).to_contain_text("Saved")
    assert Mark.objects.filter(unit=unit, is_complete=True).count() == 3

    page.goto(f"{live_server.url}/iamis/dashboard/")
    expect(row).to_contain_text("Ready to submit")
    expect(row).to_contain_text("3 done, 0 left")

    page.goto(f"{live_server.url}/iamis/")
    page.get_by_role("link", name="SUBMIT MARKS AND GENERATE SAMPLES (3)").click()
    page.get_by_role("button", name="Yes, submit marks and generate samples").click()
    expect(page.get_by_text("Thank you for submitting the marks")).to_be_visible()

    page.goto(f"{live_server.url}/iamis/dashboard/")
    expect(row.locator("td.status")).to_have_text("Submitted")
    expect(row).to_contain_text("Yes, ")
    # No worker runs here: the sample is still being chosen.
    expect(row).to_contain_text("Being chosen")
    receipts = [m for m in mail.outbox if m.subject.startswith("Marks submitted")]
    assert [m.subject for m in receipts] == ["Marks submitted: 3901U1, 3 candidates"]
