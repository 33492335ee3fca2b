"""The moderator marks the sample in the browser: typed marks move down the column and
save as they go, the outcome panel redraws itself with the preview, and a mark typed while
the network is down is kept, said to be waiting, and saved once the network is back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from moderation.models import ModerationOutcome, ModeratorMark
from tests.accounts.mfa_helpers import give_authenticator
from tests.moderation.helpers import moderated_sheet
from tests.moderation.outcome_steps import moderate_all, write_report

from .test_invite_and_access import _sign_in

CELLS = re.compile(r".*/moderate/\d+/$")


@pytest.mark.django_db(transaction=True)
def test_the_moderator_types_the_sample_and_sees_the_outcome_preview(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    moderated = moderated_sheet(two_centres)
    totp = give_authenticator(moderated.moderator)
    _sign_in(page, base, moderated.moderator.email, totp.now())
    page.goto(f"{base}{moderated.url('workspace')}")
    page.get_by_role("link", name="Moderate the sample").click()
    expect(page.get_by_test_id("outcome-progress")).to_contain_text("Moderated 0 of 5")

    # The sample in rank order: 2001 (40), 2003 (35), 2006 (28), 2008 (20), 2009 (12).
    # Two digits fill a mark of at most 40: the cursor moves down by itself.
    first = page.get_by_label("Moderator's mark (maximum 40) for candidate 2001")
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    first.click()
    for number, mark in ((2003, "32"), (2006, "27"), (2008, "20"), (2009, "12")):
        page.keyboard.type(mark)
        expect(page.locator(f"#m-{number}-t1")).to_be_focused()
    # The last one is confirmed with Enter.
    page.keyboard.type("4")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("outcome-words")).to_contain_text(
        "Outside tolerance: the centre's marks will be adjusted."
    )
    expect(page.locator("#preview-2002")).to_contain_text("30")
    expect(page.get_by_test_id("difference-2001")).to_contain_text("-8")
    marks = dict(ModeratorMark.objects.values_list("entry__candidate__number", "total"))
    assert marks == {2001: 32, 2003: 27, 2006: 20, 2008: 12, 2009: 4}


def _drop_saves(page: Page):
    def abort(route: Route) -> None:
        if route.request.method == "POST":
            route.abort()
        else:
            route.continue_()

    page.route(CELLS, abort)
    return lambda: page.unroute(CELLS, abort)


@pytest.mark.django_db(transaction=True)
def test_a_moderator_mark_typed_while_the_network_is_down_is_kept_and_saved_later(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    moderated = moderated_sheet(two_centres)
    totp = give_authenticator(moderated.moderator)
    _sign_in(page, base, moderated.moderator.email, totp.now())
    page.goto(f"{base}{moderated.url('moderate')}")

    restore = _drop_saves(page)
    box = page.get_by_label("Moderator's mark (maximum 40) for candidate 2003")
    box.fill("31")
    box.press("Enter")

    expect(page.locator("#save-queue")).to_contain_text("1 mark not saved yet.")
    assert not ModeratorMark.objects.exists()
    restore()
    page.get_by_role("button", name="Retry now").click()

    expect(page.locator("#save-queue")).to_be_hidden()
    expect(page.get_by_test_id("difference-2003")).to_contain_text("-4")
    assert ModeratorMark.objects.get().total == 31


@pytest.mark.django_db(transaction=True)
def test_an_outcome_cannot_be_proposed_while_a_mark_is_still_waiting_in_the_browser(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, {2001: 32, 2003: 27, 2006: 20, 2008: 12})
    write_report(moderated)
    totp = give_authenticator(moderated.moderator)
    _sign_in(page, base, moderated.moderator.email, totp.now())
    page.goto(f"{base}{moderated.url('moderate')}")
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))

    restore = _drop_saves(page)
    page.get_by_label("Moderator's mark (maximum 40) for candidate 2009").fill("4")
    page.get_by_label("The reasons for the outcome, for the centre").fill("Generous.")
    page.get_by_role("button", name="Propose this outcome to the board").click()

    expect(page.locator("#unsaved-marks")).to_be_visible()
    assert not ModerationOutcome.objects.exists()
    restore()
    page.get_by_role("button", name="Retry now").click()
    expect(page.locator("#save-queue")).to_be_hidden()
    expect(page.locator("#unsaved-marks")).to_be_hidden()
    page.get_by_role("button", name="Propose this outcome to the board").click()

    expect(page.get_by_test_id("outcome-status")).to_contain_text(
        "waiting for the board"
    )
    outcome = ModerationOutcome.objects.get()
    assert (outcome.kind, outcome.reason) == ("adjusted", "Generous.")
