"""No mark is ever lost: the marksheet's save queue under a dropped network, aborted
requests, answers lost after the server saved, a reload with marks queued, a closed tab,
another person's change, and a 2,000-candidate sheet shown whole.

Faults are injected in the browser (Playwright's offline switch and routes), against the
real server and PostgreSQL; what the teacher saw is then compared with the database.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from iamis.models import Entry, Mark, MarkChange, Unit
from tests.accounts.mfa_helpers import give_authenticator
from tests.iamis.marking import bulk_sheet, fill

from .test_invite_and_access import _sign_in

SAVES = "**/candidates/*/**"
# Nothing saving or queued, and nothing typed that is not yet queued (a mark held after
# auto-advance, a cell not yet left).
SETTLED = """() => !document.querySelector('td[data-state="saving"], td[data-state="queued"]')
  && !Object.keys(localStorage).some((key) => key.startsWith('iamis-marks:'))
  && Array.from(document.querySelectorAll('[data-column]')).every((input) =>
    input.value === (input.hasAttribute('data-sent')
      ? input.getAttribute('data-sent') : input.defaultValue))"""
# Retry now, if the banner still offers it: the queue may have retried by itself first.
RETRY_IF_OFFERED = """() => {
  const banner = document.getElementById('save-queue');
  if (banner && !banner.hidden) document.getElementById('save-queue-retry').click();
}"""


def _sheet(centre, *, candidates: int, tasks: int = 1, initials: bool = False) -> Unit:
    return bulk_sheet(
        centre, candidates=candidates, first=3000, tasks=tasks, initials=initials
    )


def _open(page: Page, base: str, two_centres, unit: Unit, query: str = "") -> None:
    _sign_in(
        page, base, "alice@alice.example", give_authenticator(two_centres.alice).now()
    )
    page.goto(f"{base}/iamis/units/{unit.public_id}/{query}")


def _value(unit: Unit, number: int, task: int = 1) -> int | None:
    mark = Mark.objects.filter(unit=unit, entry__candidate__number=number).first()
    return None if mark is None else mark.task_marks.get(str(task))


def _history(unit: Unit, number: int) -> int:
    return MarkChange.objects.filter(
        mark__unit=unit, mark__entry__candidate__number=number
    ).count()


def _wait_until_settled(page: Page) -> None:
    page.wait_for_function(SETTLED, timeout=60_000)


def _failing_saves(page: Page) -> Callable[[], None]:
    """Every save is aborted (a network error) until the returned function is called."""

    def abort(route: Route) -> None:
        if route.request.method == "POST":
            route.abort()
        else:
            route.continue_()

    page.route(SAVES, abort)
    return lambda: page.unroute(SAVES, abort)


@pytest.mark.django_db(transaction=True)
def test_a_mark_typed_offline_is_kept_shown_as_waiting_and_saved_once_back_online(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=3)
    _open(page, live_server.url, two_centres, unit)

    page.context.set_offline(True)
    page.locator("#m-3000-task-1").fill("22")
    page.keyboard.press("Tab")

    expect(page.locator("#row-3000 td.cell")).to_have_attribute("data-state", "queued")
    expect(page.locator("#state-3000-task-1")).to_have_text("Not saved yet: will retry")
    expect(page.locator("#save-queue")).to_contain_text("1 mark not saved yet.")
    expect(page.locator("#save-queue")).to_contain_text("This computer is offline")
    assert _value(unit, 3000) is None

    page.context.set_offline(False)

    expect(page.locator("#row-3000 td.cell")).to_have_attribute("data-state", "saved")
    expect(page.locator("#save-queue")).to_be_hidden()
    expect(page.get_by_test_id("progress")).to_contain_text("1 done, 2 left")
    assert (_value(unit, 3000), _history(unit, 3000)) == (22, 1)


@pytest.mark.django_db(transaction=True)
def test_marks_queued_when_the_page_is_reloaded_are_sent_after_the_reload(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=3)
    _open(page, live_server.url, two_centres, unit)
    restore = _failing_saves(page)
    for number, typed in ((3000, "11"), (3001, "12")):
        page.locator(f"#m-{number}-task-1").fill(typed)
        page.keyboard.press("Tab")
    expect(page.locator("#save-queue")).to_contain_text("2 marks not saved yet.")
    expect(page.locator("#save-queue")).to_contain_text("could not be reached")

    page.once("dialog", lambda dialog: dialog.accept())  # "Leave the page anyway?"
    page.reload()
    # Still failing after the reload: the marks are shown from the browser's queue.
    expect(page.locator("#m-3001-task-1")).to_have_value("12")
    expect(page.locator("#save-queue")).to_contain_text("2 marks not saved yet.")
    restore()
    page.evaluate(RETRY_IF_OFFERED)

    _wait_until_settled(page)
    expect(page.locator("#row-3001 td.cell")).to_have_attribute("data-state", "saved")
    assert [_value(unit, n) for n in (3000, 3001, 3002)] == [11, 12, None]
    assert [_history(unit, n) for n in (3000, 3001)] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_closed_tabs_queued_marks_are_sent_by_the_next_tab(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=2)
    _open(page, live_server.url, two_centres, unit)
    _failing_saves(page)
    page.locator("#m-3001-task-1").fill("30")
    page.keyboard.press("Tab")
    expect(page.locator("#save-queue")).to_contain_text("1 mark not saved yet.")
    url = page.url

    page.close()
    second = page.context.new_page()
    second.goto(url)

    second.wait_for_function(SETTLED, timeout=30_000)
    assert (_value(unit, 3001), _history(unit, 3001)) == (30, 1)


@pytest.mark.django_db(transaction=True)
def test_leaving_with_unsaved_marks_asks_first(live_server, page: Page, two_centres):
    unit = _sheet(two_centres.alice_centre, candidates=2)
    _open(page, live_server.url, two_centres, unit)
    _failing_saves(page)
    page.locator("#m-3000-task-1").fill("30")
    page.keyboard.press("Tab")
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)

    assert asked == ["beforeunload"]


@pytest.mark.django_db(transaction=True)
def test_submitting_is_refused_while_marks_wait_in_the_queue(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=2)
    fill(Entry.objects.get(unit=unit, candidate__number=3000), "20")
    _open(page, live_server.url, two_centres, unit)
    submit = page.get_by_role("link", name="SUBMIT MARKS AND GENERATE SAMPLES")
    expect(submit).to_be_hidden()

    page.locator("#m-3001-task-1").fill("25")
    page.keyboard.press("Tab")
    # Shown only once the server has the last mark of the sheet.
    expect(submit).to_be_visible()
    expect(page.get_by_test_id("progress")).to_contain_text("2 done, 0 left")

    restore = _failing_saves(page)
    page.locator("#m-3001-task-1").fill("26")
    page.keyboard.press("Tab")
    submit.click()
    expect(page.locator("#save-queue")).to_contain_text(
        "Marks for this unit are still waiting to be saved"
    )
    assert "/submit/" not in page.url
    # The confirmation page, opened directly, refuses too.
    page.goto(f"{live_server.url}/iamis/units/{unit.public_id}/submit/")
    expect(page.locator("#unsaved-marks")).to_be_visible()
    expect(page.get_by_role("button", name="Yes, submit marks")).to_be_disabled()

    restore()
    page.go_back()
    _wait_until_settled(page)
    assert _value(unit, 3001) == 26


@pytest.mark.django_db(transaction=True)
def test_a_stale_queued_mark_replayed_after_another_change_shows_both_and_overwrites_nothing(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=2)
    _open(page, live_server.url, two_centres, unit)
    restore = _failing_saves(page)
    page.locator("#m-3000-task-1").fill("22")
    page.keyboard.press("Tab")
    expect(page.locator("#save-queue")).to_contain_text("1 mark not saved yet.")
    # Meanwhile a colleague saves 30 for the same candidate.
    fill(Entry.objects.get(unit=unit, candidate__number=3000), "30")

    restore()
    page.evaluate(RETRY_IF_OFFERED)

    expect(page.locator("#status-3000")).to_contain_text(
        "Their value: 30. Yours (22) was not saved.", timeout=15_000
    )
    expect(page.locator("#m-3000-task-1")).to_have_value("30")
    assert (_value(unit, 3000), _history(unit, 3000)) == (30, 1)

    page.get_by_role("button", name="Save my value (22) over theirs").click()
    expect(page.locator("#row-3000 td.cell")).to_have_attribute("data-state", "saved")
    assert (_value(unit, 3000), _history(unit, 3000)) == (22, 2)


def _faulty_saves(page: Page, every: int = 4) -> dict[str, int]:
    """Abort every `every`-th save: alternately before it reaches the server, and after
    the server has saved it (the answer is lost on the way back)."""
    counts = {"sent": 0, "lost_before": 0, "lost_after": 0}
    numbering = itertools.count(1)

    def handle(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        counts["sent"] += 1
        n = next(numbering)
        if n % every:
            route.continue_()
        elif (n // every) % 2:
            counts["lost_before"] += 1
            route.abort()
        else:
            counts["lost_after"] += 1
            route.fetch()  # the server saves...
            route.abort()  # ...and the answer never arrives

    page.route(SAVES, handle)
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_2000_candidate_sheet_shown_whole_loses_nothing_to_faults(
    live_server, page: Page, two_centres
):
    context = page.context
    page.set_default_navigation_timeout(60_000)  # 14,000 cells to render and lay out
    unit = _sheet(two_centres.alice_centre, candidates=2000, tasks=6, initials=True)
    _open(page, live_server.url, two_centres, unit, "?rows=all")
    expect(page.locator("#m-4999-initials")).to_be_attached()
    counts = _faulty_saves(page)
    typed: dict[tuple[int, str], str] = {}

    def type_column(field: str, numbers: range, values: Callable[[int], str]) -> None:
        # In the page, in one step: an answer for that row may redraw it at any moment
        # (the cursor is kept across a redraw), and a handle found first could be gone.
        page.evaluate(
            "id => { const cell = document.getElementById(id); cell.focus(); "
            "cell.select(); }",
            f"m-{numbers[0]}-{field}",
        )
        for number in numbers:
            value = values(number)
            page.keyboard.type(value)
            if len(value) < 2 or field == "initials":
                page.keyboard.press("Enter")
            typed[(number, field)] = value

    # Down the first task's column: two digits move on by themselves.
    type_column("task-1", range(3000, 3012), lambda n: str(10 + n % 30))
    # The network drops for a while: marks typed meanwhile wait in the queue.
    context.set_offline(True)
    type_column("task-2", range(3000, 3006), lambda n: str(n % 10))
    expect(page.locator("#save-queue")).to_contain_text("not saved yet")
    context.set_offline(False)
    # Saves fail outright, and the page is reloaded with marks still queued.
    page.unroute(SAVES)
    _failing_saves(page)
    type_column("task-6", range(3000, 3004), lambda n: str(20 + n % 5))
    type_column("initials", range(3000, 3004), lambda n: "AB")
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.unroute(SAVES)
    counts_after = _faulty_saves(page)
    _wait_until_settled(page)  # the queue kept over the reload goes out first
    # A value changed again after it was saved: one more history row, no more.
    type_column("task-1", range(3011, 3012), lambda n: "39")
    page.keyboard.press("Tab")

    _wait_until_settled(page)
    stored = {
        (mark.entry.candidate.number, field): value
        for mark in Mark.objects.filter(unit=unit).select_related("entry__candidate")
        for field, value in [
            *((f"task-{k}", str(v)) for k, v in mark.task_marks.items()),
            ("initials", mark.initials),
        ]
        if value
    }
    assert stored == typed
    # Both kinds of fault happened: saves lost on the way, and answers lost after saving.
    lost_before = counts["lost_before"] + counts_after["lost_before"]
    lost_after = counts["lost_after"] + counts_after["lost_after"]
    assert lost_before and lost_after, (counts, counts_after)
    changes = {number: _history(unit, number) for number in {n for n, _f in typed}}
    expected = {
        number: sum(1 for (n, _f) in typed if n == number) + (number == 3011)
        for number in changes
    }
    assert changes == expected


@pytest.mark.django_db(transaction=True)
def test_a_save_answered_with_a_server_error_waits_and_is_sent_again(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=2)
    _open(page, live_server.url, two_centres, unit)
    errors = {"left": 2}

    def busy(route: Route) -> None:
        if route.request.method == "POST" and errors["left"]:
            errors["left"] -= 1
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    page.route(SAVES, busy)
    page.locator("#m-3000-task-1").fill("17")
    page.keyboard.press("Tab")

    expect(page.locator("#save-queue")).to_contain_text("had a problem")
    expect(page.locator("#state-3000-task-1")).to_have_text("Not saved yet: will retry")
    expect(page.locator("#row-3000 td.cell")).to_have_attribute(
        "data-state", "saved", timeout=15_000
    )
    assert (errors["left"], _value(unit, 3000), _history(unit, 3000)) == (0, 17, 1)


@pytest.mark.django_db(transaction=True)
def test_a_mark_typed_after_signing_out_elsewhere_is_saved_once_signed_in_again(
    live_server, page: Page, two_centres
):
    base = live_server.url
    unit = _sheet(two_centres.alice_centre, candidates=2)
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, base, "alice@alice.example", totp.now())
    page.goto(f"{base}/iamis/units/{unit.public_id}/")
    other = page.context.new_page()
    other.goto(f"{base}/")
    other.get_by_role("button", name="Sign out").click()
    expect(other.get_by_label("Email address")).to_be_visible()  # signed out

    page.locator("#m-3000-task-1").fill("22")
    page.keyboard.press("Tab")

    expect(page.locator("#save-queue")).to_contain_text("Your session has ended")
    expect(page.locator("#row-3000 td.cell")).to_have_attribute("data-state", "queued")
    assert _value(unit, 3000) is None
    # Signing in again gives a new CSRF token: the queue fetches it and carries on.
    _sign_in(other, base, "alice@alice.example", totp.at(time.time() + 30))
    expect(other.get_by_role("button", name="Sign out")).to_be_visible()
    page.evaluate(RETRY_IF_OFFERED)

    expect(page.locator("#row-3000 td.cell")).to_have_attribute(
        "data-state", "saved", timeout=15_000
    )
    assert (_value(unit, 3000), _history(unit, 3000)) == (22, 1)


@pytest.mark.django_db(transaction=True)
def test_marks_typed_before_the_page_script_arrives_are_saved(
    live_server, page: Page, two_centres
):
    unit = _sheet(two_centres.alice_centre, candidates=3)
    _sign_in(
        page,
        live_server.url,
        "alice@alice.example",
        give_authenticator(two_centres.alice).now(),
    )
    held: list[Route] = []
    page.route("**/js/marksheet*.js", lambda route: held.append(route))
    page.goto(f"{live_server.url}/iamis/units/{unit.public_id}/", wait_until="commit")
    page.locator("#m-3000-task-1").fill("21")
    page.locator("#m-3001-task-1").fill("22")
    page.locator("#m-3001-task-1").focus()

    page.wait_for_timeout(100)  # lets the route handler run on this thread
    held[0].continue_()
    page.locator("#m-3002-task-1").focus()  # leaves 3001, which saves on its change

    expect(page.locator("#row-3000 td.cell")).to_have_attribute("data-state", "saved")
    expect(page.locator("#row-3001 td.cell")).to_have_attribute("data-state", "saved")
    assert [_value(unit, n) for n in (3000, 3001, 3002)] == [21, 22, None]


@pytest.mark.django_db(transaction=True)
def test_a_refused_mark_is_sent_once_when_another_rows_answer_lands_beside_it(
    live_server, page: Page, two_centres
):
    """Two answers arriving together: the first one's follow-up must not send the second
    row's mark again (its answer is still being read), or the repeated refusal would
    pull the cursor back while the teacher types on below."""
    unit = _sheet(two_centres.alice_centre, candidates=4)
    _open(page, live_server.url, two_centres, unit)
    held: list[tuple[Route, object]] = []
    sent: list[str] = []

    def release_held() -> None:
        # Off the list before it is answered: answering lets the other handler (or the
        # test) run on, and it must not answer the same route a second time.
        while held:
            first, its_answer = held.pop()
            first.fulfill(response=its_answer)

    def together(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(f"{route.request.url.split('/')[-2]}={route.request.post_data}")
        answer = route.fetch()
        if "/3000/" in route.request.url and not held:
            held.append((route, answer))  # held until the next row's save arrives
            return
        release_held()
        route.fulfill(response=answer)

    page.route(SAVES, together)
    page.locator("#m-3000-task-1").focus()
    page.keyboard.type("10")  # two digits: the cursor moves on to 3001
    page.keyboard.type("45")  # over 40: refused, and the cursor comes back to it
    expect(page.locator("#status-3001")).to_contain_text("The maximum mark")
    expect(page.locator("#m-3001-task-1")).to_be_focused()
    page.keyboard.type("40")
    page.keyboard.type("13")

    expect(page.locator("#m-3002-task-1")).to_have_value("13")
    expect(page.locator("#m-3001-task-1")).to_have_value("40")
    # A handler runs again while another waits on the server, so the order the two
    # saves reached it can differ: whatever is still held is answered now.
    release_held()
    page.keyboard.press("Tab")
    _wait_until_settled(page)
    assert [_value(unit, n) for n in (3000, 3001, 3002)] == [10, 40, 13]
    assert sum("value=45" in line for line in sent if line.startswith("3001")) == 1
