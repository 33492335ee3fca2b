"""The same upload and download path against a real local S3 server (moto_server)."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from urllib.parse import parse_qs, urlparse

from django.urls import reverse

from uploads.models import EvidenceFile

from .helpers import (
    BUCKET,
    CHUNK,
    s3_client,
    sampled_number,
    send,
    start,
    upload,
    upload_sample,
)


def test_an_upload_lands_in_the_bucket_and_downloads_through_a_signed_url(
    alice_client, two_centres, s3_storage, django_capture_on_commit_callbacks
):
    sample = upload_sample(two_centres)
    source = os.urandom(3 * CHUNK + 77)

    with django_capture_on_commit_callbacks(execute=True):
        done = upload(
            alice_client,
            sample.unit,
            source,
            candidate=sampled_number(sample),
            name="film.mp4",
        )

    assert done.status_code == 200, done.content
    evidence = EvidenceFile.objects.get()
    s3 = s3_client(s3_storage)
    stored = s3.get_object(Bucket=BUCKET, Key=evidence.storage_key)["Body"].read()
    assert stored == source
    assert evidence.sha256 == hashlib.sha256(source).hexdigest()
    # The parts are removed once the file is complete.
    parts = s3.list_objects_v2(Bucket=BUCKET, Prefix="upload-parts/")
    assert parts.get("KeyCount", 0) == 0

    response = alice_client.get(
        reverse(
            "uploads:file_download", args=[sample.unit.public_id, evidence.public_id]
        )
    )

    assert response.status_code == 302
    assert response["X-Content-Type-Options"] == "nosniff"
    location = response["Location"]
    query = parse_qs(urlparse(location).query)
    assert location.startswith(f"{s3_storage}/{BUCKET}/{evidence.storage_key}?")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert query["response-content-disposition"][0].startswith(
        'attachment; filename="film.mp4"'
    )
    with urllib.request.urlopen(location, timeout=10) as signed:  # noqa: S310
        assert signed.read() == source


def test_a_resent_last_chunk_is_ignored_and_leaves_no_extra_part(
    alice_client, two_centres, s3_storage
):
    sample = upload_sample(two_centres)
    source = os.urandom(2 * CHUNK)
    session = start(
        alice_client, sample.unit, size=len(source), candidate=sampled_number(sample)
    ).json()
    send(alice_client, session["url"], source[:CHUNK], 0)

    again = send(alice_client, session["url"], b"x" * CHUNK, 0)
    send(alice_client, session["url"], source[CHUNK:], CHUNK)
    done = alice_client.post(session["complete_url"])

    assert again.status_code == 200
    assert again.json()["offset"] == CHUNK
    assert done.json()["file"]["sha256"] == hashlib.sha256(source).hexdigest()
    parts = s3_client(s3_storage).list_objects_v2(Bucket=BUCKET, Prefix="upload-parts/")
    # The two chunks' parts only (removed once the transaction commits).
    assert parts.get("KeyCount", 0) == 2


def test_a_file_in_the_bucket_is_scanned_from_the_bucket(
    alice_client, two_centres, s3_storage
):
    from uploads.clamd import EICAR
    from uploads.tasks import scan_file

    sample = upload_sample(two_centres)
    # The test string straddles two upload chunks; the joined object is scanned.
    source = b"x" * (CHUNK - 20) + EICAR + b"y" * 100
    upload(alice_client, sample.unit, source, candidate=sampled_number(sample))
    evidence = EvidenceFile.objects.get()

    scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert evidence.scan_status == "infected"
