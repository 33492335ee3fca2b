"""A teacher fills a 30-candidate sheet with the keyboard, pastes another, and submits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from iamis.models import Mark
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory

from .test_invite_and_access import _sign_in

# Candidate index -> what is typed; the rest get two-digit marks that auto-advance.
SPECIAL = {2: "45", 4: "a", 6: "c", 9: "7"}


@pytest.mark.django_db(transaction=True)
def test_a_teacher_fills_a_sheet_by_keyboard_pastes_another_and_submits(
    live_server, page: Page, two_centres
):
    centre = two_centres.alice_centre
    sheet = UnitFactory(
        code="3999U1", title="Keyboard Unit", carry_forward_allowed=True
    )
    TaskFactory(unit=sheet, number=1, max_mark=40)
    other = UnitFactory(code="3998U1", title="Paste Unit")
    TaskFactory(unit=other, number=1, max_mark=60)
    for i in range(30):
        candidate = CandidateFactory(
            centre=centre, number=4000 + i, surname=f"Keys{i:02d}"
        )
        EntryFactory(candidate=candidate, unit=sheet)
        if i < 5:
            EntryFactory(candidate=candidate, unit=other)
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())

    page.goto(f"{live_server.url}/iamis/units/{sheet.public_id}/?rows=50")
    page.locator("#m-4000-task-1").focus()
    for i in range(30):
        typed = SPECIAL.get(i, str(10 + i))
        page.keyboard.type(typed)
        if typed == "45":
            # Over the maximum: refused, and the cursor comes back to the cell.
            expect(page.locator("#status-4002")).to_contain_text(
                "The maximum mark for Task 1 is 40"
            )
            expect(page.locator("#m-4002-task-1")).to_be_focused()
            page.keyboard.type("40")
        elif typed == "a":
            page.keyboard.press("Tab")
            confirm = page.locator("#row-4004").get_by_role(
                "button", name="Confirm absent"
            )
            expect(confirm).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.locator("#status-4004")).to_contain_text("Saved")
        elif len(typed) == 1:
            page.keyboard.press("Tab")
        expect(page.locator(f"#m-{4000 + i}-task-1")).to_have_value(
            {"a": "A", "c": "CF", "45": "40"}.get(typed, typed)
        )
    # Saves are sent as each cell is left and may finish in any order: wait for all.
    for i in range(30):
        expect(page.locator(f"#status-{4000 + i}")).to_contain_text("Saved")

    values = dict(
        Mark.objects.filter(unit=sheet).values_list("entry__candidate__number", "total")
    )
    assert len(values) == 30 and values[4002] == 40 and values[4009] == 7
    assert (
        Mark.objects.get(unit=sheet, entry__candidate__number=4004).status == "absent"
    )
    assert (
        Mark.objects.get(unit=sheet, entry__candidate__number=4006).status
        == "carry_forward"
    )

    # Paste a column of marks into the other sheet.
    page.goto(f"{live_server.url}/iamis/units/{other.public_id}/paste/")
    page.get_by_label("Paste marks from a spreadsheet").fill("50\n51\n52\n53\n54\n")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name=re.compile("Save 5 accepted lines")).click()
    expect(page.get_by_text("5 marks saved")).to_be_visible()
    assert Mark.objects.filter(unit=other, is_complete=True).count() == 5

    # Submit the keyboard sheet after confirming; it is locked.
    page.goto(f"{live_server.url}/iamis/")
    page.get_by_role("link", name="SUBMIT MARKS AND GENERATE SAMPLES (30)").click()
    expect(
        page.get_by_text("Are you sure you want to submit marks for 30 candidates?")
    ).to_be_visible()
    page.get_by_role("button", name="Yes, submit marks and generate samples").click()
    expect(page.get_by_text("Thank you for submitting the marks")).to_be_visible()
    page.goto(f"{live_server.url}/iamis/units/{sheet.public_id}/?rows=50")
    expect(page.locator("#m-4000-task-1")).to_have_count(0)
    expect(page.locator("#row-4000")).to_contain_text("Submitted")
    assert Mark.objects.filter(unit=sheet, is_locked=True).count() == 30
