"""Moderating the worked-example sheet in tests: the moderator's marks, the report, the
proposal and the board's decision, as the moderation, console and browser tests share
them. The sample is 2001 (40), 2003 (35), 2006 (28), 2008 (20) and 2009 (12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from moderation.models import ModerationOutcome, ModeratorMark
from sampling.services import marks_submit, sample_generate
from tests.factories import CandidateFactory, EntryFactory, UnitFactory, UserFactory
from tests.iamis.marking import fill

from .helpers import moderated_sheet

SAMPLE = {2001: 40, 2003: 35, 2006: 28, 2008: 20, 2009: 12}
HTMX = {"HX-Request": "true"}


def save_mark(moderated, number, value, *, version=None, field="t1", client=None):
    if version is None:
        mark = ModeratorMark.objects.filter(entry=moderated.entry(number)).first()
        version = mark.version if mark else 0
    return (client or moderated.client()).post(
        moderated.url("moderate_cell", number),
        {"field": field, "value": value, "version": version},
        headers=HTMX,
    )


def moderate_all(moderated, marks: dict[int, int]) -> None:
    client = moderated.client()
    for number, value in marks.items():
        response = save_mark(moderated, number, str(value), client=client)
        assert response["X-Mark-Outcome"] == "saved", response.content


def outcome_sheet(two_centres):
    """An outcome unit of its own, all three candidates sampled (a submitted unit's
    grade scale cannot change)."""
    moderated = moderated_sheet(two_centres)
    unit: Any = UnitFactory(
        assessment="outcomes",
        grade_scale=["Distinction", "Merit", "Pass"],
        evidence="e_submission",
        sample_size_table=[[5, "ALL"], ["inf", 5]],
    )
    for number, grade in ((4101, "Merit"), (4102, "Pass"), (4103, "Distinction")):
        entry = EntryFactory(
            candidate=CandidateFactory(centre=moderated.centre, number=number),
            unit=unit,
        )
        fill(entry, grade, field="grade")
    submission = marks_submit(
        centre=moderated.centre, unit=unit, acting_user=two_centres.alice
    )
    sample_generate(submission_id=submission.pk)
    moderated.allocation.unit = unit
    moderated.allocation.save()
    moderated.unit = unit
    return moderated


EIGHT_LOWER = {n: c - 8 for n, c in SAMPLE.items()}


def write_report(moderated, client=None) -> None:
    (client or moderated.client()).post(
        moderated.url("report"), {"assessment": "The marking was generous at the top."}
    )


def propose(moderated, reason="Marks were generous throughout.", client=None):
    return (client or moderated.client()).post(
        moderated.url("propose"), {"reason": reason}
    )


def board_client(**fields) -> Client:
    client = Client()
    client.force_login(
        UserFactory(
            email=fields.pop("email", "staff@board.example"),
            is_staff=True,
            is_superuser=True,
            **fields,
        )
    )
    return client


def decide(client: Client, outcome: ModerationOutcome, **data: str):
    return client.post(reverse("console:outcome", args=[outcome.public_id]), data)


def proposed(two_centres, marks=EIGHT_LOWER, **unit_fields):
    moderated = moderated_sheet(two_centres, **unit_fields)
    moderate_all(moderated, marks)
    write_report(moderated)
    assert propose(moderated).status_code == 302
    return moderated, ModerationOutcome.objects.get()


def results_day(moderated, days_from_today: int) -> None:
    series = moderated.unit.series
    series.results_day = timezone.localdate() + timedelta(days=days_from_today)
    series.save()
