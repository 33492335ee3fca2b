"""The marksheet page, inline saves, the no-JavaScript form, and submission pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iamis.models import Mark
from tests.factories import CandidateFactory, EntryFactory, UnitFactory

from .marking import fill


def _sheet_url(unit, **query):
    url = reverse("iamis:marksheet", args=[unit.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _cell_url(unit, number):
    return reverse("iamis:mark_cell", args=[unit.public_id, number])


@pytest.fixture
def sheet(two_centres):
    unit = two_centres.alice_unit
    entries = [two_centres.alice_candidate.entries.get(unit=unit)]
    for number, surname in ((1002, "Bowen"), (1003, "Cole")):
        entries.append(
            EntryFactory(
                candidate=CandidateFactory(
                    centre=two_centres.alice_centre, number=number, surname=surname
                ),
                unit=unit,
            )
        )
    return unit, entries


def test_the_marksheet_shows_each_candidate_with_a_cell_per_task(alice_client, sheet):
    unit, _entries = sheet

    response = alice_client.get(_sheet_url(unit))

    assert "ALICESPECIFIC ORACY (3700U1) MARKSHEET" in response.text
    assert "Mark (Max:40)" in response.text
    assert 'id="m-1002-task-1"' in response.text
    assert "VIEW MODERATOR DETAILS" in response.text


def test_an_inline_save_answers_with_the_row_marked_as_accepted(alice_client, sheet):
    unit, _entries = sheet

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "m-1002-task-1": "33", "v-1002": "0"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.text.strip().startswith('<tr id="row-1002"')
    assert "cell--accepted" in response.text
    assert "Saved" in response.text
    assert Mark.objects.get(entry__candidate__number=1002, entry__unit=unit).total == 33


def test_an_over_maximum_inline_save_names_the_maximum_and_keeps_the_typed_value(
    alice_client, sheet
):
    unit, _entries = sheet

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "m-1002-task-1": "45", "v-1002": "0"},
        headers={"HX-Request": "true"},
    )

    assert "The maximum mark for Task 1 is 40" in response.text
    assert 'value="45"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Mark.objects.filter(entry__unit=unit).exists()


def test_absent_asks_for_confirmation_inline(alice_client, sheet):
    unit, _entries = sheet

    asked = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "m-1002-task-1": "a", "v-1002": "0"},
        headers={"HX-Request": "true"},
    )
    confirmed = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": "A", "confirm": "1", "v-1002": "0"},
        headers={"HX-Request": "true"},
    )

    assert "ABSENT should only be used if a candidate is absent" in asked.text
    assert "Confirm absent" in asked.text
    assert 'value="A"' in confirmed.text
    assert Mark.objects.get(entry__candidate__number=1002).status == Mark.Status.ABSENT


def test_a_stale_inline_save_shows_the_newer_value_and_asks_again(alice_client, sheet):
    unit, entries = sheet
    fill(entries[1], "20")
    fill(entries[1], "25")  # someone else, after the page was loaded at version 1

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "m-1002-task-1": "30", "v-1002": "1"},
        headers={"HX-Request": "true"},
    )

    assert "Someone else changed this row" in response.text
    assert 'value="25"' in response.text
    assert 'name="v-1002" value="2"' in response.text
    assert Mark.objects.get(entry=entries[1]).total == 25


def test_without_javascript_the_page_is_one_form_that_saves_every_row(
    alice_client, sheet
):
    unit, _entries = sheet

    response = alice_client.post(
        _sheet_url(unit),
        {
            "candidate": ["1001", "1002", "1003"],
            "m-1001-task-1": "10",
            "v-1001": "0",
            "m-1002-task-1": "99",
            "v-1002": "0",
            "m-1003-task-1": "30",
            "v-1003": "0",
        },
    )

    assert response.status_code == 200
    assert "The maximum mark for Task 1 is 40" in response.text
    totals = dict(
        Mark.objects.filter(entry__unit=unit).values_list(
            "entry__candidate__number", "total"
        )
    )
    assert totals == {1001: 10, 1003: 30}


def test_save_and_close_returns_to_the_list_of_units(alice_client, sheet):
    unit, _entries = sheet

    response = alice_client.post(
        _sheet_url(unit),
        {
            "candidate": ["1001"],
            "m-1001-task-1": "10",
            "v-1001": "0",
            "save_close": "1",
        },
    )

    assert response.url == reverse("iamis:index")


def test_options_search_show_and_sort(alice_client, sheet):
    unit, entries = sheet
    fill(entries[2], "12")

    search = alice_client.get(_sheet_url(unit, q="bow"))
    unmarked = alice_client.get(_sheet_url(unit, show="unmarked"))
    marked = alice_client.get(_sheet_url(unit, show="marked"))
    by_name = alice_client.get(_sheet_url(unit, sort="name"))

    assert "BOWEN" in search.text and "COLE" not in search.text
    assert "COLE" not in unmarked.text and "BOWEN" in unmarked.text
    assert "COLE" in marked.text and "BOWEN" not in marked.text
    text = by_name.text
    assert text.index("ALICESURNAME") < text.index("BOWEN") < text.index("COLE")


def test_the_marksheet_makes_the_same_queries_for_20_and_500_candidates(
    alice_client, two_centres
):
    unit = UnitFactory()
    from tests.factories import TaskFactory

    TaskFactory(unit=unit, number=1, max_mark=60)
    centre = two_centres.alice_centre

    def queries_with(count: int) -> int:
        from iamis.models import Candidate, Entry

        have = Entry.objects.filter(unit=unit).count()
        new = Candidate.objects.bulk_create(
            Candidate(centre=centre, number=3000 + i, surname=f"S{i}", forename="F")
            for i in range(have, count)
        )
        Entry.objects.bulk_create(
            Entry(centre=centre, candidate=c, unit=unit) for c in new
        )
        for entry in Entry.objects.filter(unit=unit, mark__isnull=True)[:5]:
            fill(entry, "30")
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.get(_sheet_url(unit, rows="all"))
        assert response.status_code == 200
        assert response.text.count('class="mark-row') == count
        return len(captured)

    assert queries_with(20) == queries_with(500)


def test_submit_asks_for_confirmation_then_locks_and_thanks(alice_client, sheet):
    unit, entries = sheet
    for entry in entries:
        fill(entry, "20")

    confirm = alice_client.get(reverse("iamis:submit", args=[unit.public_id]))
    done = alice_client.post(
        reverse("iamis:submit", args=[unit.public_id]), follow=True
    )

    assert "Are you sure you want to submit marks for 3 candidates?" in confirm.text
    assert "Thank you for submitting the marks" in done.text
    assert "View samples" in done.text
    assert Mark.objects.filter(entry__unit=unit, is_locked=True).count() == 3
    sheet_page = alice_client.get(_sheet_url(unit))
    assert 'id="m-1001-task-1"' not in sheet_page.text
    assert "Submitted" in sheet_page.text


def test_an_incomplete_sheet_cannot_be_submitted(alice_client, sheet):
    unit, entries = sheet
    fill(entries[0], "20")

    response = alice_client.post(reverse("iamis:submit", args=[unit.public_id]))

    assert response.status_code == 200
    assert "2 candidate(s) still need a mark" in response.text
    assert not Mark.objects.filter(is_locked=True).exists()


def test_the_index_offers_submit_once_every_candidate_is_done(alice_client, sheet):
    _unit, entries = sheet
    for entry in entries:
        fill(entry, "20")

    response = alice_client.get(reverse("iamis:index"))

    assert "ENTER MARKS (3 DONE, 0 LEFT)" in response.text
    assert "SUBMIT MARKS AND GENERATE SAMPLES (3)" in response.text


def test_moderator_details_appear_after_submission(alice_client, sheet):
    from iamis.models import ModeratorAllocation
    from tests.factories import UserFactory

    unit, entries = sheet
    moderator = UserFactory(is_moderator=True, first_name="Mona", last_name="Moderator")
    ModeratorAllocation.objects.create(
        moderator=moderator, centre=entries[0].centre, unit=unit
    )
    before = alice_client.get(reverse("iamis:moderator_details", args=[unit.public_id]))
    for entry in entries:
        fill(entry, "20")
    alice_client.post(reverse("iamis:submit", args=[unit.public_id]))

    after = alice_client.get(reverse("iamis:moderator_details", args=[unit.public_id]))

    assert "Mona Moderator" not in before.text
    assert "Mona Moderator" in after.text


def test_print_view_lists_candidates_in_number_order(alice_client, sheet):
    unit, entries = sheet
    fill(entries[1], "20")

    response = alice_client.get(reverse("iamis:print", args=[unit.public_id]))

    text = response.text
    assert text.index("1001") < text.index("1002") < text.index("1003")
    assert "<td>20</td>" in text
