"""Paste marks from a spreadsheet (preview, confirm) and export the sheet as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import AccessGrant
from iamis.models import Entry, Mark, MarkChange, Unit
from iamis.services import marks
from iamis.services.paste import paste_apply, paste_preview
from marksheets.selectors import marksheet_rows
from sampling.services import marks_submit
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    TaskFactory,
    UnitFactory,
)
from tests.iamis.marking import NOT_MARKS

OVER_MAXIMUM = "The maximum mark for Task 1 is 40: 41 is too high."
SUBMITTED = (
    "These marks have been submitted and cannot be changed here. "
    "Use the mark change request form."
)


@pytest.fixture
def sheet(two_centres) -> Unit:
    """Alice's 3700U1 (one task, max 40) with candidates 1001 (fixture), 1002, 1003."""
    unit = two_centres.alice_unit
    for number, surname in ((1003, "Aaronson"), (1002, "Zephyr")):
        _enter(two_centres, unit, number, surname=surname)
    return unit


def _enter(world, unit: Unit, number: int, **fields) -> Entry:
    candidate = CandidateFactory(centre=world.alice_centre, number=number, **fields)
    return EntryFactory(candidate=candidate, unit=unit)


def _entry(unit: Unit, number: int) -> Entry:
    return Entry.objects.select_related("unit").get(unit=unit, candidate__number=number)


def _mark(unit: Unit, number: int) -> Mark | None:
    return Mark.objects.filter(unit=unit, entry__candidate__number=number).first()


def _total(unit: Unit, number: int) -> int | None:
    mark = _mark(unit, number)
    return mark.total if mark is not None else None


def _save(world, unit: Unit, number: int, value: str, field: str = "task-1") -> None:
    result = marks.mark_save_cell(
        centre=world.alice_centre,
        entry=_entry(unit, number),
        field=field,
        raw_value=value,
        seen_version=None,
        confirm_absent=True,
        acting_user=world.alice,
    )
    assert result.saved, result


def _paste_url(unit: Unit) -> str:
    return reverse("iamis:paste", args=[unit.public_id])


def _preview(client: Client, unit: Unit, text: str, order: str = "number"):
    response = client.post(
        _paste_url(unit), {"text": text, "order": order, "preview": "1"}
    )
    assert response.status_code == 200
    return response


def _confirm(client: Client, unit: Unit, preview_response, **extra):
    hidden = preview_response.context["confirm_form"].initial
    data = {
        "text": hidden["text"],
        "order": hidden["order"],
        "versions": hidden["versions"],
        "confirm": "1",
        **extra,
    }
    return client.post(_paste_url(unit), data, follow=True)


def _rows(response) -> dict[str, str]:
    """Candidate number -> the preview's result for that line."""
    preview = response.context["preview"]
    return {
        row.candidate_number: "Accepted" if row.accepted else row.reason
        for row in preview.rows
    }


# Reading a paste


def test_a_single_column_is_applied_to_the_candidates_in_number_order(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "10\n20\n30\n")

    assert list(_rows(preview)) == ["1001", "1002", "1003"]
    assert "ZEPHYR: SAM" in preview.text
    response = _confirm(alice_client, sheet, preview)

    assert response.redirect_chain[-1][0] == reverse(
        "iamis:marksheet", args=[sheet.public_id]
    )
    assert "3 marks saved, 0 refused." in response.text
    assert [_total(sheet, n) for n in (1001, 1002, 1003)] == [10, 20, 30]


def test_a_single_column_can_follow_the_name_order_instead(
    alice_client, two_centres, sheet
):
    # Name order: Aaronson (1003), Alicesurname (1001), Zephyr (1002).
    preview = _preview(alice_client, sheet, "10\n20\n30", order="name")
    _confirm(alice_client, sheet, preview)

    assert [_total(sheet, n) for n in (1003, 1001, 1002)] == [10, 20, 30]


def test_a_single_column_must_have_one_line_per_candidate(
    alice_client, two_centres, sheet
):
    response = _preview(alice_client, sheet, "10\n20\n")

    assert response.context["preview"] is None
    assert (
        "Lines of marks pasted: 2. Candidates on the sheet: 3. They must match"
        in response.text
    )
    assert 'class="error-summary"' in response.text


def test_candidate_numbers_beside_marks_go_to_those_candidates(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "1003,33\n1001,11\n")

    assert _rows(preview) == {"1003": "Accepted", "1001": "Accepted"}
    _confirm(alice_client, sheet, preview)

    assert [_total(sheet, n) for n in (1001, 1002, 1003)] == [11, None, 33]


def test_candidate_numbers_that_lost_their_leading_zeros_are_found(
    alice_client, two_centres
):
    unit = two_centres.alice_unit
    _enter(two_centres, unit, 12)

    preview = _preview(alice_client, unit, "12;5\n1001;6")
    _confirm(alice_client, unit, preview)

    assert _total(unit, 12) == 5


def test_a_heading_row_is_skipped(alice_client, two_centres, sheet):
    preview = _preview(alice_client, sheet, "Candidate No,Mark\n1002,22\n")

    assert _rows(preview) == {"1002": "Accepted"}
    assert "The first line was read as a heading and skipped." in preview.text


def test_a_heading_over_a_single_column_is_skipped(alice_client, two_centres, sheet):
    preview = _preview(alice_client, sheet, "Mark\n1\n2\n3")

    assert _rows(preview) == {
        "1001": "Accepted",
        "1002": "Accepted",
        "1003": "Accepted",
    }


def test_excel_tab_separated_lines_ending_in_crlf_are_read(
    alice_client, two_centres, sheet
):
    preview = _preview(
        alice_client, sheet, "Candidate\tMark\r\n1001\t7\r\n\r\n1002\t8\r\n"
    )
    _confirm(alice_client, sheet, preview)

    assert [_total(sheet, n) for n in (1001, 1002)] == [7, 8]


# Refusals


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1002\t41", OVER_MAXIMUM),
        ("1002\t-3", "A mark cannot be below 0. Enter a mark from 0 to 40."),
        ("1002\tabc", "Enter a whole number from 0 to 40, or A for absent."),
        ("1002\tCF", "Carry forward (C or CF) is not allowed for this unit."),
        ("9999\t12", "Candidate 9999 is not entered for this unit at this centre."),
        ("Ann\t12", "“Ann” is not a candidate number"),
        ("1002\t10\t11", "Too many columns: expected candidate number, Task 1"),
        ("1002", "There is no mark on this line."),
    ],
)
def test_a_refused_line_says_why_and_the_other_lines_are_saved(
    alice_client, two_centres, sheet, line, reason
):
    preview = _preview(alice_client, sheet, f"1001\t25\n1003\t26\n{line}\n")

    results = list(_rows(preview).values())
    assert results[:2] == ["Accepted", "Accepted"]
    assert results[2].startswith(reason)
    assert "Refused:" in preview.text
    response = _confirm(alice_client, sheet, preview)

    assert "2 marks saved, 1 refused." in response.text
    assert [_total(sheet, n) for n in (1001, 1002, 1003)] == [25, None, 26]


def test_a_line_for_another_centres_candidate_is_refused_as_unknown(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "2001\t12\n1001\t5")

    assert _rows(preview)["2001"] == (
        "Candidate 2001 is not entered for this unit at this centre."
    )


def test_a_candidate_pasted_twice_is_refused_on_both_lines(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "1001\t5\n1002\t6\n1001\t7\n")

    rows = preview.context["preview"].rows
    assert [row.accepted for row in rows] == [False, True, False]
    assert rows[0].reason == (
        "Candidate 1001 is pasted more than once, so none of their lines is used."
    )
    _confirm(alice_client, sheet, preview)

    assert _mark(sheet, 1001) is None


def test_submitted_marks_are_refused(alice_client, two_centres):
    unit = two_centres.alice_unit
    _save(two_centres, unit, 1001, "20")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    _enter(two_centres, unit, 1002)  # a late entry, still to be marked

    preview = _preview(alice_client, unit, "1001\t30\n1002\t25")

    assert _rows(preview) == {"1001": SUBMITTED, "1002": "Accepted"}
    _confirm(alice_client, unit, preview)

    assert [_total(unit, 1001), _total(unit, 1002)] == [20, 25]


def test_a_single_column_on_a_unit_with_several_tasks_is_refused(
    alice_client, two_centres
):
    unit = UnitFactory()
    TaskFactory(unit=unit, number=1)
    TaskFactory(unit=unit, number=2)
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)

    response = _preview(alice_client, unit, "12")

    assert "This unit has 2 tasks, so a single column cannot say" in response.text


# Absent, conflicts, history


def test_absent_is_saved_only_once_confirmed(alice_client, two_centres, sheet):
    preview = _preview(alice_client, sheet, "1001\tA\n1002\t12")

    assert "Confirm absent for 1 candidate" in preview.text
    unconfirmed = _confirm(alice_client, sheet, preview)

    assert "1 mark saved, 1 refused." in unconfirmed.text
    assert _mark(sheet, 1001) is None
    again = _preview(alice_client, sheet, "1001\tA\n1002\t12")
    confirmed = _confirm(alice_client, sheet, again, confirm_absent="on")

    assert "1 mark saved, 0 refused. 1 already had the pasted value." in (
        confirmed.text
    )
    mark = _mark(sheet, 1001)
    assert mark is not None
    assert mark.status == Mark.Status.ABSENT


def test_a_row_changed_after_the_preview_is_not_overwritten(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "1001\t30\n1002\t31")
    _save(two_centres, sheet, 1001, "12")  # a colleague, on the marksheet

    response = _confirm(alice_client, sheet, preview)

    assert _total(sheet, 1001) == 12
    assert _total(sheet, 1002) == 31
    assert (
        "Not saved because someone else changed them after your preview: 1001."
        in response.text
    )


def test_confirm_reads_the_paste_again_instead_of_trusting_the_preview(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "1001\t30")
    hidden = preview.context["confirm_form"].initial

    alice_client.post(
        _paste_url(sheet),
        {**hidden, "text": "1001\t99", "confirm": "1"},
    )

    assert _mark(sheet, 1001) is None


def test_confirm_with_unreadable_versions_saves_nothing(
    alice_client, two_centres, sheet
):
    preview = _preview(alice_client, sheet, "1001\t30")
    hidden = preview.context["confirm_form"].initial

    response = alice_client.post(
        _paste_url(sheet), {**hidden, "versions": "1001:x", "confirm": "1"}
    )

    assert "The preview could not be read. Preview the marks again." in response.text
    assert _mark(sheet, 1001) is None


def test_pasted_marks_are_recorded_in_the_history_as_pasted(
    alice_client, two_centres, sheet
):
    _confirm(alice_client, sheet, _preview(alice_client, sheet, "1001\t30"))

    change = MarkChange.objects.get(mark__entry__candidate__number=1001)
    assert change.source == MarkChange.Source.PASTE
    assert change.changed_by == two_centres.alice
    assert change.new["task_marks"] == {"1": 30}


# Units with several tasks, initials, outcomes


def test_a_unit_with_several_tasks_takes_one_column_per_task_and_initials(
    alice_client, two_centres
):
    unit = UnitFactory(initials_required=True)
    TaskFactory(unit=unit, number=1, max_mark=20)
    TaskFactory(unit=unit, number=2, max_mark=30)
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)
    _enter(two_centres, unit, 1002)

    preview = _preview(
        alice_client,
        unit,
        "Candidate\tTask 1\tTask 2\tInitials\n1001\t12\t25\tab\n1002\t21\t1\tab\n",
    )

    assert _rows(preview)["1002"] == (
        "The maximum mark for Task 1 is 20: 21 is too high."
    )
    _confirm(alice_client, unit, preview)

    mark = _mark(unit, 1001)
    assert mark is not None
    assert (mark.task_marks, mark.total, mark.initials) == (
        {"1": 12, "2": 25},
        37,
        "AB",
    )
    assert mark.is_complete
    assert _mark(unit, 1002) is None


def test_absent_beside_a_mark_is_refused(alice_client, two_centres):
    unit = UnitFactory()
    TaskFactory(unit=unit, number=1)
    TaskFactory(unit=unit, number=2)
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)

    preview = _preview(alice_client, unit, "1001\tA\t12")

    assert _rows(preview)["1001"].startswith(
        "A (absent) or CF (carry forward) stands for the whole row"
    )


def test_an_outcome_unit_takes_grades(alice_client, two_centres):
    unit = UnitFactory(
        assessment=Unit.Assessment.OUTCOMES, grade_scale=Unit.DEFAULT_GRADE_SCALE
    )
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)
    _enter(two_centres, unit, 1002)
    _enter(two_centres, unit, 1003)

    preview = _preview(
        alice_client, unit, "Candidate,Grade\n1001,merit\n1002,Pass\n1003,Excellent"
    )

    assert _rows(preview)["1003"] == "Choose one of: Distinction, Merit, Pass, Absent."
    _confirm(alice_client, unit, preview)

    grades = [getattr(_mark(unit, n), "grade", None) for n in (1001, 1002, 1003)]
    assert grades == ["Merit", "Pass", None]


# The service on its own


def test_the_service_reports_counts_and_conflicts(two_centres, sheet):
    centre = two_centres.alice_centre

    def preview(text, seen_versions=None):
        entries = list(marksheet_rows(centre=centre, unit=sheet))
        return paste_preview(
            unit=sheet,
            tasks=list(sheet.tasks.all()),
            entries=entries,
            text=text,
            seen_versions=seen_versions,
        )

    first = preview("1001\t1\n1002\t2\n1003\t41")
    _save(two_centres, sheet, 1002, "9")

    result = paste_apply(
        centre=centre,
        unit=sheet,
        preview=preview("1001\t1\n1002\t2\n1003\t41", first.versions),
        acting_user=two_centres.alice,
        confirm_absent=False,
    )

    assert (result.saved, result.refused, result.conflicts) == (1, 1, ("1002",))


# CSV export


def _export(client: Client, unit: Unit):
    return client.get(reverse("iamis:export_csv", args=[unit.public_id]))


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_export_lists_the_sheet_in_candidate_number_order(
    alice_client, two_centres, sheet
):
    _save(two_centres, sheet, 1001, "25")
    _save(two_centres, sheet, 1003, "A")

    response = _export(alice_client, sheet)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="68999-3700U1-marks.csv"'
    )
    assert _csv(response) == [
        [
            "Candidate No",
            "Surname",
            "Forename",
            "Task 1 (Max:40)",
            "Total",
            "Status",
            "Submitted",
            "Clerical correction",
        ],
        ["1001", "Alicesurname", "Ann", "25", "25", "Marked", "No", ""],
        ["1002", "Zephyr", "Sam", "", "", "", "No", ""],
        ["1003", "Aaronson", "Sam", "A", "A", "Absent", "No", ""],
    ]


def test_csv_export_shows_grades_initials_and_submission(alice_client, two_centres):
    unit = UnitFactory(
        code="C00/1234/5",
        assessment=Unit.Assessment.OUTCOMES,
        grade_scale=Unit.DEFAULT_GRADE_SCALE,
        initials_required=True,
    )
    EntryFactory(candidate=two_centres.alice_candidate, unit=unit)
    _save(two_centres, unit, 1001, "Merit", field="grade")
    _save(two_centres, unit, 1001, "jd", field="initials")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    response = _export(alice_client, unit)

    assert 'filename="68999-C00-1234-5-marks.csv"' in response["Content-Disposition"]
    assert _csv(response) == [
        [
            "Candidate No",
            "Surname",
            "Forename",
            "Grade",
            "Teacher Initials",
            "Status",
            "Submitted",
            "Clerical correction",
        ],
        ["1001", "Alicesurname", "Ann", "Merit", "JD", "Marked", "Yes", ""],
    ]


def test_csv_export_defuses_cells_a_spreadsheet_would_run(alice_client, two_centres):
    two_centres.alice_candidate.surname = "=HYPERLINK(1)"
    two_centres.alice_candidate.save()

    rows = _csv(_export(alice_client, two_centres.alice_unit))

    assert rows[1][1] == "'=HYPERLINK(1)"


def test_csv_export_makes_the_same_queries_for_5_and_50_candidates(
    alice_client, two_centres
):
    unit = UnitFactory()
    TaskFactory(unit=unit, number=1)

    def queries_with(count: int) -> int:
        for index in range(unit.entries.count(), count):
            entry = _enter(two_centres, unit, 3000 + index)
            if index % 2:
                _save(two_centres, unit, entry.candidate.number, "5")
        with CaptureQueriesContext(connection) as captured:
            rows = _csv(_export(alice_client, unit))
        assert len(rows) == count + 1
        return len(captured)

    assert queries_with(5) == queries_with(50)


# Access


def test_another_centres_unit_gives_404(charlie_client, two_centres):
    unit = two_centres.alice_unit

    assert charlie_client.get(_paste_url(unit)).status_code == 404
    assert charlie_client.post(_paste_url(unit), {"text": "1001\t5"}).status_code == 404
    assert _export(charlie_client, unit).status_code == 404


def test_a_teacher_limited_to_other_units_gets_404(client, two_centres):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=AccessGrant.Area.IAMIS)
    teacher.iamis_units.add(UnitFactory())
    client.force_login(teacher.user)

    assert client.get(_paste_url(two_centres.alice_unit)).status_code == 404
    assert _export(client, two_centres.alice_unit).status_code == 404


def test_a_teacher_without_the_iamis_grant_is_refused(client, two_centres):
    client.force_login(two_centres.alice_teacher.user)

    assert client.get(_paste_url(two_centres.alice_unit)).status_code == 403
    assert _export(client, two_centres.alice_unit).status_code == 403


def test_signing_in_is_required(client, two_centres):
    response = client.get(_paste_url(two_centres.alice_unit))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_other_methods_are_refused(alice_client, two_centres):
    unit = two_centres.alice_unit

    assert alice_client.put(_paste_url(unit)).status_code == 405
    assert (
        alice_client.post(
            reverse("iamis:export_csv", args=[unit.public_id])
        ).status_code
        == 405
    )


# The pages


def test_the_paste_page_is_a_plain_form_that_needs_no_htmx(alice_client, two_centres):
    response = alice_client.get(_paste_url(two_centres.alice_unit))

    assert response.status_code == 200
    assert '<label for="id_text">Paste marks from a spreadsheet</label>' in (
        response.text
    )
    assert "the candidate number, then the mark on each line" in response.text
    assert 'method="post"' in response.text
    assert "hx-post" not in response.text


def test_the_preview_marks_lines_with_words_as_well_as_colour(
    alice_client, two_centres, sheet
):
    response = _preview(alice_client, sheet, "1001\t5\n1002\t41")

    assert "&#10003;</span> <strong>Accepted</strong>" in response.text
    assert f'<strong class="error">Refused:</strong> {OVER_MAXIMUM}' in response.text
    assert "1 line accepted, 1 refused." in response.text


def test_the_marksheet_links_to_paste_and_export(alice_client, two_centres):
    unit = two_centres.alice_unit
    sheet_url = reverse("iamis:marksheet", args=[unit.public_id])

    page = alice_client.get(sheet_url).text

    assert f'href="{_paste_url(unit)}">Paste marks from a spreadsheet' in page
    assert "Export as CSV" in page


def test_the_marksheet_offers_no_paste_once_every_mark_is_submitted(
    alice_client, two_centres
):
    unit = two_centres.alice_unit
    _save(two_centres, unit, 1001, "20")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    page = alice_client.get(reverse("iamis:marksheet", args=[unit.public_id])).text

    assert "Paste marks from a spreadsheet" not in page
    assert "Export as CSV" in page


@pytest.mark.parametrize("separator", [",", ";", "\t", ", ", " ; "])
def test_lines_may_separate_number_and_mark_with_commas_or_semicolons(
    alice_client, two_centres, sheet, separator
):
    text = f"1001{separator}30\n1003{separator}20\n"

    preview = _preview(alice_client, sheet, text)

    assert _rows(preview) == {"1001": "Accepted", "1003": "Accepted"}
    _confirm(alice_client, sheet, preview)
    assert [_total(sheet, n) for n in (1001, 1003)] == [30, 20]


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_a_pasted_value_that_is_not_ascii_digits_is_refused(
    alice_client, two_centres, sheet, typed
):
    preview = _preview(alice_client, sheet, f"1001\t{typed}\n1003\t 7 \n")

    rows = _rows(preview)
    assert rows["1001"] != "Accepted" and rows["1001"]
    assert rows["1003"] == "Accepted"
    _confirm(alice_client, sheet, preview)
    assert (_total(sheet, 1001), _total(sheet, 1003)) == (None, 7)


@pytest.mark.parametrize("number", ["\u0661\u0660\u0660\u0661", "\uff11001"])
def test_a_pasted_candidate_number_that_is_not_ascii_digits_is_refused(
    alice_client, two_centres, sheet, number
):
    preview = _preview(alice_client, sheet, f"{number}\t30\n1003\t20\n")

    assert "is not a candidate number" in _rows(preview)[number]
