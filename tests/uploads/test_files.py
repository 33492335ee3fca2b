"""Download and delete of evidence files, the cutoff, and the samples page's file list."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from iamis.models import Submission, Unit
from uploads.models import EvidenceFile
from uploads.services.rules import deletion_cutoff

from .helpers import sampled_number, stored_files, upload, upload_sample

LONDON = ZoneInfo("Europe/London")


def _uploaded(client, two_centres, data=b"work", **unit_fields):
    sample = upload_sample(two_centres, **unit_fields)
    number = sampled_number(sample)
    upload(client, sample.unit, data, candidate=number, name='../evil".html')
    return sample, EvidenceFile.objects.get()


def _submitted_days_ago(sample, days: int) -> None:
    Submission.objects.filter(pk=sample.submission_id).update(
        submitted_at=timezone.now() - timedelta(days=days)
    )


def _download(sample, evidence):
    return reverse(
        "uploads:file_download", args=[sample.unit.public_id, evidence.public_id]
    )


def _delete(sample, evidence):
    return reverse(
        "uploads:file_delete", args=[sample.unit.public_id, evidence.public_id]
    )


def test_a_download_is_an_attachment_with_nosniff_and_a_safe_name(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres, b"<script>x</script>")

    response = alice_client.get(_download(sample, evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>x</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"evil_.html\"; filename*=UTF-8''evil%22.html"
    )


def test_a_welsh_file_name_keeps_its_letters_in_the_rfc_5987_name(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    upload(
        alice_client,
        sample.unit,
        b"x",
        candidate=sampled_number(sample),
        name="gwaith ŵ.pdf",
    )

    response = alice_client.get(_download(sample, EvidenceFile.objects.get()))

    assert response["Content-Disposition"] == (
        "attachment; filename=\"gwaith w.pdf\"; filename*=UTF-8''gwaith%20%C5%B5.pdf"
    )


def test_another_centres_file_is_404_for_download_and_delete(
    alice_client, charlie_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)

    assert charlie_client.get(_download(sample, evidence)).status_code == 404
    assert charlie_client.get(_delete(sample, evidence)).status_code == 404
    assert charlie_client.post(_delete(sample, evidence)).status_code == 404
    evidence.refresh_from_db()
    assert evidence.deleted_at is None


def test_deleting_before_the_cutoff_removes_the_file_and_is_audited(
    alice_client, two_centres, django_capture_on_commit_callbacks
):
    sample, evidence = _uploaded(alice_client, two_centres)
    _submitted_days_ago(sample, 13)

    confirm = alice_client.get(_delete(sample, evidence))
    with django_capture_on_commit_callbacks(execute=True):
        deleted = alice_client.post(_delete(sample, evidence), follow=True)

    assert "Yes, delete this file" in confirm.content.decode()
    assert "evil&quot;.html was deleted." in deleted.content.decode()
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None
    assert evidence.deleted_by == two_centres.alice
    assert not default_storage.exists(evidence.storage_key)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_DELETED).count() == 1
    assert alice_client.get(_download(sample, evidence)).status_code == 404


def test_deleting_after_the_cutoff_is_refused_and_the_page_says_why(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    _submitted_days_ago(sample, 15)
    cutoff = timezone.localtime(
        Submission.objects.get(pk=sample.submission_id).submitted_at
        + timedelta(days=14)
    ).strftime("%d/%m/%Y")
    reason = (
        "Files can no longer be deleted: the deadline for changes to uploads was "
        f"{cutoff}."
    )

    refused = alice_client.post(_delete(sample, evidence), follow=True)
    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    assert reason in refused.content.decode()
    evidence.refresh_from_db()
    assert evidence.deleted_at is None
    assert default_storage.exists(evidence.storage_key)
    assert reason in page.content.decode()
    assert _delete(sample, evidence) not in page.content.decode()
    assert evidence.sha256 in page.content.decode()


def test_deleting_a_locked_file_is_refused(alice_client, two_centres):
    sample, evidence = _uploaded(alice_client, two_centres)
    EvidenceFile.objects.filter(pk=evidence.pk).update(locked_at=timezone.now())

    alice_client.post(_delete(sample, evidence))

    evidence.refresh_from_db()
    assert evidence.deleted_at is None


def test_the_cutoff_is_14_days_after_submission_by_default():
    unit = Unit(deletion_days=14)
    submitted = datetime(2027, 5, 29, 14, 3, tzinfo=LONDON)

    cutoff = deletion_cutoff(unit, submitted)

    assert cutoff.at == datetime(2027, 6, 12, 14, 3, tzinfo=LONDON)
    assert cutoff.last_day == date(2027, 6, 12)
    assert not cutoff.passed(cutoff.at - timedelta(seconds=1))
    assert cutoff.passed(cutoff.at)


def test_a_unit_may_use_its_sample_deadline_up_to_the_end_of_that_day():
    unit = Unit(
        deletion_policy=Unit.DeletionPolicy.SERIES_DEADLINE,
        sample_deadline=date(2027, 6, 12),
    )

    cutoff = deletion_cutoff(unit, datetime(2027, 5, 1, tzinfo=LONDON))

    assert cutoff.passed(datetime(2027, 6, 12, 23, 59, tzinfo=LONDON)) is False
    assert cutoff.passed(datetime(2027, 6, 13, 0, 0, tzinfo=LONDON)) is True
    assert cutoff.message == (
        "Files can no longer be deleted: the deadline for changes to uploads was "
        "12/06/2027."
    )


def test_the_samples_page_lists_each_candidates_files_with_a_receipt(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    number = sampled_number(sample)

    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))
    body = page.content.decode()

    assert f'id="files-{number}"' in body
    assert "evil&quot;.html" in body
    assert evidence.sha256 in body
    assert "uploaded by Alice" in body
    assert _delete(sample, evidence) in body
    assert "js/uploads.js" in body
    assert "Uploading files needs JavaScript" in body


def test_the_samples_page_costs_the_same_queries_with_more_files(
    alice_client, two_centres, django_assert_num_queries
):
    sample, _evidence = _uploaded(alice_client, two_centres)
    url = reverse("sampling:samples", args=[sample.unit.public_id])
    alice_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        alice_client.get(url)
    for member in sample.members.select_related("entry__candidate"):
        upload(
            alice_client, sample.unit, b"more", candidate=member.entry.candidate.number
        )
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)

    assert EvidenceFile.objects.count() > 5
    assert len(many) == len(one)


def test_a_postal_unit_shows_no_upload_column(alice_client, two_centres):
    sample = upload_sample(two_centres, evidence=Unit.Evidence.POSTAL)

    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    assert "data-upload" not in page.content.decode()
    assert "js/uploads.js" not in page.content.decode()


# --- Names, keys and the virus scan -----------------------------------------------------


def test_a_hostile_name_loses_its_path_quotes_and_line_breaks_in_the_download_header(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    upload(
        alice_client,
        sample.unit,
        b"<html>",
        candidate=sampled_number(sample),
        name='..\\evil"\r\n.html',
    )
    evidence = EvidenceFile.objects.get()

    header = alice_client.get(_download(sample, evidence))["Content-Disposition"]

    assert header == (
        "attachment; filename=\"evil_.html\"; filename*=UTF-8''evil%22.html"
    )
    assert not any(ch in header for ch in "\r\n\\/")


def test_a_welsh_name_keeps_w_and_y_circumflex_beside_an_ascii_fallback(
    alice_client, two_centres
):
    sample = upload_sample(two_centres)
    upload(
        alice_client,
        sample.unit,
        b"x",
        candidate=sampled_number(sample),
        name="C:\\Gwaith\\Traethawd Siôn ŵ ŷ.pdf",
    )
    evidence = EvidenceFile.objects.get()

    header = alice_client.get(_download(sample, evidence))["Content-Disposition"]

    assert evidence.original_name == "Traethawd Siôn ŵ ŷ.pdf"
    assert header == (
        'attachment; filename="Traethawd Sion w y.pdf"; '
        "filename*=UTF-8''Traethawd%20Si%C3%B4n%20%C5%B5%20%C5%B7.pdf"
    )


def test_the_stored_key_is_made_by_the_server_and_holds_nothing_of_the_name(
    alice_client, two_centres, media
):
    sample = upload_sample(two_centres)
    upload(
        alice_client,
        sample.unit,
        b"x",
        candidate=sampled_number(sample),
        name="Secret Name Rhys 2027.pdf",
    )
    evidence = EvidenceFile.objects.get()

    pattern = (
        rf"^evidence/{sample.centre.number:05d}/{sample.unit.public_id}/"
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )
    assert re.match(pattern, evidence.storage_key)
    on_disk = [str(path.relative_to(media)) for path in stored_files(media)]
    for word in ("Secret", "Name", "Rhys", "2027", ".pdf"):
        assert not any(word in path for path in on_disk), on_disk


def _scanned(evidence: EvidenceFile, status: str, detail: str = "") -> None:
    EvidenceFile.objects.filter(pk=evidence.pk).update(
        scan_status=status, scan_detail=detail, scanned_at=timezone.now()
    )


def test_the_centre_sees_each_files_virus_check_on_the_samples_page(
    alice_client, two_centres
):
    sample, pending = _uploaded(alice_client, two_centres)
    number = sampled_number(sample)
    upload(alice_client, sample.unit, b"two", candidate=number, name="clean.pdf")
    _scanned(EvidenceFile.objects.get(original_name="clean.pdf"), "clean")
    url = reverse("sampling:samples", args=[sample.unit.public_id])

    body = alice_client.get(url).content.decode()

    assert 'data-scan="pending"' in body
    assert "Being checked for viruses" in body
    assert 'data-scan="clean"' in body
    assert "No virus found" in body
    assert f'href="{_download(sample, pending)}"' in body  # its own, while checked


def test_an_infected_file_tells_the_centre_to_delete_it_and_cannot_be_downloaded(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    _scanned(evidence, "infected", "Eicar-Test-Signature")
    url = reverse("sampling:samples", args=[sample.unit.public_id])

    body = alice_client.get(url).content.decode()
    download = alice_client.get(_download(sample, evidence))

    assert 'data-scan="infected"' in body
    assert (
        "A virus was found in this file (Eicar-Test-Signature). It cannot be "
        "downloaded and the moderator cannot see it. Delete it and upload a clean "
        "copy." in body
    )
    assert f'href="{_download(sample, evidence)}"' not in body
    assert _delete(sample, evidence) in body
    assert download.status_code == 409
    assert "A virus was found in this file" in download.content.decode()
    assert not hasattr(download, "streaming_content")


def test_an_infected_file_can_still_be_deleted_before_the_cutoff(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    _scanned(evidence, "infected", "Eicar-Test-Signature")

    alice_client.post(_delete(sample, evidence))

    evidence.refresh_from_db()
    assert evidence.deleted_at is not None


def test_past_the_cutoff_an_infected_file_asks_for_a_clean_copy_and_the_board(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    _scanned(evidence, "infected", "Eicar-Test-Signature")
    _submitted_days_ago(sample, 15)

    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    assert "Upload a clean copy and contact the board." in page.content.decode()
    assert _delete(sample, evidence) not in page.content.decode()


def test_file_sizes_are_written_one_way_for_the_centre_and_the_moderator(
    alice_client, two_centres
):
    from django.template.defaultfilters import filesizeformat

    sample, evidence = _uploaded(alice_client, two_centres, data=b"w" * 2900)

    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    # The moderator's workspace writes sizes with filesizeformat: the centre now does too.
    assert f"{filesizeformat(evidence.size)}, uploaded by" in page.content.decode()
    assert " MB, uploaded by" not in page.content.decode()


def test_each_file_says_until_when_it_can_be_deleted(alice_client, two_centres):
    sample, _evidence = _uploaded(alice_client, two_centres)
    submitted = sample.submission.submitted_at
    last_day = timezone.localtime(submitted + timedelta(days=14), LONDON).date()

    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    assert f"Can be deleted until {last_day:%d/%m/%Y}." in page.content.decode()


def _list_url(sample, number: int) -> str:
    return reverse("uploads:candidate_files", args=[sample.unit.public_id, number])


def test_a_file_list_asks_again_until_its_virus_check_is_done(
    alice_client, two_centres
):
    sample, evidence = _uploaded(alice_client, two_centres)
    number = sampled_number(sample)
    page = alice_client.get(reverse("sampling:samples", args=[sample.unit.public_id]))

    htmx = {"HX-Request": "true", "X-Background-Poll": "true"}
    checking = alice_client.get(_list_url(sample, number), headers=htmx)
    _scanned(evidence, "clean")
    checked = alice_client.get(_list_url(sample, number), headers=htmx)
    as_a_page = alice_client.get(_list_url(sample, number))

    poll = f'hx-get="{_list_url(sample, number)}" hx-trigger="every 3s"'
    assert poll in page.text
    assert checking.text.strip().startswith(
        f'<div class="file-list" id="files-{number}"'
    )
    assert poll in checking.text and 'data-scan="pending"' in checking.text
    assert "hx-get" not in checked.text and 'data-scan="clean"' in checked.text
    assert as_a_page.status_code == 302


def test_a_file_list_waits_for_a_receipt_still_being_calculated():
    """A direct upload to S3 is recorded before the worker has hashed the stored
    object: its list asks again until the receipt is there, as for a virus check."""
    from types import SimpleNamespace

    from uploads.templatetags.uploads import still_checking

    hashing = SimpleNamespace(sha256="", scan_status="clean")
    done = SimpleNamespace(sha256="ab" * 32, scan_status="clean")

    assert still_checking([done, hashing])
    assert not still_checking([done])
    assert not still_checking([])


def test_the_group_and_note_lists_answer_on_their_own(alice_client, two_centres):
    sample = upload_sample(two_centres)
    unit_id = sample.unit.public_id

    htmx = {"HX-Request": "true"}
    group = alice_client.get(
        reverse("uploads:group_files", args=[unit_id]), headers=htmx
    )
    notes = alice_client.get(
        reverse("uploads:note_files", args=[unit_id]), headers=htmx
    )

    assert 'id="files-group"' in group.text
    assert 'id="files-note"' in notes.text
