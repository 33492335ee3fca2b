"""Every new file is scanned by a Celery task before anyone outside its centre can
download it: the verdict, its audit event, retries while the scanner is down, and the
beat sweep for files left pending."""

from __future__ import annotations

import importlib
import socket
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from portal.celery import app
from tests.moderation.helpers import make_moderator
from uploads.clamd import EICAR, ScannerUnavailable
from uploads.models import EvidenceFile, ScanStatus
from uploads.services import scans
from uploads.tasks import requeue_pending_scans, scan_file

from .helpers import sampled_number, upload, upload_sample


def _uploaded(client, two_centres, data: bytes, name: str = "work.pdf"):
    sample = upload_sample(two_centres)
    done = upload(
        client, sample.unit, data, candidate=sampled_number(sample), name=name
    )
    assert done.status_code == 200, done.content
    return sample, EvidenceFile.objects.get(public_id=done.json()["file"]["id"])


def _closed_port() -> int:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        return placeholder.getsockname()[1]


def _queued_messages() -> int:
    # The suite's broker is a real Redis: count what waits in the default queue.
    with app.connection_for_write() as connection:
        return connection.default_channel.client.llen("default")


def test_a_new_file_waits_pending_for_its_scan(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay")

    assert evidence.scan_status == ScanStatus.PENDING
    assert evidence.scan_queued_at is not None
    assert evidence.scanned_at is None


def test_recording_a_file_queues_its_scan_when_the_upload_commits(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    sample = upload_sample(two_centres)
    before = _queued_messages()

    with django_capture_on_commit_callbacks(execute=True):
        upload(alice_client, sample.unit, b"essay", candidate=sampled_number(sample))

    assert _queued_messages() == before + 1


def test_an_eicar_file_is_found_infected_with_an_audit_event(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay\n" + EICAR)

    result = scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert result == ScanStatus.INFECTED
    assert evidence.scan_status == ScanStatus.INFECTED
    assert evidence.scan_detail == "Eicar-Test-Signature"
    assert evidence.scanned_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.FILE_SCANNED)
    assert event.centre == evidence.centre
    assert event.actor is None
    assert event.detail["file"] == str(evidence.public_id)
    assert event.detail["verdict"] == "infected"
    assert event.detail["detail"] == "Eicar-Test-Signature"


def test_a_clean_file_is_found_clean_with_an_audit_event(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay " * 1000)

    scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.CLEAN
    assert evidence.scan_detail == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.FILE_SCANNED)
    assert event.detail["verdict"] == "clean"


def test_scanning_a_file_twice_changes_nothing(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, EICAR)
    scan_file.apply(args=[evidence.pk]).get()
    first = EvidenceFile.objects.values().get(pk=evidence.pk)

    again = scan_file.apply(args=[evidence.pk]).get()

    assert again == ScanStatus.INFECTED
    assert EvidenceFile.objects.values().get(pk=evidence.pk) == first
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_SCANNED).count() == 1


def test_an_unreachable_scanner_leaves_the_file_pending_and_the_task_retries_later(
    alice_client, two_centres, settings
):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay")
    settings.UPLOAD_SCANNER = f"clamd://127.0.0.1:{_closed_port()}"

    with pytest.raises(Retry) as first:
        scan_file.apply(args=[evidence.pk])
    with pytest.raises(Retry) as fourth:
        scan_file.apply(args=[evidence.pk], retries=3)

    assert isinstance(first.value.exc, ScannerUnavailable)
    # Back-off: 10 s, then twice as long each time.
    assert (first.value.when, fourth.value.when) == (10, 80)
    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.PENDING
    assert evidence.scan_attempts == 0  # the scanner's fault, not the file's
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.FILE_SCANNED)


def test_after_its_last_retry_the_task_gives_up_and_the_file_stays_pending(
    alice_client, two_centres, settings
):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay")
    settings.UPLOAD_SCANNER = f"clamd://127.0.0.1:{_closed_port()}"

    with pytest.raises(ScannerUnavailable):
        scan_file.apply(args=[evidence.pk], retries=scan_file.max_retries)

    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.PENDING


def test_a_scan_that_never_finishes_is_given_up_with_an_error_after_three_tries(
    alice_client, two_centres
):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay")
    # Three workers were killed mid-scan: each left its attempt counted.
    EvidenceFile.objects.filter(pk=evidence.pk).update(scan_attempts=scans.MAX_ATTEMPTS)

    scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.ERROR
    assert "did not finish" in evidence.scan_detail


def test_a_stored_file_gone_missing_is_an_error_not_clean(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, b"essay")
    from django.core.files.storage import default_storage

    default_storage.delete(evidence.storage_key)

    scan_file.apply(args=[evidence.pk]).get()

    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.ERROR


def test_a_deleted_file_is_not_scanned(alice_client, two_centres):
    _sample, evidence = _uploaded(alice_client, two_centres, EICAR)
    EvidenceFile.objects.filter(pk=evidence.pk).update(deleted_at=timezone.now())

    scan_file.apply(args=[evidence.pk]).get()

    assert EvidenceFile.objects.get(pk=evidence.pk).scan_status == ScanStatus.PENDING


def test_the_sweep_queues_again_only_files_stuck_pending(
    alice_client, two_centres, settings
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    for name in ("stuck", "fresh", "clean", "deleted", "infected", "never-queued"):
        upload(alice_client, sample.unit, name.encode(), candidate=number, name=name)
    files = {f.original_name: f for f in EvidenceFile.objects.all()}
    # The sweep runs 16 minutes from now: every upload above is stuck by then, except
    # the one whose scan was queued again a minute before.
    later = timezone.now() + timedelta(minutes=16)
    EvidenceFile.objects.filter(original_name="fresh").update(
        scan_queued_at=later - timedelta(minutes=1)
    )
    EvidenceFile.objects.filter(original_name="never-queued").update(
        scan_queued_at=None
    )
    scan_file.apply(args=[files["clean"].pk]).get()
    EvidenceFile.objects.filter(original_name="deleted").update(
        deleted_at=timezone.now()
    )
    EvidenceFile.objects.filter(original_name="infected").update(
        scan_status=ScanStatus.INFECTED,
        scan_detail="Eicar-Test-Signature",
        scanned_at=timezone.now(),
    )
    before = _queued_messages()

    first = scans.files_requeue_pending_scans(now=later)
    queued = _queued_messages() - before
    second = scans.files_requeue_pending_scans(now=later)

    assert first == 2
    assert queued == 2
    assert second == 0  # just queued again: no longer stuck
    requeued = EvidenceFile.objects.filter(scan_queued_at=later)
    assert {f.original_name for f in requeued} == {"stuck", "never-queued"}
    assert settings.CELERY_BEAT_SCHEDULE["requeue-pending-scans"]["task"] == (
        requeue_pending_scans.name
    )


def test_files_from_before_scanning_began_are_marked_clean_by_the_migration(
    alice_client, two_centres
):
    _sample, evidence = _uploaded(alice_client, two_centres, b"old work")
    migration = importlib.import_module("uploads.migrations.0005_evidence_scan")

    migration.mark_existing_files_clean(apps, None)

    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.CLEAN
    assert evidence.scan_detail == migration.UNSCANNED


# --- Through a real worker --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_scans_each_upload_and_only_the_clean_one_reaches_the_moderator(
    client, two_centres, media
):
    from centres.models import ModeratorAllocation

    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    client.force_login(two_centres.alice)
    moderator = make_moderator()
    ModeratorAllocation.objects.create(
        moderator=moderator, centre=sample.centre, unit=sample.unit
    )
    upload(client, sample.unit, b"clean essay", candidate=number, name="essay.pdf")
    upload(client, sample.unit, EICAR, candidate=number, name="eicar.com")
    essay = EvidenceFile.objects.get(original_name="essay.pdf")
    virus = EvidenceFile.objects.get(original_name="eicar.com")

    def moderator_gets(evidence: EvidenceFile) -> int:
        client.force_login(moderator)
        url = reverse(
            "moderation:file_download",
            args=[sample.centre.number, sample.unit.public_id, evidence.public_id],
        )
        return client.get(url).status_code

    before = moderator_gets(essay)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 20
        while EvidenceFile.objects.filter(scan_status=ScanStatus.PENDING).exists():
            assert time.monotonic() < deadline, "the worker did not scan the files"
            time.sleep(0.1)

    essay.refresh_from_db()
    virus.refresh_from_db()
    assert before == 409
    assert (essay.scan_status, virus.scan_status) == ("clean", "infected")
    assert moderator_gets(essay) == 200
    assert moderator_gets(virus) == 409
