"""The moderator's counts of a sample are of the candidates whose work is to be seen: a
member whose work is unavailable stays listed, flagged, and is not counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sampling.services import sample_substitute, substitute_options

from .helpers import Moderated, moderated_sheet, stored_file

pytestmark = pytest.mark.django_db


def _substituted(moderated: Moderated) -> tuple[int, int]:
    """Replace the lost work of a member who has no file; (members, counted)."""
    lost = (
        moderated.sample.members.select_related("entry__candidate")
        .order_by("-entry__candidate__number")
        .first()
    )
    options = substitute_options(sample=moderated.sample, member=lost)
    sample_substitute(
        sample=moderated.sample,
        member=lost,
        replacement=options.default.entry,
        note="Lost in the post.",
        acting_user=moderated.sample.submission.submitted_by,
    )
    members = moderated.sample.members.count()
    return members, members - 1


def test_the_allocations_list_does_not_count_a_member_whose_work_is_unavailable(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    stored_file(moderated, content=b"essay", name="essay.pdf")
    members, counted = _substituted(moderated)

    page = moderated.client().get(reverse("moderation:allocations")).content.decode()

    assert f"Ready: {counted} candidates" in page
    assert f"1 of {counted} sampled candidates" in page
    assert f"Ready: {members} candidates" not in page


def test_the_workspace_lists_the_unavailable_member_flagged_and_does_not_count_it(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    stored_file(moderated, content=b"essay", name="essay.pdf")
    members, counted = _substituted(moderated)

    page = moderated.client().get(moderated.url("workspace")).content.decode()

    assert page.count('<tr id="member-') == members
    assert page.count('class="sample-row--unavailable"') == 1
    assert f"Files uploaded for 1 of {counted} sampled candidates" in page
