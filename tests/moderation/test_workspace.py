"""The moderator's workspace: only their allocations, progress, the sample and its files."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import ModeratorAllocation
from sampling.services import marks_submit, sample_add, sample_generate
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import fill
from tests.uploads.helpers import sampled_number

from .helpers import make_moderator, moderated_sheet, stored_file

pytestmark = pytest.mark.django_db


def test_the_list_shows_only_the_moderators_own_allocations(two_centres):
    moderated = moderated_sheet(two_centres)
    other = make_moderator()
    ModeratorAllocation.objects.create(
        moderator=other,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )

    page = moderated.client().get(reverse("moderation:allocations"))

    body = page.content.decode()
    assert page.status_code == 200
    assert moderated.unit.code in body
    assert two_centres.alice_centre.name in body
    assert two_centres.charlie_centre.name not in body
    assert two_centres.charlie_unit.code not in body


def test_the_list_shows_progress_of_marks_sample_and_files(two_centres):
    moderated = moderated_sheet(two_centres)
    stored_file(moderated, content=b"essay", name="essay.pdf")
    sampled = moderated.sample.members.count()

    page = moderated.client().get(reverse("moderation:allocations"))

    body = page.content.decode()
    entries = moderated.unit.entries.count()
    assert f"{entries} of {entries}" in body
    assert f"Ready: {sampled} candidates" in body
    assert f"1 of {sampled} sampled candidates" in body


def test_someone_who_is_not_a_moderator_is_refused_the_list(two_centres, alice_client):
    assert alice_client.get(reverse("moderation:allocations")).status_code == 403


def test_the_list_needs_sign_in(client):
    response = client.get(reverse("moderation:allocations"))

    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_the_list_takes_the_same_number_of_queries_for_one_or_many_allocations(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    client = moderated.client()
    client.get(reverse("moderation:allocations"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("moderation:allocations"))
    for index in range(5):
        unit = UnitFactory()
        TaskFactory(unit=unit, number=1, max_mark=20)
        EntryFactory(
            candidate=CandidateFactory(
                centre=two_centres.alice_centre, number=3000 + index
            ),
            unit=unit,
        )
        ModeratorAllocation.objects.create(
            moderator=moderated.moderator, centre=moderated.centre, unit=unit
        )
    with CaptureQueriesContext(connection) as six:
        page = client.get(reverse("moderation:allocations"))

    assert page.content.decode().count('id="allocation-') == 6
    assert len(six) == len(one)


def test_the_workspace_shows_the_sample_with_reasons_and_each_candidates_files(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(moderated, content=b"essay", name="essay.pdf")
    number = sampled_number(moderated.sample)

    page = moderated.client().get(moderated.url("workspace"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "highest mark" in body
    assert "lowest mark" in body
    assert f'id="member-{number}"' in body
    assert "Download essay.pdf" in body
    assert moderated.url("file_download", evidence.public_id) in body
    assert "Not uploaded yet" in body  # the other sampled candidates have no files


def test_the_moderator_downloads_a_sampled_file_as_an_attachment(two_centres):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(moderated, content=b"<svg onload=alert(1)>", name="a.svg")

    response = moderated.client().get(
        moderated.url("file_download", evidence.public_id)
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<svg onload=alert(1)>"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_moderator_gets_404_for_every_page_of_a_sheet_not_allocated_to_them(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(moderated, content=b"essay", name="essay.pdf")
    number = sampled_number(moderated.sample)
    elsewhere = make_moderator()
    ModeratorAllocation.objects.create(
        moderator=elsewhere,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )
    client = moderated.client()
    client.force_login(elsewhere)
    pages = [
        ("get", moderated.url("workspace")),
        ("get", moderated.url("marks")),
        ("get", moderated.url("file_download", evidence.public_id)),
        ("get", moderated.url("correction", number)),
        ("post", moderated.url("correction", number)),
        ("post", moderated.url("further_sample")),
        ("get", moderated.url("report")),
        ("post", moderated.url("report")),
        ("post", moderated.url("reports:moderator_report_pdf")),
    ]

    answers = {url: getattr(client, method)(url).status_code for method, url in pages}

    assert set(answers.values()) == {404}, answers
    assert not moderated.sample.members.exclude(origin="system").exists()


def test_a_file_still_being_checked_shows_so_and_the_moderator_cannot_download_it(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(
        moderated, content=b"essay", name="essay.pdf", scan="pending"
    )
    url = moderated.url("file_download", evidence.public_id)
    client = moderated.client()

    page = client.get(moderated.url("workspace")).content.decode()
    download = client.get(url)

    assert "essay.pdf" in page
    assert "Being checked for viruses" in page
    assert url not in page
    assert download.status_code == 409
    assert "still being checked for viruses" in download.content.decode()
    assert moderated.url("workspace") in download.content.decode()


def test_an_infected_file_is_withheld_from_the_moderator(two_centres):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(
        moderated,
        content=b"X5O!P",
        name="virus.com",
        scan="infected",
        signature="Eicar-Test-Signature",
    )
    url = moderated.url("file_download", evidence.public_id)
    client = moderated.client()

    page = client.get(moderated.url("workspace")).content.decode()
    download = client.get(url)

    assert "Withheld: a virus was found" in page
    assert url not in page
    assert download.status_code == 409
    assert "withheld: a virus was found" in download.content.decode()
    assert not hasattr(download, "streaming_content")


def test_a_file_that_could_not_be_checked_is_withheld_from_the_moderator(two_centres):
    moderated = moderated_sheet(two_centres)
    evidence = stored_file(
        moderated, content=b"big", name="big.zip", scan="error", signature="timeout"
    )
    client = moderated.client()

    page = client.get(moderated.url("workspace")).content.decode()
    download = client.get(moderated.url("file_download", evidence.public_id))

    assert "Withheld: it could not be checked for viruses" in page
    assert download.status_code == 409


def test_a_withheld_note_or_group_file_has_no_download_link_either(two_centres):
    moderated = moderated_sheet(two_centres, group_upload=True)
    from uploads.models import EvidenceFile, Kind

    for kind, name in ((Kind.NOTE, "note.txt"), (Kind.GROUP, "group.zip")):
        EvidenceFile.objects.create(
            centre=moderated.centre,
            unit=moderated.unit,
            kind=kind,
            original_name=name,
            size=1,
            sha256="b" * 64,
            storage_key=f"evidence/test/{moderated.unit.public_id}/{name}",
            uploaded_by=moderated.sample.submission.submitted_by,
        )

    page = moderated.client().get(moderated.url("workspace")).content.decode()

    assert page.count("Being checked for viruses") == 2
    assert "Download note.txt" not in page
    assert "Download group.zip" not in page


def test_the_workspace_lists_the_sample_in_rank_order_with_added_members_in_place(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    unit: Any = UnitFactory(sample_size_table=[[5, "ALL"], ["inf", 5]])
    TaskFactory(unit=unit, number=1, max_mark=40)
    marks = {4401: 12, 4402: 40, 4403: 25, 4404: 33, 4405: 3, 4406: 38, 4407: 20}
    entries = {}
    for number, mark in marks.items():
        candidate = CandidateFactory(centre=moderated.centre, number=number)
        entries[number] = EntryFactory(candidate=candidate, unit=unit)
        fill(entries[number], str(mark))
    submission = marks_submit(
        centre=moderated.centre, unit=unit, acting_user=two_centres.alice
    )
    sample = sample_generate(submission_id=submission.pk)
    chosen = set(sample.members.values_list("entry__candidate__number", flat=True))
    added = next(n for n in sorted(marks, key=marks.get) if n not in chosen)
    sample_add(sample=sample, entry=entries[added], acting_user=two_centres.alice)
    moderated.allocation.unit = unit
    moderated.allocation.save()
    moderated.unit = unit

    body = moderated.client().get(moderated.url("workspace")).content.decode()

    listed = [int(n) for n in re.findall(r'id="member-(\d+)"', body)]
    assert set(listed) == chosen | {added}
    assert listed == sorted(listed, key=lambda n: -marks[n])
