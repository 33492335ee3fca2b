"""The outcome: proposed by the moderator, approved by a second person on the board's
console (or sent back with a note), applied once as history rows on the marks, seen by
the centre from results day, and read-only after release except as a new version.

The sheet is SAMPLING.md's worked example (maximum 40, tolerance 2); the sample is 2001
(40), 2003 (35), 2006 (28), 2008 (20) and 2009 (12).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iamis.models import Mark, MarkChange
from moderation.models import ClericalCorrection, ModerationOutcome, ModeratorReport
from moderation.services.outcomes import outcome_approve
from sampling.services import marks_submit, sample_generate
from tests.factories import (
    CandidateFactory,
    EntryFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.iamis.marking import fill

from .helpers import moderated_sheet
from .outcome_steps import (
    EIGHT_LOWER,
    board_client,
    decide,
    moderate_all,
    outcome_sheet,
    propose,
    proposed,
    results_day,
    save_mark,
    write_report,
)

pytestmark = pytest.mark.django_db


def test_an_outcome_is_proposed_only_once_every_member_is_moderated_and_the_reason_is_kept(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    write_report(moderated)
    moderate_all(moderated, {2001: 32, 2003: 27})

    response = propose(moderated, reason="My careful reasons")

    assert response.status_code == 400
    assert "Moderate every sampled candidate whose work is available first" in (
        response.text
    )
    assert "(2 of 5 done)" in response.text
    assert ">My careful reasons</textarea>" in response.text
    assert not ModerationOutcome.objects.exists()


def test_the_proposal_snapshots_what_the_rule_made_of_the_sample(two_centres):
    moderated, outcome = proposed(two_centres)

    assert (outcome.kind, outcome.version, outcome.tolerance) == ("adjusted", 1, 2)
    assert outcome.status == ModerationOutcome.Status.PROPOSED
    finals = {
        moderated.entry(n).candidate.number: tuple(
            outcome.final_for(moderated.entry(n).pk)
        )
        for n in (2002, 2010, 2011)
    }
    assert finals == {2002: (38, 30), 2010: (0, 0), 2011: (None, None)}


def test_while_a_proposal_waits_the_moderators_marks_and_corrections_are_locked(
    two_centres,
):
    moderated, _outcome = proposed(two_centres)

    save = save_mark(moderated, 2003, "30")
    correction = moderated.client().post(
        moderated.url("correction", 2003), {"task-1": "31"}
    )
    again = propose(moderated, reason="Something else")

    assert save["X-Mark-Outcome"] == "refused"
    assert "waiting for the board" in save.text
    assert correction.status_code == 400
    assert again.status_code == 400
    assert "already waiting" in again.text


def test_the_proposer_can_never_approve_their_own_outcome(two_centres):
    moderated, outcome = proposed(two_centres)
    moderated.moderator.is_staff = True
    moderated.moderator.save()

    page = moderated.client().get(reverse("console:outcome", args=[outcome.public_id]))
    response = decide(moderated.client(), outcome, action="approve")

    assert 'data-testid="own"' in page.text
    assert response.status_code == 403
    outcome.refresh_from_db()
    assert outcome.status == ModerationOutcome.Status.PROPOSED


def test_a_moderator_or_a_centre_cannot_reach_the_console(two_centres):
    moderated, outcome = proposed(two_centres)
    centre_user = Client()
    centre_user.force_login(two_centres.alice)

    for client in (moderated.client(), centre_user):
        for url in (
            reverse("console:index"),
            reverse("console:outcome", args=[outcome.public_id]),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert reverse("admin:login") in response["Location"]
        assert decide(client, outcome, action="approve").status_code == 302
    outcome.refresh_from_db()
    assert outcome.status == ModerationOutcome.Status.PROPOSED


def test_approval_applies_final_marks_as_history_rows_once(
    two_centres, django_capture_on_commit_callbacks
):
    moderated, outcome = proposed(two_centres)
    board = board_client()

    with django_capture_on_commit_callbacks(execute=True):
        first = decide(board, outcome, action="approve")
        second = decide(board, outcome, action="approve")

    assert first.status_code == 302
    assert second.status_code == 302  # a double click changes nothing
    outcome.refresh_from_db()
    assert outcome.status == ModerationOutcome.Status.APPROVED
    assert outcome.applied_at is not None
    changes = MarkChange.objects.filter(source=MarkChange.Source.MODERATION)
    # Every marked candidate moves by -8 except 0, which stays 0: ten marks, nine move.
    assert changes.count() == 9
    change = changes.get(mark__entry=moderated.entry(2002))
    assert (change.old["total"], change.new["total"]) == (38, 30)
    # The centre's submitted marks stay on record as they were.
    assert Mark.objects.get(entry=moderated.entry(2002)).total == 38
    report = ModeratorReport.objects.get()
    assert (report.status, report.outcome) == ("published", "adjusted")


def test_the_board_sends_a_proposal_back_with_a_note_and_the_moderator_is_told(
    two_centres, django_capture_on_commit_callbacks
):
    moderated, outcome = proposed(two_centres)
    board = board_client()

    without_note = decide(board, outcome, action="send_back")
    with django_capture_on_commit_callbacks(execute=True):
        sent_back = decide(
            board, outcome, action="send_back", note="Check candidate 2009's folder."
        )

    assert without_note.status_code == 400
    assert sent_back.status_code == 302
    outcome.refresh_from_db()
    assert outcome.status == ModerationOutcome.Status.RETURNED
    assert [m.to for m in mail.outbox] == [[moderated.moderator.email]]
    assert "Check candidate 2009's folder." in mail.outbox[0].body
    # The moderator may change marks and propose again (version 2).
    assert save_mark(moderated, 2009, "10")["X-Mark-Outcome"] == "saved"
    assert propose(moderated).status_code == 302
    assert ModerationOutcome.objects.get(status="proposed").version == 2


def test_an_outcome_whose_marks_changed_since_it_was_proposed_cannot_be_approved(
    two_centres,
):
    moderated, outcome = proposed(two_centres)
    # A board data fix after the proposal: candidate 2002's mark corrected to 37.
    entry = moderated.entry(2002)
    ClericalCorrection.objects.create(
        centre=moderated.centre,
        unit=moderated.unit,
        entry=entry,
        mark=entry.mark,
        task_marks={"1": 37},
        total=37,
        original={"total": 38},
        made_by=moderated.moderator,
    )

    page = board_client().get(reverse("console:outcome", args=[outcome.public_id]))
    response = decide(
        board_client(email="other@board.example"), outcome, action="approve"
    )

    assert 'data-testid="stale"' in page.text
    assert response.status_code == 400
    assert not MarkChange.objects.filter(source=MarkChange.Source.MODERATION).exists()


def test_the_centre_sees_the_outcome_and_every_final_mark_from_results_day(
    two_centres, alice_client
):
    moderated, outcome = proposed(two_centres)
    decide(board_client(), outcome, action="approve")
    url = reverse("moderation_centre:centre_report", args=[moderated.unit.public_id])

    results_day(moderated, 3)
    before = alice_client.get(url)
    results_day(moderated, 0)
    after = alice_client.get(url)

    assert before.status_code == 403
    assert "Marks were generous throughout." not in before.text
    assert after.status_code == 200
    assert "Outside tolerance: the centre&#x27;s marks are adjusted" in after.text or (
        "Outside tolerance: the centre's marks are adjusted" in after.text
    )
    assert "Marks were generous throughout." in after.text
    row = after.text[after.text.index('id="final-2002"') :][:400]
    assert "38" in row and "30" in row


def test_after_release_the_report_and_corrections_are_read_only(two_centres):
    moderated, outcome = proposed(two_centres)
    decide(board_client(), outcome, action="approve")
    results_day(moderated, 0)
    client = moderated.client()

    report = client.post(moderated.url("report"), {"assessment": "Rewritten."})
    correction = client.post(moderated.url("correction", 2003), {"task-1": "31"})

    assert report.status_code == 400
    assert "can no longer be changed" in report.text
    assert ModeratorReport.objects.get().assessment == (
        "The marking was generous at the top."
    )
    assert correction.status_code == 400
    assert "released" in correction.text
    form = client.get(moderated.url("correction", 2003))
    assert 'data-testid="results-out"' in form.text
    assert '<form method="post" class="stacked-form">' not in form.text


def test_a_correction_after_release_is_a_new_approved_version_and_the_centre_is_told(
    two_centres, django_capture_on_commit_callbacks
):
    moderated, first = proposed(two_centres)
    decide(board_client(), first, action="approve")
    results_day(moderated, 0)
    centre = moderated.centre
    centre.exams_officer_email = "eo@alice.example"
    centre.save()

    unchanged = propose(moderated)
    save_mark(
        moderated, 2009, "12"
    )  # 2009 was 4: now as the centre's, within tolerance
    new_version = propose(moderated, reason="Candidate 2009's folder was re-read.")
    second = ModerationOutcome.objects.get(status="proposed")
    with django_capture_on_commit_callbacks(execute=True):
        approved = decide(
            board_client(email="second@board.example"), second, action="approve"
        )

    assert unchanged.status_code == 400 and "Nothing has changed" in unchanged.text
    assert new_version.status_code == 302 and approved.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.version) == (
        "superseded",
        "approved",
        2,
    )
    assert [m.to for m in mail.outbox] == [["eo@alice.example"]]
    assert "has been corrected" in mail.outbox[0].body
    # Only the marks that move between version 1 and version 2 get a history row.
    moved = MarkChange.objects.filter(
        source=MarkChange.Source.MODERATION, new__moderation_version=2
    )
    assert moved.count() >= 1
    assert all(c.old["total"] != c.new["total"] for c in moved)


def test_the_board_decides_the_changed_grades_of_an_outcome_unit(two_centres):
    moderated = outcome_sheet(two_centres)
    save_mark(moderated, 4101, "Merit", field="grade")
    save_mark(moderated, 4102, "Merit", field="grade")  # the centre gave Pass
    save_mark(moderated, 4103, "Distinction", field="grade")
    write_report(moderated)
    assert propose(moderated).status_code == 302
    outcome = ModerationOutcome.objects.get()
    entry = moderated.entry(4102)

    response = decide(
        board_client(), outcome, action="approve", **{f"grade-{entry.pk}": "Merit"}
    )

    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.kind == "grades"
    assert outcome.final_for(entry.pk) == ["Pass", "Merit"] or tuple(
        outcome.final_for(entry.pk)
    ) == ("Pass", "Merit")
    change = MarkChange.objects.get(source=MarkChange.Source.MODERATION)
    assert (change.old, change.new["grade"]) == ({"grade": "Pass"}, "Merit")


def _sheet_of(moderated, two_centres, size: int, first_number: int) -> Any:
    """A unit of `size` candidates with marks spread 1..40, sampled and moderated 8
    lower, with a report and a proposal."""
    unit: Any = UnitFactory(evidence="e_submission")
    TaskFactory(unit=unit, number=1, max_mark=40)
    for i in range(size):
        entry = EntryFactory(
            candidate=CandidateFactory(
                centre=moderated.centre, number=first_number + i
            ),
            unit=unit,
        )
        fill(entry, str(1 + (i * 39) // max(size - 1, 1)))
    submission = marks_submit(
        centre=moderated.centre, unit=unit, acting_user=two_centres.alice
    )
    sample = sample_generate(submission_id=submission.pk)
    moderated.allocation.unit = unit
    moderated.allocation.save()
    moderated.unit = unit
    marks = {
        m.entry.candidate.number: max((m.entry.mark.total or 0) - 8, 0)
        for m in sample.members.select_related("entry__candidate", "entry__mark")
    }
    moderate_all(moderated, marks)
    write_report(moderated)
    assert propose(moderated).status_code == 302
    return ModerationOutcome.objects.get(unit=unit)


def test_applying_an_outcome_takes_the_same_queries_for_a_bigger_cohort(two_centres):
    staff = UserFactory(email="staff@board.example", is_staff=True)
    moderated = moderated_sheet(two_centres)
    counts = []
    for size, first_number in ((12, 5000), (60, 6000)):
        outcome = _sheet_of(moderated, two_centres, size, first_number)
        with CaptureQueriesContext(connection) as queries:
            outcome_approve(outcome=outcome, acting_user=staff)
        assert (
            MarkChange.objects.filter(
                source=MarkChange.Source.MODERATION, mark__unit=outcome.unit
            ).count()
            > size // 2
        )
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_once_approved_the_report_says_the_outcome_the_board_approved(two_centres):
    moderated, outcome = proposed(two_centres)
    decide(board_client(), outcome, action="approve")
    client = moderated.client()

    form = client.get(moderated.url("report"))
    client.post(
        moderated.url("report"),
        {"outcome": "accepted", "assessment": "Still generous.", "publish": "1"},
    )

    assert 'name="outcome"' not in form.text
    assert 'data-testid="outcome"' in form.text
    report = ModeratorReport.objects.get()
    assert (report.outcome, report.assessment) == ("adjusted", "Still generous.")


def test_proposing_twice_with_a_double_click_makes_one_proposal(two_centres):
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, EIGHT_LOWER)
    write_report(moderated)
    client = moderated.client()

    first = propose(moderated, client=client)
    second = propose(moderated, client=client)

    assert (first.status_code, second.status_code) == (302, 302)
    assert ModerationOutcome.objects.count() == 1
