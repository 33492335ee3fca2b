"""Random keystrokes through the real marksheet: what the database holds is what the
screen says is saved, and nothing appears in a row the teacher did not type in."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from iamis.models import Mark
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory

from .test_invite_and_access import _sign_in
from .test_marks_never_lost import SETTLED

# Digits, a decimal point, absent and carry forward, a stray letter, and the keys that
# move: Tab, Enter and Backspace.
KEYS = st.sampled_from([*"0123456789", ".", "a", "c", "x", "Tab", "Enter", "Backspace"])
ROWS = 5

WHERE = """() => {
  const el = document.activeElement;
  const row = el && el.closest('#marksheet-form tbody tr');
  return row ? row.dataset.number : '';
}"""
SCREEN = """() => Array.from(document.querySelectorAll('#marksheet-form td.cell')).map(
  (td) => {
    const input = td.querySelector('input, select');
    return [input.id, input.value, td.dataset.state];
  })"""
LANDED_ON_INITIALS = """() => {
  const el = document.activeElement;
  return el && el.classList.contains('initials') ? el.closest('tr').dataset.number : '';
}"""


@pytest.mark.django_db(transaction=True)
def test_random_typing_stores_exactly_what_the_screen_says_is_saved(
    live_server, page: Page, two_centres
):
    centre = two_centres.alice_centre
    _sign_in(
        page,
        live_server.url,
        "alice@alice.example",
        give_authenticator(two_centres.alice).now(),
    )
    sheets = itertools.count()

    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )
    @given(keys=st.lists(KEYS, min_size=1, max_size=30))
    def typing(keys: list[str]) -> None:
        n = next(sheets)
        unit = UnitFactory(
            code=f"39{n:02d}P1",
            title="Property",
            initials_required=True,
            carry_forward_allowed=True,
        )
        TaskFactory(unit=unit, number=1, max_mark=40)
        TaskFactory(unit=unit, number=2, max_mark=9)
        numbers = [7000 + n * 10 + i for i in range(ROWS)]
        for number in numbers:
            EntryFactory(
                candidate=CandidateFactory(centre=centre, number=number), unit=unit
            )
        page.goto(f"{live_server.url}/iamis/units/{unit.public_id}/")
        first = page.locator(f"#m-{numbers[0]}-task-1")
        first.focus()
        touched: set[str] = set()
        for key in keys:
            where = page.evaluate(WHERE)
            if not where:
                # Focus left the sheet (past the last row): the teacher clicks back in.
                first.focus()
                where = str(numbers[0])
            if key in ("Tab", "Enter", "Backspace"):
                page.keyboard.press(key)
            else:
                page.keyboard.type(key)
            if key != "Tab":
                touched.add(str(where))
            # Initials are offered on arrival (the last ones typed): arriving is acting.
            if landed := page.evaluate(LANDED_ON_INITIALS):
                touched.add(landed)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.wait_for_timeout(1700)  # past the hold on an auto-advanced mark
        page.wait_for_function(SETTLED, timeout=30_000)
        screen = {
            cell_id: (value, state) for cell_id, value, state in page.evaluate(SCREEN)
        }

        page.once("dialog", lambda dialog: dialog.accept())
        page.reload()
        stored = {cell_id: value for cell_id, value, _state in page.evaluate(SCREEN)}

        for cell_id, (value, state) in screen.items():
            number = cell_id.split("-")[1]
            if state == "saved":
                assert stored[cell_id] == value, (keys, cell_id, screen, stored)
            elif state == "":
                assert stored[cell_id] == "", (keys, cell_id, screen, stored)
            if number not in touched:
                assert (value, state, stored[cell_id]) == ("", "", ""), (keys, cell_id)
        untouched = [number for number in numbers if str(number) not in touched]
        assert not Mark.objects.filter(
            unit=unit, entry__candidate__number__in=untouched
        ).exists(), (keys, untouched)

    typing()
