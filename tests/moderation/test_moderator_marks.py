"""The moderator marks the sample: saved a cell at a time (never lost, with history),
blind when the unit says so, and the outcome by the rule of MODERATION.md previewed for
every candidate once each sampled candidate with work has the moderator's mark.

The sheet is SAMPLING.md's worked example (maximum 40, so the default tolerance is 2):
the sample is 2001 (40), 2003 (35), 2006 (28), 2008 (20) and 2009 (12).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation.models import ModeratorMark, ModeratorMarkChange
from moderation.moderated import moderated_sample
from sampling.models import SampleMember
from sampling.services import (
    sample_request_further,
    sample_substitute,
)

from .helpers import make_moderator, moderated_sheet
from .outcome_steps import HTMX, SAMPLE, moderate_all, outcome_sheet, save_mark

pytestmark = pytest.mark.django_db


def test_a_moderator_mark_is_saved_inline_and_kept_in_the_history(two_centres):
    moderated = moderated_sheet(two_centres)

    first = save_mark(moderated, 2003, "31")
    second = save_mark(moderated, 2003, "30")

    assert first["X-Mark-Outcome"] == "saved"
    assert (first["X-Mark-Version"], second["X-Mark-Version"]) == ("1", "2")
    mark = ModeratorMark.objects.get(entry=moderated.entry(2003))
    assert (mark.total, mark.task_marks, mark.updated_by) == (
        30,
        {"1": 30},
        moderated.moderator,
    )
    history = list(ModeratorMarkChange.objects.filter(moderator_mark=mark))
    assert [(h.old.get("total"), h.new["total"]) for h in history] == [
        (31, 30),
        (None, 31),
    ]
    page = moderated.client().get(moderated.url("moderate"))
    assert "Changes to your marks" in page.text
    assert 'id="row-2003"' in second.text and 'value="30"' in second.text


def test_a_stale_save_is_a_conflict_and_a_replay_is_answered_as_saved(two_centres):
    moderated = moderated_sheet(two_centres)
    save_mark(moderated, 2003, "31", version=0)

    replay = save_mark(moderated, 2003, "31", version=0)
    other_tab = save_mark(moderated, 2003, "29", version=0)

    assert replay["X-Mark-Outcome"] == "saved"
    assert other_tab["X-Mark-Outcome"] == "conflict"
    assert "changed in another window" in other_tab.text
    # The box shows what was saved; the row offers the value typed in this window.
    assert 'value="31"' in other_tab.text
    assert 'data-action="use-mine" data-field="t1" data-value="29"' in other_tab.text
    assert ModeratorMark.objects.get(entry=moderated.entry(2003)).total == 31
    assert ModeratorMarkChange.objects.count() == 1


@pytest.mark.parametrize("typed", ["41", "-1", "3.5", "twelve"])
def test_a_mark_that_is_not_a_whole_number_up_to_the_maximum_is_refused(
    two_centres, typed
):
    moderated = moderated_sheet(two_centres)
    save_mark(moderated, 2001, "38")

    response = save_mark(moderated, 2003, typed)

    assert response["X-Mark-Outcome"] == "refused"
    assert "whole number from 0 to 40" in response.text or "too high" in response.text
    # What was typed stays in the box to correct, and nothing else is lost.
    assert f'value="{typed}"' in response.text
    assert not ModeratorMark.objects.filter(entry=moderated.entry(2003)).exists()
    assert ModeratorMark.objects.get(entry=moderated.entry(2001)).total == 38


def test_a_candidate_outside_the_sample_cannot_be_given_a_moderator_mark(two_centres):
    moderated = moderated_sheet(two_centres)

    response = save_mark(moderated, 2002, "30")

    assert response.status_code == 404
    assert not ModeratorMark.objects.exists()


def test_the_substitute_is_moderated_in_place_of_unavailable_work(two_centres):
    moderated = moderated_sheet(two_centres)
    lost = SampleMember.objects.get(
        sample=moderated.sample, entry=moderated.entry(2006)
    )
    sample_substitute(
        sample=moderated.sample,
        member=lost,
        replacement=moderated.entry(2005),
        note="The folder was lost in a flood.",
        acting_user=two_centres.alice,
    )

    unavailable = save_mark(moderated, 2006, "28")
    substitute = save_mark(moderated, 2005, "30")

    assert unavailable.status_code == 404
    assert substitute["X-Mark-Outcome"] == "saved"
    numbers = [
        m.entry.candidate.number
        for m in moderated_sample(
            centre=moderated.centre, unit=moderated.unit
        ).to_moderate
    ]
    assert sorted(numbers) == [2001, 2003, 2005, 2008, 2009]


def test_members_added_by_a_further_sample_join_the_set_to_moderate(two_centres):
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, SAMPLE)
    assert moderated_sample(centre=moderated.centre, unit=moderated.unit).complete

    sample_request_further(
        sample=moderated.sample,
        acting_user=moderated.moderator,
        candidate_numbers=[2004],
    )

    state = moderated_sample(centre=moderated.centre, unit=moderated.unit)
    assert not state.complete and state.outcome is None
    assert save_mark(moderated, 2004, "33")["X-Mark-Outcome"] == "saved"
    assert moderated_sample(centre=moderated.centre, unit=moderated.unit).complete


def test_within_tolerance_every_final_mark_is_the_centre_mark(two_centres):
    moderated = moderated_sheet(two_centres)
    # Each within 2 marks (the default tolerance for a maximum of 40).
    moderate_all(moderated, {2001: 38, 2003: 36, 2006: 28, 2008: 18, 2009: 13})

    page = moderated.client().get(moderated.url("moderate"))

    assert "Within tolerance: the centre's marks stand." in page.text
    state = moderated_sample(centre=moderated.centre, unit=moderated.unit)
    assert not state.outcome.adjusted
    finals = {f.entry.candidate.number: f.final for f in state.final_marks}
    assert finals[2002] == 38 and finals[2010] == 0
    assert finals[2011] is None and finals[2012] is None  # absent, carried forward


def test_out_of_tolerance_the_preview_maps_every_candidate(two_centres):
    moderated = moderated_sheet(two_centres)
    # Every sampled mark 8 lower: the mapping is x - 8 throughout; 0 stays 0.
    moderate_all(moderated, {n: c - 8 for n, c in SAMPLE.items()})

    page = moderated.client().get(moderated.url("moderate"))

    assert "Outside tolerance: the centre's marks will be adjusted." in page.text
    state = moderated_sample(centre=moderated.centre, unit=moderated.unit)
    finals = {f.entry.candidate.number: (f.centre, f.final) for f in state.final_marks}
    assert finals[2002] == (38, 30)
    assert finals[2007] == (25, 17)
    assert finals[2009] == (12, 4)
    assert finals[2010] == (0, 0)
    assert finals[2011] == (None, None)
    assert 'id="preview-2002"' in page.text
    assert "<svg" in page.text and "scatter__adjust" in page.text
    assert 'data-testid="pairs-table"' in page.text


def test_a_clerical_correction_is_the_centre_mark_the_rule_starts_from(two_centres):
    moderated = moderated_sheet(two_centres)
    moderated.client().post(moderated.url("correction", 2003), {"task-1": "31"})

    response = save_mark(moderated, 2003, "31")

    assert 'data-testid="difference-2003">0 ' in response.text


def test_blind_moderation_hides_the_centre_mark_until_the_moderator_has_entered_theirs(
    two_centres,
):
    moderated = moderated_sheet(two_centres, blind_moderation=True)
    client = moderated.client()

    before = client.get(moderated.url("moderate"))
    workspace = client.get(moderated.url("workspace"))
    all_marks = client.get(moderated.url("marks"))
    correction = client.get(moderated.url("correction", 2003))

    hidden = "Hidden until you enter your mark"
    assert before.text.count(hidden) == len(SAMPLE)
    assert workspace.text.count(hidden) == len(SAMPLE)
    assert all_marks.text.count(hidden) == len(SAMPLE)
    assert correction.status_code == 302
    row = save_mark(moderated, 2003, "30")
    assert hidden not in row.text and ">35" in row.text
    assert client.get(moderated.url("marks")).text.count(hidden) == len(SAMPLE) - 1


def test_without_javascript_the_form_saves_every_changed_mark(two_centres):
    moderated = moderated_sheet(two_centres)
    save_mark(moderated, 2001, "39")

    client = moderated.client()
    response = client.post(
        moderated.url("moderate"),
        {"m-2001-t1": "39", "v-2001": "1", "m-2003-t1": "34", "m-2006-t1": "99"},
    )

    assert response.status_code == 302
    marks = dict(ModeratorMark.objects.values_list("entry__candidate__number", "total"))
    assert marks == {2001: 39, 2003: 34}
    page = client.get(moderated.url("moderate"))
    assert "Candidate 2006:" in page.text
    assert "the maximum is 40, so 99 is too high." in page.text


def test_an_outcome_unit_records_agree_or_a_different_grade(two_centres):
    moderated = outcome_sheet(two_centres)

    agree = save_mark(moderated, 4101, "merit", field="grade")
    differ = save_mark(moderated, 4102, "Distinction", field="grade")
    refused = save_mark(moderated, 4103, "Excellent", field="grade")

    assert "Agree" in agree.text
    assert "Different grade" in differ.text
    assert refused["X-Mark-Outcome"] == "refused"
    assert ModeratorMark.objects.get(entry=moderated.entry(4101)).grade == "Merit"
    page = moderated.client().get(moderated.url("moderate"))
    assert "Graded 2 of 3 sampled candidates." in page.text


def test_the_moderate_page_reads_the_same_number_of_queries_for_a_bigger_sample(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, SAMPLE)
    client = moderated.client()
    client.get(moderated.url("moderate"))  # sessions, caches warm

    with CaptureQueriesContext(connection) as small:
        client.get(moderated.url("moderate"))
    sample_request_further(
        sample=moderated.sample,
        acting_user=moderated.moderator,
        candidate_numbers=[2002, 2004, 2005],
    )
    moderate_all(moderated, {2002: 30, 2004: 25, 2005: 22})
    with CaptureQueriesContext(connection) as bigger:
        response = client.get(moderated.url("moderate"))

    assert response.status_code == 200
    assert len(bigger.captured_queries) == len(small.captured_queries)


def test_another_moderator_or_a_centre_user_cannot_reach_the_moderation_pages(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    other = make_moderator(email="other@board.example")
    outsiders = [Client(), Client()]
    outsiders[0].force_login(other)
    outsiders[1].force_login(two_centres.alice)

    for client in outsiders:
        for url in (
            moderated.url("moderate"),
            moderated.url("moderate_cell", 2003),
            moderated.url("outcome_panel"),
        ):
            assert client.get(url, headers=HTMX).status_code == 404, url
        response = client.post(
            moderated.url("moderate_cell", 2003),
            {"field": "t1", "value": "1", "version": 0},
            headers=HTMX,
        )
        assert response.status_code == 404
    assert not ModeratorMark.objects.exists()


def test_the_allocations_list_says_how_many_sampled_candidates_are_moderated(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, {2001: 39, 2003: 35, 2006: 28})

    page = moderated.client().get(reverse("moderation:allocations"))

    row = page.text[page.text.index(f"allocation-{moderated.centre.number}-") :]
    row = row[: row.index("</tr>")]
    assert "3 of 5" in row
