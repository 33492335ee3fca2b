"""Centres add, never remove; lost work is substituted; moderators ask for more."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from sampling.models import SampleMember
from sampling.services import (
    reasons_in_words,
    sample_add,
    sample_remove,
    sample_request_further,
    sample_substitute,
    substitute_options,
)

from .sheets import entry_of, ready_sample


def _numbers(sample):
    return sorted(
        m.entry.candidate.number - 1000
        for m in sample.members.select_related("entry__candidate")
    )


def test_the_centre_adds_an_unsampled_candidate(two_centres):
    sample = ready_sample(two_centres)

    member = sample_add(
        sample=sample, entry=entry_of(sample, 1002), acting_user=two_centres.alice
    )

    assert member.origin == SampleMember.Origin.CENTRE
    assert 1002 in _numbers(sample)
    assert reasons_in_words(member, outcome_unit=False) == ["added by centre"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SAMPLE_MEMBER_ADDED
    ).exists()


def test_absent_and_carry_forward_candidates_cannot_be_added(two_centres):
    sample = ready_sample(two_centres)

    for number in (1011, 1012):
        with pytest.raises(ValidationError, match="cannot be in the sample"):
            sample_add(
                sample=sample,
                entry=entry_of(sample, number),
                acting_user=two_centres.alice,
            )


def test_a_system_member_cannot_be_removed(two_centres):
    sample = ready_sample(two_centres)

    with pytest.raises(
        ValidationError, match="cannot remove candidates chosen by the system"
    ):
        sample_remove(
            sample=sample, entry=entry_of(sample, 1001), acting_user=two_centres.alice
        )
    assert 1001 in _numbers(sample)


def test_a_centre_added_member_can_be_taken_out_again(two_centres):
    sample = ready_sample(two_centres)
    sample_add(
        sample=sample, entry=entry_of(sample, 1002), acting_user=two_centres.alice
    )

    sample_remove(
        sample=sample, entry=entry_of(sample, 1002), acting_user=two_centres.alice
    )

    assert 1002 not in _numbers(sample)


def test_lost_work_offers_the_nearest_above_and_below_with_the_default(two_centres):
    sample = ready_sample(two_centres)
    lost = sample.members.get(entry=entry_of(sample, 1006))

    options = substitute_options(sample=sample, member=lost)

    assert options.above.entry.candidate.number == 2005
    assert options.below.entry.candidate.number == 2007
    assert options.default.entry.candidate.number == 2005


def test_substituting_keeps_the_original_marked_unavailable(two_centres):
    sample = ready_sample(two_centres)
    lost = sample.members.get(entry=entry_of(sample, 1006))

    substitute = sample_substitute(
        sample=sample,
        member=lost,
        replacement=entry_of(sample, 1007),
        note="Folder damaged in a flood.",
        acting_user=two_centres.alice,
    )

    lost.refresh_from_db()
    assert lost.work_unavailable
    assert substitute.replaces == lost
    assert reasons_in_words(substitute, outcome_unit=False) == ["replaces 2006"]
    assert 1006 in _numbers(sample) and 1007 in _numbers(sample)


def test_a_substitute_must_be_the_nearest_above_or_below_and_needs_a_note(two_centres):
    sample = ready_sample(two_centres)
    lost = sample.members.get(entry=entry_of(sample, 1006))

    with pytest.raises(ValidationError, match="nearest candidate above or below"):
        sample_substitute(
            sample=sample,
            member=lost,
            replacement=entry_of(sample, 1002),
            note="Lost.",
            acting_user=two_centres.alice,
        )
    with pytest.raises(ValidationError, match="explanatory note"):
        sample_substitute(
            sample=sample,
            member=lost,
            replacement=entry_of(sample, 1005),
            note="  ",
            acting_user=two_centres.alice,
        )


def test_the_moderator_asks_for_named_candidates_and_the_centre_is_emailed(
    two_centres, django_capture_on_commit_callbacks
):
    sample = ready_sample(two_centres)

    with django_capture_on_commit_callbacks(execute=True):
        members = sample_request_further(
            sample=sample,
            acting_user=two_centres.charlie,
            candidate_numbers=[2002, 2004],
        )

    assert [m.origin for m in members] == ["moderator", "moderator"]
    assert reasons_in_words(members[0], outcome_unit=False) == [
        "additional sample requested by the moderator"
    ]
    assert "2002" in mail.outbox[0].body and "2004" in mail.outbox[0].body


def test_the_moderator_asks_for_k_more_spread_over_a_mark_band(two_centres):
    sample = ready_sample(two_centres)

    members = sample_request_further(
        sample=sample, acting_user=two_centres.charlie, k=2, band=(25, 38)
    )

    chosen = sorted(m.entry.candidate.number - 1000 for m in members)
    assert len(chosen) == 2
    assert set(chosen) <= {1002, 1004, 1005, 1007}


def test_k_more_are_k_new_candidates_and_never_a_member_whose_work_is_unavailable(
    two_centres,
):
    """The unavailable member stays in `taken`: its work is lost, so it is not picked
    again, and it takes none of the k places."""
    sample = ready_sample(two_centres)
    lost = sample.members.get(entry=entry_of(sample, 1006))
    sample_substitute(
        sample=sample,
        member=lost,
        replacement=entry_of(sample, 1005),
        note="Lost in the post.",
        acting_user=two_centres.alice,
    )

    members = sample_request_further(
        sample=sample, acting_user=two_centres.charlie, k=2, band=(25, 33)
    )

    assert sorted(m.entry.candidate.number - 1000 for m in members) == [1004, 1007]


def test_naming_a_member_whose_work_is_unavailable_adds_nothing(two_centres):
    sample = ready_sample(two_centres)
    lost = sample.members.get(entry=entry_of(sample, 1006))
    sample_substitute(
        sample=sample,
        member=lost,
        replacement=entry_of(sample, 1005),
        note="Lost in the post.",
        acting_user=two_centres.alice,
    )

    members = sample_request_further(
        sample=sample, acting_user=two_centres.charlie, candidate_numbers=[2006]
    )

    assert members == []
    assert sample.members.filter(entry=entry_of(sample, 1006)).count() == 1


def test_system_reasons_are_said_in_words(two_centres):
    sample = ready_sample(two_centres)

    words = {
        m.entry.candidate.number - 1000: reasons_in_words(m, outcome_unit=False)
        for m in sample.members.select_related("entry__candidate")
    }

    assert words[1001] == ["highest mark"]
    assert words[1009] == ["lowest mark"]
    assert words[1003] == ["spread across the range"]
