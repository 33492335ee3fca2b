"""The server's rules for a mark, whatever the browser sent."""

from __future__ import annotations

import pytest

from iamis.models import Mark, MarkChange
from iamis.services.marks import mark_save_cell
from sampling.services import marks_submit
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory

from .marking import fill


@pytest.fixture
def sheet(two_centres):
    """Alice's 3700U1 (one task, max 40) with three candidates."""
    unit = two_centres.alice_unit
    entries = [two_centres.alice_candidate.entries.get(unit=unit)]
    for number in (1002, 1003):
        entries.append(
            EntryFactory(
                candidate=CandidateFactory(
                    centre=two_centres.alice_centre, number=number
                ),
                unit=unit,
            )
        )
    return entries


def test_a_mark_within_the_maximum_is_saved_with_its_total(sheet):
    result = fill(sheet[0], "35")

    assert result.saved
    assert (result.mark.total, result.mark.is_complete) == (35, True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("41", "The maximum mark for Task 1 is 40"),
        ("-3", "cannot be below 0"),
        ("ten", "Enter a whole number from 0 to 40"),
        ("3.5", "Enter a whole number from 0 to 40"),
    ],
)
def test_a_wrong_mark_is_refused_with_a_message_and_nothing_is_saved(
    sheet, typed, message
):
    fill(sheet[1], "20")

    result = fill(sheet[0], typed)

    assert not result.saved
    assert message in result.error
    assert not Mark.objects.filter(entry=sheet[0]).exists()
    assert Mark.objects.get(entry=sheet[1]).total == 20


def test_absent_needs_confirmation(sheet):
    asked = fill(sheet[0], "a")
    confirmed = fill(sheet[0], "A", confirm=True)

    assert asked.needs_absent_confirmation and not asked.saved
    assert confirmed.saved
    assert confirmed.mark.status == Mark.Status.ABSENT
    assert confirmed.mark.display_value == "A"
    assert confirmed.mark.is_complete


def test_carry_forward_is_refused_where_the_unit_does_not_allow_it(sheet):
    result = fill(sheet[0], "CF")

    assert "Carry forward" in result.error
    assert not Mark.objects.filter(entry=sheet[0]).exists()


@pytest.mark.parametrize("typed", ["c", "C", "cf", "CF"])
def test_carry_forward_is_accepted_where_the_unit_allows_it(sheet, typed):
    unit = sheet[0].unit
    unit.carry_forward_allowed = True
    unit.save()

    result = fill(sheet[0], typed)

    assert result.mark.status == Mark.Status.CARRY_FORWARD
    assert result.mark.display_value == "CF"


def test_a_stale_save_is_refused_and_shows_the_newer_value(sheet, two_centres):
    fill(sheet[0], "20")
    seen = Mark.objects.get(entry=sheet[0]).version
    fill(sheet[0], "25")  # another teacher, meanwhile

    stale = mark_save_cell(
        centre=two_centres.alice_centre,
        entry=sheet[0],
        field="task-1",
        raw_value="30",
        seen_version=seen,
        confirm_absent=False,
        acting_user=None,
    )

    assert stale.conflict and not stale.saved
    assert Mark.objects.get(entry=sheet[0]).total == 25


def test_every_save_is_kept_in_the_history_with_old_and_new(sheet, two_centres):
    fill(sheet[0], "20", user=two_centres.alice)
    fill(sheet[0], "22", user=two_centres.alice)

    changes = list(
        MarkChange.objects.filter(mark__entry=sheet[0]).order_by("changed_at", "id")
    )

    assert [c.new["task_marks"] for c in changes] == [{"1": 20}, {"1": 22}]
    assert changes[1].old["task_marks"] == {"1": 20}
    assert changes[1].changed_by == two_centres.alice


def test_saving_the_same_value_again_changes_nothing(sheet):
    first = fill(sheet[0], "20")

    again = fill(sheet[0], "20")

    assert again.mark.version == first.mark.version
    assert MarkChange.objects.filter(mark__entry=sheet[0]).count() == 1


def test_multi_task_marks_total_only_when_every_task_has_a_mark(two_centres):
    unit = UnitFactory()
    TaskFactory(unit=unit, number=1, max_mark=40)
    TaskFactory(unit=unit, number=2, max_mark=40)
    entry = EntryFactory(candidate=two_centres.alice_candidate, unit=unit)

    one = fill(entry, "30", field="task-1")
    both = fill(entry, "25", field="task-2")

    assert (one.mark.total, one.mark.is_complete) == (None, False)
    assert (both.mark.total, both.mark.is_complete) == (55, True)


def test_initials_are_needed_for_completion_where_the_unit_asks(sheet):
    unit = sheet[0].unit
    unit.initials_required = True
    unit.save()

    marked = fill(sheet[0], "30")
    bad = fill(sheet[0], "A1", field="initials")
    initialled = fill(sheet[0], "ab", field="initials")

    assert not marked.mark.is_complete
    assert "1 to 4 letters" in bad.error
    assert (initialled.mark.initials, initialled.mark.is_complete) == ("AB", True)


def test_outcome_units_take_a_grade_from_their_scale(two_centres):
    unit = UnitFactory(
        assessment="outcomes", grade_scale=["Distinction", "Merit", "Pass"]
    )
    entry = EntryFactory(candidate=two_centres.alice_candidate, unit=unit)

    wrong = fill(entry, "Excellent", field="grade")
    merit = fill(entry, "merit", field="grade")

    assert "Choose one of: Distinction, Merit, Pass, Absent" in wrong.error
    assert (merit.mark.grade, merit.mark.is_complete) == ("Merit", True)


def test_submit_is_refused_while_any_candidate_is_unmarked(sheet, two_centres):
    fill(sheet[0], "30")
    fill(sheet[1], "31")

    with pytest.raises(Exception, match="1 candidate"):
        marks_submit(
            centre=two_centres.alice_centre,
            unit=sheet[0].unit,
            acting_user=two_centres.alice,
        )
    assert not Mark.objects.filter(is_locked=True).exists()


def test_submit_locks_every_mark_and_records_who(sheet, two_centres):
    for entry, value in zip(sheet, ["30", "31", "0"], strict=True):
        fill(entry, value)

    submission = marks_submit(
        centre=two_centres.alice_centre,
        unit=sheet[0].unit,
        acting_user=two_centres.alice,
    )

    assert submission.mark_count == 3
    assert submission.submitted_by == two_centres.alice
    assert submission.is_first
    assert (
        Mark.objects.filter(
            entry__in=sheet, is_locked=True, submission=submission
        ).count()
        == 3
    )


def test_after_submission_the_centre_cannot_change_a_mark(sheet, two_centres):
    for entry in sheet:
        fill(entry, "30")
    marks_submit(
        centre=two_centres.alice_centre,
        unit=sheet[0].unit,
        acting_user=two_centres.alice,
    )

    result = fill(sheet[0], "35")

    assert "submitted and cannot be changed" in result.error
    assert Mark.objects.get(entry=sheet[0]).total == 30


def test_submitting_twice_finds_nothing_left_to_submit(sheet, two_centres):
    for entry in sheet:
        fill(entry, "30")
    marks_submit(
        centre=two_centres.alice_centre,
        unit=sheet[0].unit,
        acting_user=two_centres.alice,
    )

    with pytest.raises(Exception, match="no marks to submit"):
        marks_submit(
            centre=two_centres.alice_centre,
            unit=sheet[0].unit,
            acting_user=two_centres.alice,
        )


def test_late_entries_are_marked_and_submitted_on_their_own(sheet, two_centres):
    for entry in sheet:
        fill(entry, "30")
    marks_submit(
        centre=two_centres.alice_centre,
        unit=sheet[0].unit,
        acting_user=two_centres.alice,
    )
    late = EntryFactory(
        candidate=CandidateFactory(centre=two_centres.alice_centre, number=1099),
        unit=sheet[0].unit,
    )

    fill(late, "12")
    second = marks_submit(
        centre=two_centres.alice_centre,
        unit=sheet[0].unit,
        acting_user=two_centres.alice,
    )

    assert (second.mark_count, second.is_first) == (1, False)


# --- A save read its row, and the row moved on before the write -------------------------


def _read_with_its_mark(entry):
    """The entry as a save reads it (iamis.selectors.access_member_entry): with its mark."""
    from iamis.models import Entry

    return Entry.objects.select_related("unit", "candidate", "mark").get(pk=entry.pk)


def _save(entry, value: str, *, seen_version: int):
    return mark_save_cell(
        centre=entry.centre,
        entry=entry,
        field="task-1",
        raw_value=value,
        seen_version=seen_version,
        confirm_absent=False,
        acting_user=None,
    )


def test_a_row_changed_after_the_save_read_it_is_a_conflict_not_an_overwrite(sheet):
    fill(sheet[0], "20")
    read = _read_with_its_mark(sheet[0])
    fill(sheet[0], "30")  # someone else, between the read and the write

    result = _save(read, "22", seen_version=1)

    assert result.conflict
    assert Mark.objects.get(entry=sheet[0]).total == 30
    assert MarkChange.objects.filter(mark__entry=sheet[0]).count() == 2


def test_a_row_submitted_after_the_save_read_it_is_refused(sheet, two_centres):
    for entry in sheet:
        fill(entry, "20")
    read = _read_with_its_mark(sheet[0])
    marks_submit(
        centre=two_centres.alice_centre,
        unit=two_centres.alice_unit,
        acting_user=two_centres.alice,
    )

    result = _save(read, "22", seen_version=1)

    assert result.outcome == "refused"
    assert Mark.objects.get(entry=sheet[0]).total == 20


def test_a_row_already_holding_the_value_after_the_read_is_answered_saved(sheet):
    fill(sheet[0], "20")
    read = _read_with_its_mark(sheet[0])
    fill(sheet[0], "22")  # the same save's first try, whose answer was lost

    result = _save(read, "22", seen_version=1)

    assert result.saved
    assert MarkChange.objects.filter(mark__entry=sheet[0]).count() == 2


def test_the_common_save_moves_the_version_on_once_with_one_history_row(sheet):
    fill(sheet[0], "20")
    read = _read_with_its_mark(sheet[0])

    result = _save(read, "25", seen_version=1)

    mark = Mark.objects.get(entry=sheet[0])
    assert result.saved
    assert (mark.total, mark.version, result.mark.version) == (25, 2, 2)
    change = MarkChange.objects.filter(mark=mark).latest("pk")
    assert (change.old["task_marks"], change.new["task_marks"]) == (
        {"1": 20},
        {"1": 25},
    )
