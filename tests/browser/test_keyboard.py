"""Keyboard only: every stop on the marksheet shows where focus is and the main controls
are reached with Tab; a save is announced; a form's errors take the keyboard to the
error summary and from there to the field."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from iamis.models import Mark
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import CandidateFactory, EntryFactory

from .test_invite_and_access import _sign_in

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    key: el.id || (el.tagName + ":" + (el.innerText || el.value || "").trim()),
    ringVisible: el.matches(":focus-visible") && style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) >= 2,
    onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
      && box.bottom <= window.innerHeight,
  };
}"""


def _tab_stops(page: Page, *, limit: int) -> list[dict]:
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["key"].startswith("BODY:") or (stops and stop == stops[0]):
            break  # past the last stop (the browser's own controls come next)
        stops.append(stop)
    return stops


def _sign_in_as_alice(page: Page, base: str, two_centres) -> None:
    code = give_authenticator(two_centres.alice).now()
    _sign_in(page, base, "alice@alice.example", code)


def _open_alices_sheet_of_two(page: Page, base: str, two_centres) -> None:
    """Alice's marksheet with candidates 1001 and 1002, open in the browser."""
    unit = two_centres.alice_unit
    EntryFactory(
        candidate=CandidateFactory(centre=two_centres.alice_centre, number=1002),
        unit=unit,
    )
    _sign_in_as_alice(page, base, two_centres)
    page.goto(f"{base}/iamis/units/{unit.public_id}/")


@pytest.mark.django_db(transaction=True)
def test_every_marksheet_control_is_reached_by_tab_with_a_visible_focus_ring(
    live_server, page: Page, two_centres
):
    _open_alices_sheet_of_two(page, live_server.url, two_centres)

    stops = _tab_stops(page, limit=80)

    keys = [stop["key"] for stop in stops]
    assert keys[0] == "A:Skip to main content", keys
    for control in (
        "id_q", "id_rows", "id_sort", "id_show", "BUTTON:SEARCH",
        "m-1001-task-1", "m-1002-task-1", "BUTTON:SAVE", "save-close",
        "BUTTON:Sign out", "BUTTON:Cymraeg",
    ):  # fmt: skip
        assert control in keys, f"{control} is not reached by Tab: {keys}"
    assert keys.index("m-1001-task-1") < keys.index("m-1002-task-1")
    hidden = [stop["key"] for stop in stops if not stop["ringVisible"]]
    assert hidden == [], f"no visible focus ring on {hidden}"
    off_screen = [stop["key"] for stop in stops if not stop["onScreen"]]
    assert off_screen == [], f"focused but not on screen: {off_screen}"


@pytest.mark.django_db(transaction=True)
def test_a_mark_saved_from_the_keyboard_is_announced_in_the_live_region(
    live_server, page: Page, two_centres
):
    _open_alices_sheet_of_two(page, live_server.url, two_centres)
    live = page.locator("#sheet-status")
    expect(live).to_have_attribute("aria-live", "polite")

    page.locator("#m-1001-task-1").focus()
    page.keyboard.type("20")  # two digits of a 40 maximum: on to the next candidate
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    expect(live).to_have_text("1001: Saved")
    page.keyboard.type("45")
    page.keyboard.press("Tab")
    expect(live).to_have_text(
        "1002: The maximum mark for Task 1 is 40: 45 is too high."
    )
    # The refused cell has the cursor again and says why, in words as well as red.
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    expect(page.locator("#m-1002-task-1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#row-1001 .cell--accepted")).to_contain_text("Saved")


@pytest.mark.django_db(transaction=True)
def test_a_form_with_errors_puts_the_keyboard_on_the_summary_then_the_field(
    live_server, page: Page, two_centres
):
    _sign_in_as_alice(page, live_server.url, two_centres)
    page.goto(f"{live_server.url}/accounts/users/invite/")
    page.get_by_role("button", name="Send invite").focus()
    page.keyboard.press("Enter")

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    page.keyboard.press("Tab")
    first = summary.get_by_role("link").first
    expect(first).to_be_focused()
    assert first.get_attribute("href") == "#id_first_name"
    page.keyboard.press("Enter")
    field = page.locator("#id_first_name")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "id_first_name_error" in (field.get_attribute("aria-describedby") or "")
    assert page.evaluate(FOCUSED)["ringVisible"]


@pytest.mark.django_db(transaction=True)
def test_a_refused_sign_in_focuses_the_summary_not_the_autofocus_field(
    live_server, page: Page
):
    page.goto(f"{live_server.url}/accounts/sign-in/")
    expect(page.locator("#id_email")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".error-summary")).to_be_focused()
    page.wait_for_timeout(300)
    expect(page.locator(".error-summary")).to_be_focused()


@pytest.mark.django_db(transaction=True)
def test_a_late_refusal_does_not_pull_the_cursor_out_of_the_next_cell(
    live_server, page: Page, two_centres
):
    _open_alices_sheet_of_two(page, live_server.url, two_centres)
    held: list[
        Route
    ] = []  # the first save's answer waits until the teacher has typed on

    def hold_first_save(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/iamis/**", hold_first_save)

    page.locator("#m-1001-task-1").focus()
    page.keyboard.type("x")  # not a mark; Tab moves on to 1002 before the answer
    page.keyboard.press("Tab")
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    page.keyboard.type("2")
    page.wait_for_timeout(100)  # lets the route handler run on this thread
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator("#m-1001-task-1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#sheet-status")).to_contain_text("1001: Enter a whole number")
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    page.keyboard.type("0")
    expect(page.locator("#m-1002-task-1")).to_have_value("20")


@pytest.mark.django_db(transaction=True)
def test_a_mark_over_the_maximum_keeps_the_cursor_in_its_cell(
    live_server, page: Page, two_centres
):
    _open_alices_sheet_of_two(page, live_server.url, two_centres)

    page.locator("#m-1001-task-1").focus()
    page.keyboard.type("45")  # two digits, but over the maximum of 40: no moving on

    expect(page.locator("#status-1001")).to_contain_text(
        "The maximum mark for Task 1 is 40: 45 is too high."
    )
    expect(page.locator("#m-1001-task-1")).to_be_focused()
    expect(page.locator("#row-1001 td.cell")).to_have_attribute("data-state", "refused")
    page.keyboard.type("40")
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    expect(page.locator("#row-1001 td.cell")).to_have_attribute("data-state", "saved")


@pytest.mark.django_db(transaction=True)
def test_a_decimal_typed_fast_is_refused_whole_in_its_own_cell(
    live_server, page: Page, two_centres
):
    _open_alices_sheet_of_two(page, live_server.url, two_centres)

    page.locator("#m-1001-task-1").focus()
    page.keyboard.type(
        "12.5"
    )  # "12" fills the cell's two digits; ".5" is still its own
    page.keyboard.press("Enter")

    expect(page.locator("#m-1001-task-1")).to_have_value("12.5")
    expect(page.locator("#m-1002-task-1")).to_have_value("")
    expect(page.locator("#status-1001")).to_contain_text("Enter a whole number")
    expect(page.locator("#m-1001-task-1")).to_be_focused()
    page.wait_for_timeout(1600)  # past the hold on an auto-advanced mark
    assert not Mark.objects.filter(entry__unit=two_centres.alice_unit).exists()
