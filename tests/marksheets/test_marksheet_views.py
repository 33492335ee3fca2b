"""The marksheet page, inline saves, the no-JavaScript form, and submission pages."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iamis.models import Mark
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import NOT_MARKS, bulk_sheet, fill


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
    assert "2 candidates still need a mark" in response.text
    assert not Mark.objects.filter(is_locked=True).exists()


def test_one_candidate_left_is_counted_in_the_singular(alice_client, sheet):
    unit, entries = sheet
    for entry in entries[:2]:
        fill(entry, "20")

    refused = alice_client.post(reverse("iamis:submit", args=[unit.public_id]))
    index = alice_client.get(reverse("iamis:index"))

    assert "1 candidate still needs a mark" in refused.text
    assert "1 MARK MISSING" in index.text
    assert "1 MARKS MISSING" not in index.text


def test_the_index_offers_submit_once_every_candidate_is_done(alice_client, sheet):
    _unit, entries = sheet
    for entry in entries:
        fill(entry, "20")

    response = alice_client.get(reverse("iamis:index"))

    assert "ENTER MARKS (3 DONE, 0 LEFT)" in response.text
    assert "SUBMIT MARKS AND GENERATE SAMPLES (3)" in response.text


def test_moderator_details_appear_after_submission(alice_client, sheet):
    from centres.models import ModeratorAllocation
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


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_an_inline_save_refuses_anything_but_ascii_digits(alice_client, sheet, typed):
    unit, _entries = sheet

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": typed, "version": "0"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["X-Mark-Outcome"] == "refused"
    assert "row-status__message error" in response.text
    assert not Mark.objects.filter(entry__candidate__number=1002).exists()


def test_an_inline_save_takes_a_mark_with_spaces_around_it(alice_client, sheet):
    unit, _entries = sheet

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": " 7 ", "version": "0"},
        headers={"HX-Request": "true"},
    )

    assert response["X-Mark-Outcome"] == "saved"
    assert Mark.objects.get(entry__candidate__number=1002).total == 7


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_the_full_form_refuses_anything_but_ascii_digits_and_keeps_the_rest(
    alice_client, sheet, typed
):
    unit, _entries = sheet

    response = alice_client.post(
        _sheet_url(unit),
        {
            "candidate": ["1002", "1003"],
            "v-1002": "0",
            "m-1002-task-1": typed,
            "v-1003": "0",
            "m-1003-task-1": " 7 ",
        },
    )

    assert response.status_code == 200
    assert "1 value saved; 1 row needs attention below." in response.text
    assert not Mark.objects.filter(entry__candidate__number=1002).exists()
    assert Mark.objects.get(entry__candidate__number=1003).total == 7


@pytest.mark.parametrize(
    "number", ["\u0661\u0660\u0660\u0662", "\uff11002", "1002\u00b2"]
)
def test_the_full_form_ignores_candidate_numbers_that_are_not_ascii(
    alice_client, sheet, number
):
    unit, _entries = sheet

    response = alice_client.post(
        _sheet_url(unit), {"candidate": [number], f"m-{number}-task-1": "7"}
    )

    assert response.status_code == 302
    assert not Mark.objects.filter(entry__unit=unit).exists()


def test_an_inline_save_without_a_version_is_refused_and_overwrites_nothing(
    alice_client, sheet, two_centres
):
    unit, entries = sheet
    fill(entries[1], "20")

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": "33"},
        headers={"HX-Request": "true"},
    )

    assert response["X-Mark-Outcome"] == "refused"
    assert "did not say which version" in response.text
    assert Mark.objects.get(entry__candidate__number=1002).total == 20


def test_a_full_form_row_without_a_version_is_refused(alice_client, sheet, two_centres):
    unit, entries = sheet
    fill(entries[1], "20")

    response = alice_client.post(
        _sheet_url(unit), {"candidate": ["1002"], "m-1002-task-1": "33"}
    )

    assert "did not say which version" in response.text
    assert Mark.objects.get(entry__candidate__number=1002).total == 20


def test_a_save_replayed_after_its_answer_was_lost_is_saved_once(alice_client, sheet):
    unit, _entries = sheet
    save = {"field": "task-1", "value": "33", "version": "0"}
    alice_client.post(_cell_url(unit, 1002), save, headers={"HX-Request": "true"})

    # The browser never saw the answer, so it sends the same save again, still at 0.
    replay = alice_client.post(
        _cell_url(unit, 1002), save, headers={"HX-Request": "true"}
    )

    assert replay["X-Mark-Outcome"] == "saved"
    assert replay["X-Mark-Version"] == "1"
    mark = Mark.objects.get(entry__candidate__number=1002)
    assert (mark.total, mark.version, mark.changes.count()) == (33, 1, 1)


def test_a_stale_save_of_a_different_value_is_a_conflict_offering_both(
    alice_client, sheet, two_centres
):
    unit, entries = sheet
    fill(entries[1], "20")

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": "33", "version": "0"},
        headers={"HX-Request": "true"},
    )

    assert response["X-Mark-Outcome"] == "conflict"
    assert "Their value: 20. Yours (33) was not saved." in response.text
    assert 'data-action="use-mine"' in response.text
    assert Mark.objects.get(entry__candidate__number=1002).total == 20


def test_the_save_answer_says_whether_the_row_became_complete(alice_client, sheet):
    unit, _entries = sheet

    response = alice_client.post(
        _cell_url(unit, 1002),
        {"field": "task-1", "value": "12", "version": "0"},
        headers={"HX-Request": "true"},
    )

    assert (response["X-Row-Was-Complete"], response["X-Row-Complete"]) == ("0", "1")


def test_saved_values_stay_marked_as_saved_after_a_reload(
    alice_client, sheet, two_centres
):
    unit, entries = sheet
    fill(entries[1], "20")

    response = alice_client.get(_sheet_url(unit))

    row = response.text.split('id="row-1002"')[1].split("</tr>")[0]
    assert 'data-state="saved"' in row
    assert "&#10003;" in row
    empty = response.text.split('id="row-1003"')[1].split("</tr>")[0]
    assert 'data-state=""' in empty


def test_the_search_box_finds_a_candidate_number_as_well_as_a_surname(
    alice_client, sheet
):
    unit, _entries = sheet

    by_number = alice_client.get(_sheet_url(unit, q="1003"))
    by_name = alice_client.get(_sheet_url(unit, q="bow"))

    assert 'id="row-1003"' in by_number.text
    assert 'id="row-1002"' not in by_number.text
    assert 'id="row-1002"' in by_name.text
    assert 'id="row-1003"' not in by_name.text


def test_a_submitted_sheet_shows_no_entry_controls_or_reminders(
    alice_client, sheet, two_centres
):
    unit, entries = sheet
    for entry in entries:
        fill(entry, "20")
    from sampling.services import marks_submit

    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    response = alice_client.get(_sheet_url(unit))

    assert 'id="m-1002-task-1"' not in response.text
    assert "PLEASE REMEMBER TO SUBMIT" not in response.text
    assert 'name="save_close"' not in response.text
    assert "SUBMIT MARKS AND GENERATE SAMPLES" not in response.text
    assert "A for absent" not in response.text


def test_the_no_javascript_form_saves_a_page_of_2000_candidates_with_six_tasks(
    alice_client, two_centres
):
    unit = bulk_sheet(
        two_centres.alice_centre, candidates=2000, first=5000, tasks=6, initials=True
    )
    # The whole page is posted, as a browser does: every cell, most of them unchanged.
    numbers = [str(number) for number in range(5000, 7000)]
    form: dict[str, list[str] | str] = {"candidate": numbers, "save": "1"}
    for number in numbers:
        form[f"v-{number}"] = "0"
        for task in range(1, 7):
            form[f"m-{number}-task-{task}"] = ""
        form[f"m-{number}-initials"] = ""
    form["m-6999-task-1"] = "7"
    form["m-5000-initials"] = "AB"

    response = alice_client.post(
        _sheet_url(unit, rows="all"),
        urlencode(form, doseq=True),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 302, response.text[:300]
    assert Mark.objects.get(unit=unit, entry__candidate__number=6999).total is None
    assert Mark.objects.get(unit=unit, entry__candidate__number=6999).task_marks == {
        "1": 7
    }
    assert Mark.objects.get(unit=unit, entry__candidate__number=5000).initials == "AB"


def test_other_forms_keep_djangos_field_limit(alice_client, two_centres):
    unit = two_centres.alice_unit
    form = {f"f{i}": "x" for i in range(1500)}

    response = alice_client.post(
        reverse("iamis:paste", args=[unit.public_id]),
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "could not be read" in response.text


@pytest.fixture
def submitted_sheet(sheet, two_centres):
    """The three-candidate sheet, every mark submitted; its sample row exists (pending)."""
    from sampling.services import marks_submit

    unit, entries = sheet
    for entry in entries:
        fill(entry, "20")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    return unit, entries


def _sample_with_a_replacement(unit, entries):
    """1002's work was unavailable and 1003 replaces it; 1001 is sampled as chosen."""
    from sampling.models import Sample, SampleMember

    sample = Sample.objects.get(unit=unit)
    sample.status = Sample.Status.READY
    sample.save()
    chosen = SampleMember.objects.create(
        sample=sample, centre=sample.centre, entry=entries[0], origin="system"
    )
    lost = SampleMember.objects.create(
        sample=sample,
        centre=sample.centre,
        entry=entries[1],
        origin="system",
        work_unavailable=True,
    )
    SampleMember.objects.create(
        sample=sample,
        centre=sample.centre,
        entry=entries[2],
        origin="substitute",
        replaces=lost,
    )
    return chosen


def _row(html: str, number: int) -> str:
    return html.split(f'id="row-{number}"')[1].split("</tr>")[0]


def test_a_replaced_sample_member_says_replaced_not_a_plain_tick(
    alice_client, submitted_sheet
):
    unit, entries = submitted_sheet
    _sample_with_a_replacement(unit, entries)

    page = alice_client.get(_sheet_url(unit, show="samples")).text

    assert "&#10003;" in _row(page, 1001).split('class="sample-cell"')[1]
    replaced = _row(page, 1002).split('class="sample-cell"')[1]
    assert "Replaced" in replaced and "&#10003;" not in replaced
    assert "&#10003;" in _row(page, 1003).split('class="sample-cell"')[1]


def test_the_print_view_has_a_sample_column(alice_client, submitted_sheet):
    unit, entries = submitted_sheet
    _sample_with_a_replacement(unit, entries)

    page = alice_client.get(reverse("iamis:print", args=[unit.public_id])).text

    assert '<th scope="col">Sample</th>' in page
    lines = page.split("<tr>")
    assert "In the sample" in next(line for line in lines if "1001" in line)
    assert "Replaced" in next(line for line in lines if "1002" in line)


def test_the_marksheet_links_to_the_moderators_report_once_the_centre_may_see_it(
    alice_client, submitted_sheet, two_centres
):
    from datetime import timedelta

    from django.utils import timezone

    from moderation.models import ModeratorReport
    from tests.factories import UserFactory

    unit, _entries = submitted_sheet
    report = ModeratorReport.objects.create(
        centre=two_centres.alice_centre,
        unit=unit,
        moderator=UserFactory(email="mod@board.example"),
        status=ModeratorReport.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    series = unit.series
    series.results_day = timezone.localdate() + timedelta(days=1)
    series.save()
    before = alice_client.get(_sheet_url(unit)).text

    series.results_day = timezone.localdate()
    series.save()
    after = alice_client.get(_sheet_url(unit)).text

    link = reverse("moderation_centre:centre_report", args=[unit.public_id])
    assert link not in before
    assert link in after
    assert report.pk


def test_a_mark_save_takes_the_same_few_queries_whatever_the_sheet_size(
    alice_client, sheet, two_centres
):
    unit, entries = sheet
    fill(entries[1], "20")

    def queries_for_a_save(number: int, value: str) -> list[str]:
        version = Mark.objects.get(entry__unit=unit, entry__candidate__number=number)
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.post(
                _cell_url(unit, number),
                {"field": "task-1", "value": value, "version": version.version},
                headers={"HX-Request": "true"},
            )
        assert response["X-Mark-Outcome"] == "saved"
        # Savepoints are the test's transaction (BEGIN and COMMIT in production).
        return [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]

    small = queries_for_a_save(1002, "21")
    for number in range(1100, 1400):
        EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=number),
            unit=unit,
        )
    large = queries_for_a_save(1002, "22")

    assert len(small) == len(large), large
    # The user (the session and the membership come from the cache, and the session
    # is not rewritten); the entry with its unit, mark and tasks (access checked); one
    # UPDATE that applies only to the version read; the history row. No row lock
    # unless that UPDATE finds the row moved on, and nothing counts the sheet.
    assert len(large) == 4, "\n".join(large)
    assert not any("FOR UPDATE" in sql for sql in large), large
    assert not any("COUNT(" in sql for sql in large), large


def test_a_saves_entry_comes_with_its_units_tasks_in_number_order(two_centres):
    from centres.models import Membership
    from centres.tenancy import _memberships_of
    from iamis.selectors import access_member_entry, entry_tasks

    unit = UnitFactory(code="3977U1")
    for number, name, most in [
        (3, 'Task "three"', 9),
        (1, "Plan, draft", 30),
        (2, "Ü", 5),
    ]:
        TaskFactory(unit=unit, number=number, name=name, max_mark=most)
    candidate = CandidateFactory(centre=two_centres.alice_centre, number=1977)
    EntryFactory(candidate=candidate, unit=unit)
    officer = _memberships_of(two_centres.alice).get(
        pk=Membership.objects.get(user=two_centres.alice).pk
    )

    entry = access_member_entry(
        membership=officer, unit_id=unit.public_id, candidate_no=1977
    )

    assert [(t.pk, t.number, t.name, t.max_mark) for t in entry_tasks(entry)] == list(
        unit.tasks.order_by("number").values_list("pk", "number", "name", "max_mark")
    )


@pytest.mark.parametrize("show", ["all", "marked", "unmarked", "samples"])
@pytest.mark.parametrize("search", ["", "Bulk001"])
def test_the_pages_count_the_rows_each_option_shows(
    alice_client, two_centres, show, search
):
    """The page count comes from the sheet's progress where that already knows it:
    it must be the number of rows the options give, however the marks stand."""
    from iamis.models import Entry
    from iamis.selectors import sheet_progress
    from marksheets.selectors import marksheet_rows, rows_shown

    unit = bulk_sheet(two_centres.alice_centre, candidates=45, first=3100)
    entries = list(Entry.objects.filter(unit=unit).order_by("candidate__number"))
    for entry in entries[:17]:
        fill(entry, "30")
    fill(entries[20], "A", confirm=True)
    rows = marksheet_rows(
        centre=two_centres.alice_centre, unit=unit, show=show, search=search
    ).count()

    known = rows_shown(
        sheet_progress(centre=two_centres.alice_centre, unit=unit),
        show=show,
        search=search,
    )
    page = alice_client.get(_sheet_url(unit, show=show, q=search, rows="20"))

    assert known in (None, rows)
    assert page.context["page"].paginator.count == rows
    assert page.text.count('class="mark-row') == min(rows, 20)


def test_what_people_typed_is_escaped_in_the_marksheets_rows(alice_client, two_centres):
    unit = UnitFactory(code="3978U1", title="Escaping")
    TaskFactory(unit=unit, number=1, name='Plan "<b>"', max_mark=40)
    candidate = CandidateFactory(
        centre=two_centres.alice_centre,
        number=1978,
        surname="O'Brien<script>alert(1)</script>",
        forename='"Sam" & co',
    )
    fill(EntryFactory(candidate=candidate, unit=unit), "12")

    text = alice_client.get(_sheet_url(unit)).text

    assert "<script>alert(1)" not in text
    assert (
        "<td>O&#x27;BRIEN&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;: &quot;SAM&quot; &amp; CO</td>"
        in text
    )
    assert '"<b>"' not in text and "&quot;&lt;b&gt;&quot;" in text


def test_a_sheet_being_marked_does_not_read_the_sample_or_the_corrections(
    alice_client, two_centres
):
    """Nothing can be sampled, corrected or changed by request before a submission:
    the sheet teachers are filling on deadline day does without those reads."""
    unit = bulk_sheet(two_centres.alice_centre, candidates=25, first=3300)
    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get(_sheet_url(unit))

    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert response.status_code == 200
    assert "sampling_samplemember" not in sql
    assert "moderation_clericalcorrection" not in sql
    assert "iamis_markchange" not in sql
    # The tasks come with the unit, not in a query of their own.
    assert not any(q["sql"].startswith('SELECT "iamis_task"') for q in captured)
