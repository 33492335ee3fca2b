"""VIEW / PRINT REPORTS and the Candidate Details Report, as HTML and as a PDF rendered by
WeasyPrint in the worker."""

from __future__ import annotations

import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu.exceptions import OperationalError
from pypdf import PdfReader

from portal.celery import app
from reports import services
from reports.models import ReportRender
from reports.tasks import render_pdf
from tests.factories import CandidateFactory, EntryFactory
from tests.iamis.marking import fill
from tests.moderation.helpers import moderated_sheet

pytestmark = pytest.mark.django_db


def _pdf_text(render: ReportRender) -> list[str]:
    with default_storage.open(render.storage_key, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return [page.extract_text() for page in reader.pages]


def test_the_reports_list_offers_each_of_the_members_units(two_centres, alice_client):
    page = alice_client.get(reverse("reports:index"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "View/Print for" in body
    assert two_centres.alice_unit.code in body
    assert two_centres.charlie_unit.code not in body


def test_the_preview_lists_candidates_in_number_order_with_the_corrected_mark(
    two_centres, alice_client
):
    moderated = moderated_sheet(two_centres)
    moderated.client().post(moderated.url("correction", 2003), {"task-1": "31"})

    page = alice_client.get(
        reverse("reports:candidate_details", args=[moderated.unit.public_id])
    )

    body = page.content.decode()
    assert "CANDIDATE DETAILS REPORT" in body
    assert "PRINT THIS REPORT" in body
    assert "Mark (Max:40)" in body
    numbers = [f">{n}<" for n in range(2001, 2013)]
    positions = [body.index(n) for n in numbers]
    assert positions == sorted(positions)
    assert '<span class="amended">31*</span>' in body
    assert "(centre: 35)" in body


def test_the_preview_takes_the_same_queries_for_few_or_many_candidates(
    two_centres, alice_client
):
    moderated = moderated_sheet(two_centres)
    url = reverse("reports:candidate_details", args=[moderated.unit.public_id])
    alice_client.get(url)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    for number in range(5000, 5040):
        fill(
            EntryFactory(
                candidate=CandidateFactory(centre=moderated.centre, number=number),
                unit=moderated.unit,
            ),
            "10",
        )
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)

    assert len(many) == len(few)


def test_a_broker_that_is_down_does_not_fail_the_pdf_request(
    two_centres, alice_client, django_capture_on_commit_callbacks, monkeypatch
):
    moderated = moderated_sheet(two_centres)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(render_pdf, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = alice_client.post(
            reverse("reports:pdf_request", args=[moderated.unit.public_id])
        )

    assert callbacks and response.status_code == 302
    assert ReportRender.objects.get().status == ReportRender.Status.PENDING


def test_asking_twice_while_the_marks_are_unchanged_reuses_the_same_pdf(
    two_centres, alice_client
):
    moderated = moderated_sheet(two_centres)
    url = reverse("reports:pdf_request", args=[moderated.unit.public_id])

    first = alice_client.post(url)
    second = alice_client.post(url)
    moderated.client().post(moderated.url("correction", 2003), {"task-1": "31"})
    third = alice_client.post(url)

    assert first["Location"] == second["Location"]
    assert third["Location"] != first["Location"]
    assert ReportRender.objects.count() == 2


def test_the_pdf_task_is_idempotent(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    alice_client.post(reverse("reports:pdf_request", args=[moderated.unit.public_id]))
    render = ReportRender.objects.get()

    first = services.render_run(render_id=render.pk)
    # A run that crashed after storing, its lease expired.
    ReportRender.objects.filter(pk=render.pk).update(status="pending", started_at=None)
    second = services.render_run(render_id=render.pk)
    third = services.render_run(render_id=render.pk)

    assert first.storage_key == second.storage_key == third.storage_key
    assert third.attempts == 2  # the ready render was left alone the third time
    folder = first.storage_key.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [first.storage_key.rsplit("/", 1)[1]]


def test_a_render_already_running_is_not_rendered_twice(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    alice_client.post(reverse("reports:pdf_request", args=[moderated.unit.public_id]))
    render = ReportRender.objects.get()
    from django.utils import timezone

    ReportRender.objects.filter(pk=render.pk).update(started_at=timezone.now())

    again = services.render_run(render_id=render.pk)

    assert again.status == "pending"
    assert again.attempts == 0
    assert services.renders_stuck() == []


def test_a_worker_renders_the_pdf_with_the_corrected_mark_and_every_page_headed(
    two_centres, alice_client, transactional_db
):
    moderated = moderated_sheet(two_centres)
    for number in range(6000, 6090):  # enough rows for several pages
        EntryFactory(
            candidate=CandidateFactory(centre=moderated.centre, number=number),
            unit=moderated.unit,
        )
    moderated.client().post(moderated.url("correction", 2003), {"task-1": "31"})

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        asked = alice_client.post(
            reverse("reports:pdf_request", args=[moderated.unit.public_id])
        )
        render = ReportRender.objects.get()
        for _attempt in range(100):
            render.refresh_from_db()
            if render.status != "pending":
                break
            time.sleep(0.1)

    status = alice_client.get(asked["Location"])
    download = alice_client.get(
        reverse("reports:render_download", args=[render.public_id])
    )
    pages = _pdf_text(render)
    assert render.status == "ready"
    assert "Download the PDF" in status.content.decode()
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Centre {moderated.centre.display_number}" in text
        assert f"({moderated.unit.code})" in text
        assert f"Page {number} / {len(pages)}" in text
    assert "2003" in pages[0]
    assert "31*" in pages[0]


def test_the_status_page_polls_until_the_pdf_is_ready(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    asked = alice_client.post(
        reverse("reports:pdf_request", args=[moderated.unit.public_id])
    )

    pending = alice_client.get(asked["Location"], headers={"HX-Request": "true"})
    services.render_run(render_id=ReportRender.objects.get().pk)
    ready = alice_client.get(asked["Location"], headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in pending.content.decode()
    assert "Preparing the PDF" in pending.content.decode()
    assert "hx-trigger" not in ready.content.decode()
    assert "Download the PDF" in ready.content.decode()


def test_any_change_to_what_the_report_shows_makes_a_new_pdf(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)
    url = reverse("reports:pdf_request", args=[moderated.unit.public_id])
    locations = [alice_client.post(url)["Location"]]

    # A mark change approved by the board (the mark is replaced, still locked).
    from iamis.models import Mark
    from iamis.services.marks import mark_replace

    mark = Mark.objects.get(entry=moderated.entry(2005))
    mark_replace(
        mark=mark,
        new={"task_marks": {"1": 29}},
        acting_user=None,
        source="change_request",
    )
    locations.append(alice_client.post(url)["Location"])
    # A candidate added to the sample by the centre.
    from sampling.services import sample_add

    sample_add(
        sample=moderated.sample,
        entry=moderated.entry(2004),
        acting_user=two_centres.alice,
    )
    locations.append(alice_client.post(url)["Location"])
    # A late entry processed by the board.
    EntryFactory(
        candidate=CandidateFactory(centre=moderated.centre, number=2999),
        unit=moderated.unit,
    )
    locations.append(alice_client.post(url)["Location"])
    # The board corrects a candidate's name.
    from iamis.models import Candidate

    Candidate.objects.filter(centre=moderated.centre, number=2001).update(
        surname="Renamed"
    )
    locations.append(alice_client.post(url)["Location"])

    assert len(set(locations)) == 5
