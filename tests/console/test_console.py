"""The board's moderation console: what waits for a decision, each on its own page,
warnings, and every allocation's progress, in a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import ModeratorAllocation
from iamis.models import Mark, MarkChangeRequest
from marksheets.services.change_requests import change_request_create
from moderation.models import ModerationOutcome
from tests.factories import SeriesFactory, UnitFactory, UserFactory
from tests.moderation.helpers import make_moderator, moderated_sheet
from tests.moderation.outcome_steps import moderate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def board() -> Client:
    client = Client()
    client.force_login(
        UserFactory(email="staff@board.example", is_staff=True, is_superuser=True)
    )
    return client


def _change_request(moderated, two_centres, number=2002, total=36) -> MarkChangeRequest:
    return change_request_create(
        centre=moderated.centre,
        unit=moderated.unit,
        candidate_number=number,
        centre_number=moderated.centre.number,
        centre_name=moderated.centre.name,
        requested={"status": "marked", "task_marks": {"1": total}},
        reason="Added up wrongly.",
        acting_user=two_centres.alice,
    )


def _proposal(moderated, reason="In line.") -> ModerationOutcome:
    return ModerationOutcome.objects.create(
        centre=moderated.centre,
        unit=moderated.unit,
        kind=ModerationOutcome.Kind.WITHIN,
        reason=reason,
        proposed_by=moderated.moderator,
    )


def test_the_console_lists_what_waits_and_each_allocations_progress(two_centres, board):
    moderated = moderated_sheet(two_centres)
    moderate_all(moderated, {2001: 39, 2003: 35})
    change = _change_request(moderated, two_centres)
    outcome = _proposal(moderated)

    page = board.get(reverse("console:index") + f"?series={moderated.unit.series.slug}")

    assert page.status_code == 200
    assert reverse("console:outcome", args=[outcome.public_id]) in page.text
    assert reverse("console:change_request", args=[change.public_id]) in page.text
    row = page.text[page.text.index(f'id="allocation-{moderated.allocation.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "2 of 5" in row  # moderated
    assert "proposed (version 1)" in row


def test_a_results_day_before_a_sample_deadline_is_warned_about(two_centres, board):
    series = SeriesFactory(name="GCSE JAN 2031", results_day=date(2031, 3, 1))
    UnitFactory(series=series, code="3999U1", sample_deadline=date(2031, 3, 10))
    UnitFactory(series=series, code="3999U2", sample_deadline=date(2031, 2, 10))

    page = board.get(reverse("console:index"))

    warnings = page.text[page.text.index('data-testid="warnings"') :]
    warnings = warnings[: warnings.index("</div>")]
    assert "3999U1" in warnings
    assert "3999U2" not in warnings


def test_the_console_reads_the_same_number_of_queries_for_more_rows(two_centres, board):
    moderated = moderated_sheet(two_centres)
    url = reverse("console:index") + f"?series={moderated.unit.series.slug}"
    _change_request(moderated, two_centres, number=2002)
    _proposal(moderated)
    board.get(url)
    with CaptureQueriesContext(connection) as few:
        board.get(url)

    for number in (2004, 2005, 2007):
        _change_request(moderated, two_centres, number=number, total=1)
    for i in range(3):
        other = UnitFactory(series=moderated.unit.series, code=f"38{i}0U1")
        ModeratorAllocation.objects.create(
            moderator=make_moderator(email=f"m{i}@board.example"),
            centre=moderated.centre,
            unit=other,
        )
        UnitFactory(
            series=SeriesFactory(name=f"LATE {i}", results_day=date(2027, 1, 1)),
            sample_deadline=date(2027, 2, 1),
        )
    with CaptureQueriesContext(connection) as many:
        response = board.get(url)

    assert response.text.count('id="allocation-') == 4
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_mark_change_request_is_approved_on_its_own_page_and_the_centre_told(
    two_centres, board, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    centre = moderated.centre
    centre.exams_officer_email = "eo@alice.example"
    centre.save()
    change = _change_request(moderated, two_centres)
    url = reverse("console:change_request", args=[change.public_id])

    page = board.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        decided = board.post(url, {"action": "approve", "note": "Agreed."})

    assert "Added up wrongly." in page.text
    assert decided.status_code == 302
    change.refresh_from_db()
    assert change.status == MarkChangeRequest.Status.APPROVED
    assert Mark.objects.get(entry=moderated.entry(2002)).total == 36
    assert any("eo@alice.example" in m.to for m in mail.outbox)


def test_rejecting_a_mark_change_request_needs_a_reason_and_keeps_what_was_typed(
    two_centres, board
):
    moderated = moderated_sheet(two_centres)
    change = _change_request(moderated, two_centres)
    url = reverse("console:change_request", args=[change.public_id])

    refused = board.post(url, {"action": "reject", "note": "  "})
    rejected = board.post(url, {"action": "reject", "note": "The script says 38."})

    assert refused.status_code == 400
    assert "Give the centre the reason" in refused.text
    assert rejected.status_code == 302
    change.refresh_from_db()
    assert change.status == MarkChangeRequest.Status.REJECTED
    assert Mark.objects.get(entry=moderated.entry(2002)).total == 38
