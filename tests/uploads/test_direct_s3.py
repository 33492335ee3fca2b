"""Direct uploads on object storage (uploads/direct.py), against a real local S3 server:
the browser's part PUTs go to moto_server's presigned URLs over real HTTP, the portal
only signs and checks, and the scan task hashes the finished object."""

from __future__ import annotations

import hashlib
import os
import urllib.request

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from uploads.clamd import EICAR
from uploads.models import EvidenceFile, UploadSession
from uploads.services.uploads import uploads_clean_abandoned
from uploads.tasks import scan_file

from .helpers import BUCKET, s3_client, sampled_number, send, start, upload_sample

PART = 5 * 1024 * 1024  # S3's (and moto's) smallest part but the last


@pytest.fixture
def direct_s3(settings, s3_storage) -> str:
    settings.UPLOAD_PART_BYTES = PART
    return s3_storage


def _start(client, sample, size: int, **fields):
    return start(
        client,
        sample.unit,
        size=size,
        candidate=sampled_number(sample),
        name="film.mp4",
        direct="1",
        **fields,
    )


def _urls(client, session, numbers):
    return client.post(
        session["parts_url"], {"numbers": ",".join(str(n) for n in numbers)}
    )


def _put(url: str, data: bytes) -> int:
    """The browser's PUT of one part, straight to the store."""
    request = urllib.request.Request(  # noqa: S310
        url,
        data=data,
        method="PUT",
        # urllib's default type is a form, which moto's server would try to parse.
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return answer.status


def _send_parts(client, session, source: bytes, numbers) -> None:
    answer = _urls(client, session, numbers)
    assert answer.status_code == 200, answer.content
    for part in answer.json()["parts"]:
        begin = (part["number"] - 1) * PART
        assert _put(part["url"], source[begin : begin + PART]) == 200


def _still_in_the_store(endpoint: str, session) -> bool:
    """The session's multipart upload is still open in the store (the bucket is shared
    by the whole test run, so look for this one)."""
    row = UploadSession.objects.get(public_id=session["id"])
    uploads = s3_client(endpoint).list_multipart_uploads(Bucket=BUCKET)
    return any(u["UploadId"] == row.multipart_id for u in uploads.get("Uploads", []))


def test_a_direct_upload_lands_in_the_bucket_and_the_worker_adds_its_receipt(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = os.urandom(2 * PART + 1234)
    started = _start(alice_client, sample, len(source))
    session = started.json()

    _send_parts(alice_client, session, source, [1, 2, 3])
    done = alice_client.post(session["complete_url"])

    assert started.status_code == 201
    assert session["direct"] is True
    assert session["part_size"] == PART
    assert done.status_code == 200, done.content
    # The web process never read the bytes: the receipt comes from the worker.
    assert done.json()["file"]["sha256"] is None
    assert "being calculated" in done.json()["html"]
    evidence = EvidenceFile.objects.get()
    stored = s3_client(direct_s3).get_object(Bucket=BUCKET, Key=evidence.storage_key)
    assert stored["Body"].read() == source
    assert evidence.size == len(source)
    assert not _still_in_the_store(direct_s3, session)

    assert scan_file.apply(args=[evidence.pk]).get() == "clean"

    evidence.refresh_from_db()
    assert evidence.sha256 == hashlib.sha256(source).hexdigest()
    assert evidence.scan_status == "clean"
    scanned = AuditEvent.objects.get(action=AuditEvent.Action.FILE_SCANNED)
    assert scanned.detail["sha256"] == evidence.sha256
    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))
    assert evidence.sha256 in page.content.decode()


def test_a_resumed_direct_upload_sends_only_the_parts_missing_from_the_store(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = os.urandom(2 * PART + 10)
    session = _start(alice_client, sample, len(source)).json()
    _send_parts(alice_client, session, source, [1, 3])

    status = alice_client.get(session["url"])
    _send_parts(alice_client, session, source, [2])
    done = alice_client.post(session["complete_url"])

    assert status.status_code == 200
    assert status.json()["parts"] == [1, 3]
    assert status.json()["offset"] == PART + 10
    assert done.status_code == 200, done.content
    evidence = EvidenceFile.objects.get()
    scan_file.apply(args=[evidence.pk]).get()
    evidence.refresh_from_db()
    assert evidence.sha256 == hashlib.sha256(source).hexdigest()


def test_completing_before_every_part_arrived_leaves_the_upload_to_resume(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = os.urandom(PART + 10)
    session = _start(alice_client, sample, len(source)).json()
    _send_parts(alice_client, session, source, [1])

    early = alice_client.post(session["complete_url"])
    _send_parts(alice_client, session, source, [2])
    done = alice_client.post(session["complete_url"])

    assert early.status_code == 409
    assert "not finished" in early.json()["error"]
    assert done.status_code == 200, done.content


def test_no_url_is_signed_for_a_part_past_the_declared_size_or_the_limit(
    alice_client, two_centres, direct_s3, settings
):
    settings.UPLOAD_MAX_BYTES = 3 * PART
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, 2 * PART).json()

    past_declared = _urls(alice_client, session, [1, 3])
    past_limit = _urls(alice_client, session, [4])
    nonsense = _urls(alice_client, session, ["one"])
    too_large_start = _start(alice_client, sample, 3 * PART + 1)

    assert past_declared.status_code == 413
    assert "parts" not in past_declared.json()
    assert past_limit.status_code == 413
    assert "at most" in past_limit.json()["error"]
    assert nonsense.status_code == 400
    assert too_large_start.status_code == 413
    assert UploadSession.objects.count() == 1


def test_more_than_the_limit_in_the_store_is_refused_and_the_upload_aborted(
    alice_client, two_centres, direct_s3, settings
):
    settings.UPLOAD_MAX_BYTES = PART + 1000
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, PART + 500).json()
    _send_parts(alice_client, session, os.urandom(PART), [1])
    # A presigned URL does not bound what is PUT to it: the last part is too big.
    last = _urls(alice_client, session, [2]).json()["parts"][0]["url"]
    _put(last, os.urandom(2000))

    done = alice_client.post(session["complete_url"])
    again = alice_client.post(session["complete_url"])

    assert done.status_code == 413
    assert "too large" in done.json()["error"]
    assert again.status_code == 410
    assert not _still_in_the_store(direct_s3, session)
    assert not EvidenceFile.objects.exists()
    row = UploadSession.objects.get()
    assert row.status == UploadSession.Status.ABANDONED


def test_parts_that_cannot_be_the_declared_file_end_the_upload(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, 2 * PART).json()
    urls = _urls(alice_client, session, [1, 2]).json()["parts"]
    _put(urls[0]["url"], os.urandom(PART + 1))  # not the part size
    _put(urls[1]["url"], os.urandom(PART - 1))

    done = alice_client.post(session["complete_url"])

    assert done.status_code == 410
    assert "upload it again" in done.json()["error"]
    assert not _still_in_the_store(direct_s3, session)
    assert not EvidenceFile.objects.exists()


def test_another_centres_direct_upload_is_not_found(
    alice_client, charlie_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, PART).json()

    parts = _urls(charlie_client, session, [1])
    status = charlie_client.get(session["url"])
    complete = charlie_client.post(session["complete_url"])

    assert parts.status_code == 404
    assert status.status_code == 404
    assert complete.status_code == 404
    assert _still_in_the_store(direct_s3, session)


def test_a_chunk_through_the_portal_is_refused_for_a_direct_upload(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, 100).json()

    chunk = send(alice_client, session["url"], b"x" * 100, 0)

    assert chunk.status_code == 410
    assert "straight to the store" in chunk.json()["error"]


def test_without_direct_the_chunks_still_come_through_the_portal_on_s3(
    alice_client, two_centres, direct_s3, django_capture_on_commit_callbacks
):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=10, candidate=sampled_number(sample)
    ).json()

    sent = send(alice_client, session["url"], b"0123456789", 0)
    # On commit the chunk's part object is removed from the shared bucket.
    with django_capture_on_commit_callbacks(execute=True):
        done = alice_client.post(session["complete_url"])

    assert session["direct"] is False
    assert sent.status_code == 200
    assert done.json()["file"]["sha256"] == hashlib.sha256(b"0123456789").hexdigest()


def test_on_the_filesystem_a_direct_start_gets_the_chunked_protocol(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, 10).json()

    parts = alice_client.post(
        reverse("uploads:upload_parts", args=[sample.unit.public_id, session["id"]]),
        {"numbers": "1"},
    )

    assert session["direct"] is False
    assert "parts_url" not in session
    assert parts.status_code == 400
    assert "through the portal" in parts.json()["error"]


def test_an_abandoned_direct_upload_is_aborted_in_the_store(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = os.urandom(PART)
    session = _start(alice_client, sample, 2 * PART).json()
    _send_parts(alice_client, session, source, [1])
    UploadSession.objects.update(updated_at="2020-01-01T00:00:00Z")

    cleaned = uploads_clean_abandoned()

    assert cleaned == 1
    assert not _still_in_the_store(direct_s3, session)
    assert UploadSession.objects.get().status == UploadSession.Status.ABANDONED


def test_the_worker_hashes_and_scans_once_however_often_it_runs(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = b"x" * (PART - 20) + EICAR + b"y" * 100  # EICAR across the parts
    session = _start(alice_client, sample, len(source)).json()
    _send_parts(alice_client, session, source, [1, 2])
    alice_client.post(session["complete_url"])
    evidence = EvidenceFile.objects.get()

    first = scan_file.apply(args=[evidence.pk]).get()
    second = scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert first == second == "infected"
    assert evidence.sha256 == hashlib.sha256(source).hexdigest()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_SCANNED).count() == 1


def test_completing_twice_gives_the_same_file_and_keeps_its_object(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    source = os.urandom(100)
    session = _start(alice_client, sample, len(source)).json()
    _send_parts(alice_client, session, source, [1])

    first = alice_client.post(session["complete_url"])
    second = alice_client.post(session["complete_url"])

    assert first.json()["file"]["id"] == second.json()["file"]["id"]
    evidence = EvidenceFile.objects.get()
    stored = s3_client(direct_s3).get_object(Bucket=BUCKET, Key=evidence.storage_key)
    assert stored["Body"].read() == source


def test_a_direct_file_missing_from_the_store_gets_an_error_verdict(
    alice_client, two_centres, direct_s3
):
    sample = upload_sample(two_centres)
    session = _start(alice_client, sample, 100).json()
    _send_parts(alice_client, session, os.urandom(100), [1])
    alice_client.post(session["complete_url"])
    evidence = EvidenceFile.objects.get()
    s3_client(direct_s3).delete_object(Bucket=BUCKET, Key=evidence.storage_key)

    assert scan_file.apply(args=[evidence.pk]).get() == "error"

    evidence.refresh_from_db()
    assert evidence.sha256 == ""
    assert evidence.scan_detail == "the stored file is missing"
