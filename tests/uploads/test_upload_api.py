"""The resumable upload protocol and the rules on when and for whom uploads open."""

from __future__ import annotations

import hashlib
import os

from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from iamis.models import Unit
from sampling.models import Sample, SampleMember
from tests.sampling.sheets import entry_of
from uploads.models import EvidenceFile, UploadSession

from .helpers import (
    CHUNK,
    sampled_number,
    send,
    send_cut_short,
    start,
    stored_files,
    unsampled_number,
    upload,
    upload_sample,
)


def test_an_interrupted_upload_resumes_and_the_stored_file_matches_the_source(
    alice_client, two_centres, media, django_capture_on_commit_callbacks
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    source = os.urandom(5 * CHUNK + 1234)
    session = start(
        alice_client, sample.unit, size=len(source), candidate=number, name="essay.pdf"
    ).json()
    url = session["url"]

    assert send(alice_client, url, source[:CHUNK], 0).json()["offset"] == CHUNK
    assert send(alice_client, url, source[CHUNK : 2 * CHUNK], CHUNK).status_code == 200
    # The connection drops halfway through the third chunk: nothing of it is kept.
    cut = send_cut_short(
        alice_client, url, source[2 * CHUNK : 3 * CHUNK], 2 * CHUNK, arrived=1000
    )
    assert cut.status_code == 400
    assert cut.json()["offset"] == 2 * CHUNK

    # The laptop wakes up: ask where to resume, and carry on from there.
    status = alice_client.get(url)
    offset = status.json()["offset"]
    assert offset == 2 * CHUNK
    assert status["Upload-Offset"] == str(2 * CHUNK)
    while offset < len(source):
        reply = send(alice_client, url, source[offset : offset + CHUNK], offset)
        assert reply.status_code == 200
        offset = reply.json()["offset"]
    with django_capture_on_commit_callbacks(execute=True):
        done = alice_client.post(session["complete_url"])

    assert done.status_code == 200
    evidence = EvidenceFile.objects.get()
    assert evidence.sha256 == hashlib.sha256(source).hexdigest()
    assert done.json()["file"]["sha256"] == evidence.sha256
    assert evidence.size == len(source)
    assert evidence.entry == entry_of(sample, number - 1000)
    assert evidence.original_name == "essay.pdf"
    assert evidence.storage_key.startswith(f"evidence/68999/{sample.unit.public_id}/")
    with default_storage.open(evidence.storage_key, "rb") as stored:
        assert stored.read() == source
    # The parts are gone: only the final object remains.
    assert stored_files(media) == [media / evidence.storage_key]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.FILE_UPLOADED, detail__sha256=evidence.sha256
    ).exists()


def test_the_completion_reply_carries_the_refreshed_file_list(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)

    done = upload(alice_client, sample.unit, b"x" * 100, candidate=number)

    assert done.json()["target"] == f"files-{number}"
    assert f'id="files-{number}"' in done.json()["html"]
    assert hashlib.sha256(b"x" * 100).hexdigest() in done.json()["html"]


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_expected(
    alice_client, two_centres, media
):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=3 * CHUNK, candidate=sampled_number(sample)
    ).json()
    send(alice_client, session["url"], b"a" * CHUNK, 0)

    skipped = send(alice_client, session["url"], b"c" * CHUNK, 2 * CHUNK)

    assert skipped.status_code == 409
    assert skipped.json()["offset"] == CHUNK
    assert UploadSession.objects.get().received == CHUNK
    assert len(stored_files(media)) == 1


def test_sending_the_last_chunk_again_changes_nothing(alice_client, two_centres):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=2 * CHUNK, candidate=sampled_number(sample)
    ).json()
    send(alice_client, session["url"], b"a" * CHUNK, 0)

    # Other bytes than the first time, so a re-send that was stored would show.
    again = send(alice_client, session["url"], b"x" * CHUNK, 0)
    send(alice_client, session["url"], b"b" * CHUNK, CHUNK)
    done = alice_client.post(session["complete_url"])

    assert again.status_code == 200
    assert again.json()["offset"] == CHUNK
    assert done.json()["file"]["sha256"] == (
        hashlib.sha256(b"a" * CHUNK + b"b" * CHUNK).hexdigest()
    )


def test_an_oversize_file_is_refused_at_the_start_and_nothing_is_stored(
    alice_client, two_centres, media
):
    sample = upload_sample(two_centres)

    refused = start(
        alice_client, sample.unit, size=1024**3 + 1, candidate=sampled_number(sample)
    )

    assert refused.status_code == 413
    assert "at most 1.0\xa0GB" in refused.json()["error"]
    assert not UploadSession.objects.exists()
    assert stored_files(media) == []


def test_bytes_past_the_limit_are_refused_mid_stream_and_nothing_more_is_stored(
    alice_client, two_centres, media, settings
):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=3 * CHUNK, candidate=sampled_number(sample)
    ).json()
    send(alice_client, session["url"], b"a" * CHUNK, 0)
    # The limit is lowered while the upload is under way: the next chunk would pass it.
    settings.UPLOAD_MAX_BYTES = CHUNK + 10

    refused = send(alice_client, session["url"], b"b" * CHUNK, CHUNK)

    assert refused.status_code == 413
    assert UploadSession.objects.get().received == CHUNK
    [stored] = stored_files(media)
    assert stored.stat().st_size == CHUNK


def test_a_chunk_beyond_the_declared_size_is_refused(alice_client, two_centres):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=100, candidate=sampled_number(sample)
    ).json()

    refused = send(alice_client, session["url"], b"a" * 101, 0)

    assert refused.status_code == 413
    assert UploadSession.objects.get().received == 0


def test_a_half_finished_upload_never_shows_as_a_file(alice_client, two_centres):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    session = start(
        alice_client, sample.unit, size=2 * CHUNK, candidate=number, name="half.mp4"
    ).json()
    send(alice_client, session["url"], b"a" * CHUNK, 0)

    early = alice_client.post(session["complete_url"])
    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    assert early.status_code == 400
    assert not EvidenceFile.objects.exists()
    assert "half.mp4" not in page.content.decode()


def test_uploading_before_the_marks_are_submitted_is_refused(alice_client, two_centres):
    unit = two_centres.alice_unit
    unit.evidence = Unit.Evidence.E_SUBMISSION
    unit.save()

    refused = start(alice_client, unit, size=10, candidate=1001)

    assert refused.status_code == 400
    assert "once the marks are submitted" in refused.json()["error"]
    assert not UploadSession.objects.exists()


def test_uploading_while_the_sample_is_being_generated_is_refused(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    Sample.objects.filter(pk=sample.pk).update(status=Sample.Status.PENDING)

    refused = start(
        alice_client, sample.unit, size=10, candidate=sampled_number(sample)
    )

    assert refused.status_code == 400


def test_uploading_for_a_candidate_outside_the_sample_is_refused(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)

    refused = start(
        alice_client, sample.unit, size=10, candidate=unsampled_number(sample)
    )

    assert refused.status_code == 400
    assert "only for candidates in the sample" in refused.json()["error"]


def test_a_candidate_outside_the_sample_cannot_slip_in_at_completion(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    session = start(alice_client, sample.unit, size=10, candidate=number).json()
    send(alice_client, session["url"], b"0123456789", 0)
    SampleMember.objects.filter(sample=sample, entry__candidate__number=number).delete()

    refused = alice_client.post(session["complete_url"])

    assert refused.status_code == 400
    assert not EvidenceFile.objects.exists()


def test_every_kind_of_sample_member_takes_uploads_but_unavailable_work_does_not(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    member = sample.members.select_related("entry__candidate").first()
    number = member.entry.candidate.number
    for origin in SampleMember.Origin.values:
        SampleMember.objects.filter(pk=member.pk).update(origin=origin)
        assert (
            start(alice_client, sample.unit, size=5, candidate=number).status_code
            == 201
        )

    SampleMember.objects.filter(pk=member.pk).update(work_unavailable=True)
    refused = start(alice_client, sample.unit, size=5, candidate=number)

    assert refused.status_code == 400
    assert "recorded as unavailable" in refused.json()["error"]


def test_a_unit_whose_samples_are_posted_takes_no_uploads(alice_client, two_centres):
    sample = upload_sample(two_centres, evidence=Unit.Evidence.POSTAL)

    refused = start(
        alice_client, sample.unit, size=10, candidate=sampled_number(sample)
    )

    assert refused.status_code == 400
    assert "not uploaded" in refused.json()["error"]


def test_an_upload_only_unit_takes_uploads(alice_client, two_centres):
    sample = upload_sample(two_centres, evidence=Unit.Evidence.UPLOAD_ONLY)

    done = upload(alice_client, sample.unit, b"work", candidate=sampled_number(sample))

    assert done.status_code == 200


def test_group_files_only_where_the_unit_uses_group_upload(alice_client, two_centres):
    sample = upload_sample(two_centres)

    refused = start(alice_client, sample.unit, size=10, kind="group")
    sample.unit.group_upload = True
    sample.unit.save()
    done = upload(alice_client, sample.unit, b"group work", kind="group")

    assert refused.status_code == 400
    assert done.status_code == 200
    group_file = EvidenceFile.objects.get()
    assert group_file.kind == "group"
    assert group_file.entry is None


def test_an_explanatory_note_can_be_uploaded_for_the_unit(alice_client, two_centres):
    sample = upload_sample(two_centres)

    done = upload(alice_client, sample.unit, b"note", kind="note", name="note.docx")

    assert done.json()["target"] == "files-note"
    assert EvidenceFile.objects.get().kind == "note"


def test_the_uploaders_path_is_not_kept_in_the_name(alice_client, two_centres):
    sample = upload_sample(two_centres)

    upload(
        alice_client,
        sample.unit,
        b"x",
        candidate=sampled_number(sample),
        name="C:\\Users\\x\\..\\evil\x07.html",
    )

    evidence = EvidenceFile.objects.get()
    assert evidence.original_name == "evil.html"
    assert "evil" not in evidence.storage_key


def test_another_centres_upload_is_404(alice_client, charlie_client, two_centres):
    sample = upload_sample(two_centres)
    session = start(
        alice_client, sample.unit, size=10, candidate=sampled_number(sample)
    ).json()

    assert charlie_client.get(session["url"]).status_code == 404
    assert send(charlie_client, session["url"], b"0123456789", 0).status_code == 404
    assert charlie_client.post(session["complete_url"]).status_code == 404
    assert UploadSession.objects.get().received == 0


def test_starting_an_upload_needs_sign_in_and_a_post(two_centres):
    sample = upload_sample(two_centres)
    url = reverse("uploads:upload_start", args=[sample.unit.public_id])
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(two_centres.alice)

    assert anonymous.post(url).status_code == 302
    assert signed_in.get(url).status_code == 405


def test_a_teacher_without_the_iamis_grant_cannot_upload(two_centres):
    sample = upload_sample(two_centres)
    teacher = Client()
    teacher.force_login(two_centres.alice_teacher.user)

    refused = start(teacher, sample.unit, size=10, candidate=sampled_number(sample))

    assert refused.status_code == 403
