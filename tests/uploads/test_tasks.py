"""The beat tasks: lock files past the cutoff, clean up abandoned uploads."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditEvent
from iamis.models import Submission
from tests.sampling.sheets import worked_sheet
from uploads.models import EvidenceFile, UploadSession
from uploads.tasks import clean_abandoned_uploads, lock_files_past_cutoff

from .helpers import CHUNK, sampled_number, send, start, upload, upload_sample


def test_the_lock_task_locks_exactly_the_files_past_their_cutoff_and_is_safe_twice(
    alice_client, two_centres
):
    late = upload_sample(two_centres)
    upload(alice_client, late.unit, b"late 1", candidate=sampled_number(late))
    upload(alice_client, late.unit, b"late 2", kind="note")
    Submission.objects.filter(pk=late.submission_id).update(
        submitted_at=timezone.now() - timedelta(days=15)
    )
    # A second sheet at the same centre, submitted yesterday: not yet due.
    from sampling.services import marks_submit, sample_generate

    unit = worked_sheet(two_centres, offset=3000)
    unit.evidence = "e_submission"
    unit.save()
    fresh = sample_generate(
        submission_id=marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        ).pk
    )
    upload(alice_client, fresh.unit, b"fresh", candidate=sampled_number(fresh))

    first = lock_files_past_cutoff()
    locked = set(
        EvidenceFile.objects.filter(locked_at__isnull=False).values_list(
            "unit_id", flat=True
        )
    )
    times = list(
        EvidenceFile.objects.order_by("pk").values_list("locked_at", flat=True)
    )
    second = lock_files_past_cutoff()

    assert first == 2
    assert locked == {late.unit_id}
    assert EvidenceFile.objects.get(unit=fresh.unit).locked_at is None
    assert second == 0
    assert (
        list(EvidenceFile.objects.order_by("pk").values_list("locked_at", flat=True))
        == times
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_LOCKED).count() == 2


def test_the_lock_task_leaves_deleted_files_alone(alice_client, two_centres):
    sample = upload_sample(two_centres)
    upload(alice_client, sample.unit, b"gone", candidate=sampled_number(sample))
    EvidenceFile.objects.update(deleted_at=timezone.now())
    Submission.objects.filter(pk=sample.submission_id).update(
        submitted_at=timezone.now() - timedelta(days=30)
    )

    assert lock_files_past_cutoff() == 0


def test_the_cleanup_task_removes_the_parts_of_abandoned_uploads_only(
    alice_client, two_centres, media
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    abandoned = start(
        alice_client, sample.unit, size=3 * CHUNK, candidate=number
    ).json()
    send(alice_client, abandoned["url"], b"a" * CHUNK, 0)
    active = start(alice_client, sample.unit, size=3 * CHUNK, candidate=number).json()
    send(alice_client, active["url"], b"b" * CHUNK, 0)
    upload(alice_client, sample.unit, b"finished", candidate=number)
    UploadSession.objects.filter(public_id=abandoned["id"]).update(
        updated_at=timezone.now() - timedelta(hours=25)
    )
    old = UploadSession.objects.get(public_id=abandoned["id"])
    kept = UploadSession.objects.get(public_id=active["id"])

    assert clean_abandoned_uploads() == 1
    assert clean_abandoned_uploads() == 0

    old.refresh_from_db()
    assert old.status == UploadSession.Status.ABANDONED
    assert old.parts == []
    assert not (media / old.parts_prefix).exists()
    assert len(default_storage.listdir(kept.parts_prefix)[1]) == 1
    assert default_storage.exists(EvidenceFile.objects.get().storage_key)
    # A resumed abandoned upload is told it is over.
    assert send(alice_client, abandoned["url"], b"a" * CHUNK, CHUNK).status_code == 410
