"""The moderator's whole-sample download: one zip, streamed, with a manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import tracemalloc
import uuid
import zipfile
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres.models import ModeratorAllocation
from iamis.models import Entry
from sampling.models import SampleMember
from uploads.models import EvidenceFile, Kind, ScanStatus

from .helpers import Moderated, make_moderator, moderated_sheet

pytestmark = pytest.mark.django_db


def _members(moderated: Moderated) -> list[SampleMember]:
    return list(
        moderated.sample.members.select_related("entry__candidate").order_by(
            "entry__candidate__number"
        )
    )


def _file(
    moderated: Moderated,
    content: bytes,
    name: str,
    *,
    entry: Entry | None = None,
    kind: str = Kind.CANDIDATE,
    scan: str = ScanStatus.CLEAN,
    sha256: str | None = None,
) -> EvidenceFile:
    key = default_storage.save(
        f"evidence/zip/{moderated.unit.public_id}/{uuid.uuid4()}",
        ContentFile(content),
    )
    return EvidenceFile.objects.create(
        centre=moderated.centre,
        unit=moderated.unit,
        entry=entry,
        kind=kind,
        original_name=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest() if sha256 is None else sha256,
        storage_key=key,
        uploaded_by=moderated.sample.submission.submitted_by,
        scan_status=scan,
        scan_detail="Eicar-Test-Signature" if scan == ScanStatus.INFECTED else "",
        scanned_at=None if scan == ScanStatus.PENDING else timezone.now(),
    )


def _download(moderated: Moderated, **headers: Any) -> tuple[Any, zipfile.ZipFile]:
    response = moderated.client().get(moderated.url("sample_zip"), **headers)
    assert response.status_code == 200, response
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return response, archive


def _manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_zip_holds_every_clean_file_of_the_sample_in_a_folder_per_candidate(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    first, second = _members(moderated)[:2]
    _file(moderated, b"first essay", "essay.pdf", entry=first.entry)
    _file(moderated, b"second essay", "essay.pdf", entry=second.entry)
    _file(moderated, b"a film", "film.mp4", entry=second.entry)
    _file(moderated, b"why", "note.txt", kind=Kind.NOTE)
    _file(moderated, b"group", "register.xlsx", kind=Kind.GROUP)
    one, two = first.entry.candidate.number, second.entry.candidate.number

    _response, archive = _download(moderated)

    assert archive.testzip() is None
    assert {name: archive.read(name) for name in archive.namelist()} == {
        f"{one:04d}/essay.pdf": b"first essay",
        f"{two:04d}/essay.pdf": b"second essay",
        f"{two:04d}/film.mp4": b"a film",
        "explanatory-notes/note.txt": b"why",
        "group-files/register.xlsx": b"group",
        "manifest.csv": archive.read("manifest.csv"),
    }


def test_the_manifest_lists_every_file_with_the_sha256_of_the_bytes_in_the_zip(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    member = _members(moderated)[0]
    _file(moderated, b"first essay", "essay.pdf", entry=member.entry)
    _file(moderated, b"why", "note.txt", kind=Kind.NOTE)

    _response, archive = _download(moderated)

    rows = _manifest(archive)
    assert [row["Candidate number"] for row in rows] == [
        member.entry.candidate.display_number,
        "",
    ]
    for row in rows:
        content = archive.read(row["File in the zip"])
        assert row["SHA-256"] == hashlib.sha256(content).hexdigest()
        assert row["Size in bytes"] == str(len(content))
        assert row["Status"] == "included"
    assert [row["Original file name"] for row in rows] == ["essay.pdf", "note.txt"]


def test_files_not_cleared_by_the_virus_check_are_listed_as_withheld_and_left_out(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"clean", "clean.pdf", entry=entry)
    _file(moderated, b"X5O!P", "virus.com", entry=entry, scan=ScanStatus.INFECTED)
    _file(moderated, b"later", "pending.pdf", entry=entry, scan=ScanStatus.PENDING)
    _file(moderated, b"huge", "unchecked.mov", entry=entry, scan=ScanStatus.ERROR)

    _response, archive = _download(moderated)

    number = entry.candidate.display_number
    assert sorted(archive.namelist()) == [f"{number}/clean.pdf", "manifest.csv"]
    statuses = {row["Original file name"]: row for row in _manifest(archive)}
    assert statuses["virus.com"]["Status"] == "withheld: a virus was found"
    assert statuses["pending.pdf"]["Status"] == (
        "withheld: still being checked for viruses"
    )
    assert statuses["unchecked.mov"]["Status"] == (
        "withheld: it could not be checked for viruses"
    )
    for name in ("virus.com", "pending.pdf", "unchecked.mov"):
        assert statuses[name]["File in the zip"] == ""
        assert statuses[name]["SHA-256"] == ""
        assert statuses[name]["Candidate number"] == number


def test_the_files_of_a_member_whose_work_is_unavailable_are_not_in_the_zip(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    lost, kept = _members(moderated)[:2]
    _file(moderated, b"part of it", "partial.pdf", entry=lost.entry)
    _file(moderated, b"all of it", "essay.pdf", entry=kept.entry)
    lost.work_unavailable = True
    lost.save(update_fields=["work_unavailable"])

    _response, archive = _download(moderated)

    assert sorted(archive.namelist()) == [
        f"{kept.entry.candidate.display_number}/essay.pdf",
        "manifest.csv",
    ]
    assert "partial.pdf" not in archive.read("manifest.csv").decode("utf-8-sig")


def test_two_files_of_the_same_name_for_one_candidate_both_arrive(two_centres):
    # A withheld file of the name takes no name in the zip.
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"X5O!P", "essay.pdf", entry=entry, scan=ScanStatus.INFECTED)
    _file(moderated, b"draft", "essay.pdf", entry=entry)
    _file(moderated, b"final", "Essay.pdf", entry=entry)
    _file(moderated, b"notes", "essay", entry=entry)

    _response, archive = _download(moderated)

    number = entry.candidate.display_number
    assert archive.read(f"{number}/essay.pdf") == b"draft"
    assert archive.read(f"{number}/Essay (2).pdf") == b"final"
    assert archive.read(f"{number}/essay") == b"notes"


def test_a_file_missing_from_storage_is_listed_and_the_rest_still_arrive(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    gone = _file(moderated, b"lost", "lost.pdf", entry=entry)
    default_storage.delete(gone.storage_key)
    _file(moderated, b"here", "here.pdf", entry=entry)

    _response, archive = _download(moderated)

    number = entry.candidate.display_number
    assert archive.read(f"{number}/here.pdf") == b"here"
    statuses = {row["Original file name"]: row["Status"] for row in _manifest(archive)}
    assert statuses == {
        "lost.pdf": "not included: the stored file could not be read",
        "here.pdf": "included",
    }


def test_a_file_that_differs_from_its_upload_receipt_is_flagged_in_the_manifest(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"changed", "essay.pdf", entry=entry, sha256="b" * 64)

    _response, archive = _download(moderated)

    [row] = _manifest(archive)
    assert row["SHA-256"] == hashlib.sha256(b"changed").hexdigest()
    assert row["Status"] == (
        f"included, but it differs from its upload receipt (SHA-256 {'b' * 64}, "
        "7 bytes)"
    )


def test_a_spreadsheet_formula_in_a_file_name_is_written_as_text(two_centres):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"x", "=HYPERLINK(1).pdf", entry=entry)

    _response, archive = _download(moderated)

    [row] = _manifest(archive)
    assert row["Original file name"] == "'=HYPERLINK(1).pdf"


def test_the_zip_is_streamed_as_an_attachment_named_for_the_series_unit_and_centre(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"essay", "essay.pdf", entry=entry)

    response, _archive = _download(moderated)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    name = (
        f"{moderated.unit.series.slug}_{moderated.unit.code}_"
        f"{moderated.centre.number}_sample.zip"
    )
    assert response["Content-Disposition"].startswith(f'attachment; filename="{name}"')


def test_the_manifest_is_in_welsh_for_a_moderator_reading_in_welsh(two_centres):
    moderated = moderated_sheet(two_centres)
    entry = _members(moderated)[0].entry
    _file(moderated, b"essay", "essay.pdf", entry=entry)
    _file(moderated, b"why", "note.txt", kind=Kind.NOTE)
    client = moderated.client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"

    response = client.get(moderated.url("sample_zip"))

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = list(
        csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
    )
    assert header[0] == "Rhif ymgeisydd"
    assert rows[0][-1] != "included"
    assert any(name.startswith("nodiadau-esboniadol/") for name in archive.namelist())


def test_the_workspace_links_to_the_zip(two_centres):
    moderated = moderated_sheet(two_centres)

    page = moderated.client().get(moderated.url("workspace")).content.decode()

    assert moderated.url("sample_zip") in page
    assert "Download the whole sample (zip)" in page


def test_before_the_sample_is_ready_the_moderator_is_sent_back_to_the_workspace(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    moderated.sample.status = "pending"
    moderated.sample.save(update_fields=["status"])

    response = moderated.client().get(moderated.url("sample_zip"))

    assert response.status_code == 302
    assert response["Location"] == moderated.url("workspace")


def test_a_moderator_not_allocated_to_the_sheet_gets_404(two_centres):
    moderated = moderated_sheet(two_centres)
    _file(moderated, b"essay", "essay.pdf", entry=_members(moderated)[0].entry)
    elsewhere = make_moderator()
    ModeratorAllocation.objects.create(
        moderator=elsewhere,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )
    client = moderated.client()
    client.force_login(elsewhere)

    assert client.get(moderated.url("sample_zip")).status_code == 404


def test_another_centres_sheet_gets_404_for_the_allocated_moderator(two_centres):
    moderated = moderated_sheet(two_centres)
    url = moderated.url("sample_zip").replace(
        f"/centres/{moderated.centre.number}/",
        f"/centres/{two_centres.charlie_centre.number}/",
    )

    assert moderated.client().get(url).status_code == 404


def test_a_centre_member_gets_404(two_centres, alice_client):
    moderated = moderated_sheet(two_centres)

    assert alice_client.get(moderated.url("sample_zip")).status_code == 404


def test_the_zip_takes_the_same_number_of_queries_for_few_and_many_files(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    members = _members(moderated)
    _file(moderated, b"one", "one.pdf", entry=members[0].entry)
    client = moderated.client()
    client.get(moderated.url("sample_zip"))
    with CaptureQueriesContext(connection) as few:
        response = client.get(moderated.url("sample_zip"))
        b"".join(response.streaming_content)
    for member in members:
        for index in range(3):
            _file(moderated, b"more", f"more-{index}.pdf", entry=member.entry)
    _file(moderated, b"why", "note.txt", kind=Kind.NOTE)
    _file(moderated, b"group", "register.xlsx", kind=Kind.GROUP)

    with CaptureQueriesContext(connection) as many:
        response = client.get(moderated.url("sample_zip"))
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))

    assert len(archive.namelist()) == 3 * len(members) + 1 + 2 + 1
    assert len(many) == len(few), [q["sql"] for q in many]


def test_a_large_file_is_zipped_in_a_small_fraction_of_its_size_in_memory(
    two_centres,
):
    moderated = moderated_sheet(two_centres)
    size = 64 * 1024 * 1024
    key = f"evidence/zip/{moderated.unit.public_id}/big"
    path = default_storage.path(key)
    default_storage.save(key, ContentFile(b""))
    with open(path, "r+b") as sparse:
        sparse.truncate(size)
    EvidenceFile.objects.create(
        centre=moderated.centre,
        unit=moderated.unit,
        entry=_members(moderated)[0].entry,
        kind=Kind.CANDIDATE,
        original_name="film.mov",
        size=size,
        sha256="",
        storage_key=key,
        uploaded_by=moderated.sample.submission.submitted_by,
        scan_status=ScanStatus.CLEAN,
        scanned_at=timezone.now(),
    )
    sent = hashlib.sha256()
    length = 0

    tracemalloc.start()
    try:
        response = moderated.client().get(moderated.url("sample_zip"))
        for chunk in response.streaming_content:
            sent.update(chunk)
            length += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert length > size
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
