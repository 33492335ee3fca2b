"""Notes typed for the other party reach them: the centre's note on a substitute is shown
to the moderator beside that member, and the moderator's note with a further sample is in
the centre's e-mail and on its samples page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sampling.models import SampleMember
from sampling.services import sample_substitute, substitute_options

from .helpers import moderated_sheet

pytestmark = pytest.mark.django_db


def _row(body: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}".*?</tr>', body, re.S)
    assert found, row_id
    return found.group(0)


def test_the_moderator_sees_the_centres_note_beside_the_substitute(two_centres):
    moderated = moderated_sheet(two_centres)
    lost = moderated.sample.members.select_related("entry__candidate").first()
    options = substitute_options(sample=moderated.sample, member=lost)
    replacement = (options.above or options.below).entry
    sample_substitute(
        sample=moderated.sample,
        member=lost,
        replacement=replacement,
        note="Folder damaged in a flood <on Tuesday>.",
        acting_user=two_centres.alice,
    )

    body = moderated.client().get(moderated.url("workspace")).content.decode()

    row = _row(body, f"member-{replacement.candidate.number}")
    assert "Folder damaged in a flood &lt;on Tuesday&gt;." in row
    assert "Folder damaged" not in _row(body, f"member-{lost.entry.candidate.number}")


def test_the_moderators_further_sample_note_reaches_the_centre(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.exams_officer_email = "eo@alice.example"
    two_centres.alice_centre.save()
    taken = set(
        moderated.sample.members.values_list("entry__candidate__number", flat=True)
    )
    number = next(
        n
        for n in moderated.unit.entries.filter(mark__total__gt=0).values_list(
            "candidate__number", flat=True
        )
        if n not in taken
    )

    with django_capture_on_commit_callbacks(execute=True):
        moderated.client().post(
            moderated.url("further_sample"),
            {"candidates": str(number), "note": "Please send the full folder."},
        )

    assert SampleMember.objects.get(origin="moderator").note == (
        "Please send the full folder."
    )
    (email,) = mail.outbox
    assert "Please send the full folder." in email.body
    assert "Please send the full folder." in email.alternatives[0][0]
    centre = Client()
    centre.force_login(two_centres.alice)
    page = centre.get(reverse("sampling:samples", args=[moderated.unit.public_id]))
    assert "Please send the full folder." in _row(
        page.content.decode(), f"sample-{number}"
    )
