"""The moderator report: written by the moderator, seen by the centre from results day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import ModeratorReport

from .helpers import moderated_sheet

pytestmark = pytest.mark.django_db

REPORT = {
    "outcome": "accepted",
    "administration": "Marksheets arrived on time.",
    "assessment": "Secure application of the criteria in the upper band.",
    "annotation": "Clear annotation throughout.",
    "recommendations": "",
    "comments": "Moderatorsays: thank you.",
}


def _results_day(moderated, days_from_today: int) -> None:
    series = moderated.unit.series
    series.results_day = timezone.localdate() + timedelta(days=days_from_today)
    series.save()


def _publish(moderated):
    return moderated.client().post(moderated.url("report"), {**REPORT, "publish": "1"})


def _centre_report(client, moderated):
    return client.get(
        reverse("moderation_centre:centre_report", args=[moderated.unit.public_id])
    )


def test_the_moderator_saves_a_draft_then_publishes(two_centres):
    moderated = moderated_sheet(two_centres)
    client = moderated.client()

    client.post(moderated.url("report"), {**REPORT, "save": "1"})
    draft = ModeratorReport.objects.get()
    _publish(moderated)
    published = ModeratorReport.objects.get()

    assert draft.status == "draft"
    assert published.status == "published"
    assert published.published_at is not None
    assert published.comments == "Moderatorsays: thank you."


def test_publishing_needs_the_outcome(two_centres):
    moderated = moderated_sheet(two_centres)

    page = moderated.client().post(
        moderated.url("report"), {**REPORT, "outcome": "", "publish": "1"}
    )

    assert "Choose the outcome of moderation" in page.content.decode()
    assert not ModeratorReport.objects.filter(status="published").exists()


def test_the_centre_is_refused_the_report_before_results_day(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    _results_day(moderated, 3)
    _publish(moderated)

    page = _centre_report(alice_client, moderated)
    index = alice_client.get(reverse("iamis:index")).content.decode()
    pdf = alice_client.post(
        reverse("reports:centre_moderator_report_pdf", args=[moderated.unit.public_id])
    )

    assert page.status_code == 403
    assert "will be available to view from results day" in page.content.decode()
    assert "Moderatorsays" not in page.content.decode()
    assert "MODERATOR&#x27;S REPORT" not in index and "MODERATOR'S REPORT" not in index
    assert pdf.status_code == 403


def test_the_centre_reads_the_published_report_from_results_day(
    two_centres, alice_client
):
    moderated = moderated_sheet(two_centres)
    _results_day(moderated, 0)
    _publish(moderated)

    page = _centre_report(alice_client, moderated)
    index = alice_client.get(reverse("iamis:index")).content.decode()

    assert page.status_code == 200
    assert "Moderatorsays: thank you." in page.content.decode()
    assert "The centre&#x27;s marks were accepted" in page.content.decode()
    assert (
        reverse("moderation_centre:centre_report", args=[moderated.unit.public_id])
        in index
    )


def test_a_draft_stays_hidden_after_results_day(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    _results_day(moderated, -1)
    moderated.client().post(moderated.url("report"), {**REPORT, "save": "1"})

    assert _centre_report(alice_client, moderated).status_code == 404
