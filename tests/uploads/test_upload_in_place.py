"""On the filesystem the chunks of an upload grow one file, which becomes the evidence
file without being copied: what that file holds after cuts, crashes and races."""

from __future__ import annotations

import fcntl
import hashlib
import os

import pytest
from django.core.files.storage import default_storage

from uploads import storage
from uploads.models import EvidenceFile, UploadSession
from uploads.resumable_sha256 import ResumableSha256
from uploads.services import uploads as services

from .helpers import (
    CHUNK,
    sampled_number,
    send,
    send_cut_short,
    start,
    stored_files,
    upload_sample,
)


def _begin(client, two_centres, size: int):
    sample = upload_sample(two_centres)
    session = start(
        client, sample.unit, size=size, candidate=sampled_number(sample)
    ).json()
    row = UploadSession.objects.get(public_id=session["id"])
    return session, default_storage.path(storage.upload_file_key(row.parts_prefix))


def _send_rest(client, session, source: bytes, offset: int) -> None:
    while offset < len(source):
        reply = send(client, session["url"], source[offset : offset + CHUNK], offset)
        assert reply.status_code == 200, reply.content
        offset = reply.json()["offset"]


def test_a_chunk_cut_off_mid_way_leaves_only_the_accepted_bytes_in_the_file(
    alice_client, two_centres
):
    source = os.urandom(3 * CHUNK)
    session, path = _begin(alice_client, two_centres, len(source))
    send(alice_client, session["url"], source[:CHUNK], 0)

    cut = send_cut_short(
        alice_client, session["url"], source[CHUNK : 2 * CHUNK], CHUNK, arrived=5000
    )

    assert cut.json()["offset"] == CHUNK
    with open(path, "rb") as stored:
        assert stored.read() == source[:CHUNK]


def test_bytes_left_past_the_offset_by_a_crash_are_dropped_before_the_next_chunk(
    alice_client, two_centres
):
    source = os.urandom(2 * CHUNK + 99)
    session, path = _begin(alice_client, two_centres, len(source))
    send(alice_client, session["url"], source[:CHUNK], 0)
    # A worker killed while writing the second chunk: its bytes stay, the row does not
    # move on.
    with open(path, "ab") as stored:
        stored.write(b"\0garbage" * 1000)

    _send_rest(alice_client, session, source, CHUNK)
    done = alice_client.post(session["complete_url"])

    assert done.json()["file"]["sha256"] == hashlib.sha256(source).hexdigest()
    with default_storage.open(EvidenceFile.objects.get().storage_key, "rb") as stored:
        assert stored.read() == source


def test_acknowledged_bytes_lost_from_the_disk_make_the_client_resume_from_what_is_there(
    alice_client, two_centres
):
    source = os.urandom(3 * CHUNK)
    session, path = _begin(alice_client, two_centres, len(source))
    send(alice_client, session["url"], source[:CHUNK], 0)
    send(alice_client, session["url"], source[CHUNK : 2 * CHUNK], CHUNK)
    # A power cut: the second chunk was acknowledged but never reached the disk.
    os.truncate(path, CHUNK)

    refused = send(alice_client, session["url"], source[2 * CHUNK :], 2 * CHUNK)
    _send_rest(alice_client, session, source, refused.json()["offset"])
    done = alice_client.post(session["complete_url"])

    assert refused.status_code == 409
    assert refused.json()["offset"] == CHUNK
    assert done.json()["file"]["sha256"] == hashlib.sha256(source).hexdigest()


def test_a_chunk_sent_while_another_request_is_writing_is_told_the_offset_and_not_stored(
    alice_client, two_centres
):
    source = os.urandom(2 * CHUNK)
    session, path = _begin(alice_client, two_centres, len(source))
    send(alice_client, session["url"], source[:CHUNK], 0)

    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a first try of the same chunk still running
        second = send(alice_client, session["url"], b"x" * CHUNK, CHUNK)
    finally:
        os.close(fd)

    assert second.status_code == 409
    assert second.json()["offset"] == CHUNK
    assert os.path.getsize(path) == CHUNK
    assert UploadSession.objects.get().received == CHUNK


def test_the_stored_file_is_the_upload_file_itself_not_a_copy(
    alice_client, two_centres, media, django_capture_on_commit_callbacks
):
    source = os.urandom(CHUNK + 1)
    session, path = _begin(alice_client, two_centres, len(source))
    _send_rest(alice_client, session, source, 0)
    inode = os.stat(path).st_ino

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(session["complete_url"])

    evidence = EvidenceFile.objects.get()
    assert os.stat(default_storage.path(evidence.storage_key)).st_ino == inode
    assert stored_files(media) == [media / evidence.storage_key]


def test_a_chunk_for_a_completed_upload_is_refused_and_stores_nothing(
    alice_client, two_centres, media, django_capture_on_commit_callbacks
):
    session, _path = _begin(alice_client, two_centres, 10)
    send(alice_client, session["url"], b"0123456789", 0)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(session["complete_url"])

    late = send(alice_client, session["url"], b"0123456789", 0)

    assert late.status_code == 410
    assert stored_files(media / "upload-parts") == []


def test_two_completions_of_one_upload_record_one_file(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    session, _path = _begin(alice_client, two_centres, 10)
    send(alice_client, session["url"], b"0123456789", 0)
    first_copy = UploadSession.objects.get()
    second_copy = UploadSession.objects.get()  # loaded before the first one finished

    with django_capture_on_commit_callbacks(execute=True):
        first = services.upload_complete(
            session=first_copy, acting_user=two_centres.alice
        )
    second = services.upload_complete(
        session=second_copy, acting_user=two_centres.alice
    )

    assert second == first
    assert EvidenceFile.objects.count() == 1
    with default_storage.open(first.storage_key, "rb") as stored:
        assert stored.read() == b"0123456789"


def test_each_accepted_chunk_carries_the_sha256_of_the_bytes_so_far(
    alice_client, two_centres
):
    source = os.urandom(2 * CHUNK + 5)
    session, _path = _begin(alice_client, two_centres, len(source))

    carried = []
    for offset in (0, CHUNK, 2 * CHUNK):
        send(alice_client, session["url"], source[offset : offset + CHUNK], offset)
        row = UploadSession.objects.get()
        digest = ResumableSha256.load(row.hash_state, count=row.received)
        carried.append(
            digest.hexdigest() == hashlib.sha256(source[: row.received]).hexdigest()
        )

    assert carried == [True, True, True]


@pytest.mark.parametrize("spoilt", [None, b"not a state"])
def test_an_upload_whose_carried_hash_is_missing_or_damaged_is_hashed_from_the_file(
    alice_client, two_centres, spoilt
):
    source = os.urandom(CHUNK + 3)
    session, _path = _begin(alice_client, two_centres, len(source))
    _send_rest(alice_client, session, source, 0)
    UploadSession.objects.update(hash_state=spoilt)

    done = alice_client.post(session["complete_url"])

    assert done.json()["file"]["sha256"] == hashlib.sha256(source).hexdigest()


def test_a_chunk_after_a_damaged_carried_hash_is_still_taken(alice_client, two_centres):
    source = os.urandom(2 * CHUNK)
    session, _path = _begin(alice_client, two_centres, len(source))
    send(alice_client, session["url"], source[:CHUNK], 0)
    UploadSession.objects.update(hash_state=b"\0" * 144)

    second = send(alice_client, session["url"], source[CHUNK:], CHUNK)
    done = alice_client.post(session["complete_url"])

    assert second.status_code == 200
    assert done.json()["file"]["sha256"] == hashlib.sha256(source).hexdigest()
