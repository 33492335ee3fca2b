"""Further samples requested by the moderator, through the sampling service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError

from centres.models import ModeratorAllocation
from sampling.models import SampleMember
from sampling.services import marks_submit
from tests.factories import CandidateFactory, EntryFactory, UnitFactory
from tests.iamis.marking import NOT_MARKS, fill

from .helpers import moderated_sheet

pytestmark = pytest.mark.django_db


def _ask(moderated, **fields):
    response = moderated.client().post(moderated.url("further_sample"), fields)
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_named_candidates_are_added_once_and_the_centre_is_emailed(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.exams_officer_email = "eo@alice.example"
    two_centres.alice_centre.save()

    with django_capture_on_commit_callbacks(execute=True):
        said = _ask(moderated, candidates="2004, 2004 2007")

    added = SampleMember.objects.filter(origin="moderator")
    assert sorted(added.values_list("entry__candidate__number", flat=True)) == [
        2004,
        2007,
    ]
    assert "Further sample requested: 2004, 2007" in said[0]
    assert len(mail.outbox) == 1


def test_k_more_in_a_mark_band_are_spread_over_it(two_centres):
    moderated = moderated_sheet(two_centres)

    _ask(moderated, count="2", low="25", high="35")

    totals = SampleMember.objects.filter(origin="moderator").values_list(
        "entry__mark__total", flat=True
    )
    assert len(totals) == 2
    assert all(t is not None and 25 <= t <= 35 for t in totals)


def test_an_absent_candidate_is_refused(two_centres):
    moderated = moderated_sheet(two_centres)

    said = _ask(moderated, candidates="2011")  # absent in the worked example

    assert "No work to moderate" in said[0]
    assert not SampleMember.objects.filter(origin="moderator").exists()


def test_naming_candidates_and_a_band_together_is_refused(two_centres):
    moderated = moderated_sheet(two_centres)

    said = _ask(moderated, candidates="2004", count="2", low="0", high="40")

    assert "not both" in said[0]
    assert not SampleMember.objects.filter(origin="moderator").exists()


def test_an_outcome_unit_takes_named_candidates_only(two_centres):
    from sampling.services import sample_generate, sample_request_further

    moderated = moderated_sheet(two_centres)
    # An outcome unit of its own: a submitted unit's grade scale cannot change.
    unit: Any = UnitFactory(
        assessment="outcomes", grade_scale=["Distinction", "Merit", "Pass"]
    )
    for number, grade in enumerate(["Merit", "Pass", "Distinction"], start=4301):
        candidate = CandidateFactory(centre=moderated.centre, number=number)
        fill(EntryFactory(candidate=candidate, unit=unit), grade, field="grade")
    submission = marks_submit(
        centre=moderated.centre, unit=unit, acting_user=two_centres.alice
    )
    sample = sample_generate(submission_id=submission.pk)
    moderated.allocation.unit = unit
    moderated.allocation.save()
    moderated.unit = unit

    page = moderated.client().get(moderated.url("workspace")).content.decode()
    with pytest.raises(ValidationError):
        sample_request_further(
            sample=sample,
            acting_user=moderated.moderator,
            k=2,
            band=(0, 40),
        )

    assert 'name="count"' not in page
    assert 'name="candidates"' in page


def test_a_moderator_cannot_be_allocated_to_their_own_centre(two_centres):
    moderated = moderated_sheet(two_centres)
    from tests.factories import MembershipFactory

    MembershipFactory(user=moderated.moderator, centre=two_centres.charlie_centre)
    allocation = ModeratorAllocation(
        moderator=moderated.moderator,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )

    with pytest.raises(ValidationError, match="member of the centre"):
        allocation.full_clean()


@pytest.mark.parametrize("typed", NOT_MARKS)
def test_a_further_sample_band_or_candidate_that_is_not_ascii_digits_is_refused(
    two_centres, typed
):
    moderated = moderated_sheet(two_centres)

    by_band = _ask(moderated, count="2", low=typed, high="35")
    by_name = _ask(moderated, candidates=f"2004 {typed}")

    assert by_band and "Enter a whole number" in by_band[0], by_band
    assert by_name and "is not a candidate number" in by_name[0], by_name
    assert not SampleMember.objects.filter(origin="moderator").exists()
