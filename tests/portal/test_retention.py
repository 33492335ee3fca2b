"""The retention schedule: evidence files and report PDFs go RETENTION_EVIDENCE_DAYS
after their series' results day, candidates' names and dates of birth once every series
they were entered for is RETENTION_CANDIDATE_DAYS past; every run is logged and can be
repeated."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from iamis.models import Candidate, Entry, Mark
from portal.models import RetentionRun
from portal.retention import retention_apply
from portal.tasks import apply_retention
from reports.models import ReportRender
from tests.factories import (
    CandidateFactory,
    EntryFactory,
    SeriesFactory,
    UnitFactory,
)
from tests.uploads.helpers import sampled_number, upload, upload_sample
from uploads.models import EvidenceFile, UploadSession

RESULTS_DAY = date(2027, 8, 26)


@pytest.fixture(autouse=True)
def schedule(media, settings):
    settings.RETENTION_EVIDENCE_DAYS = 180
    settings.RETENTION_CANDIDATE_DAYS = 365


@pytest.fixture
def uploaded(alice_client, two_centres):
    """A sampled candidate's file and a report PDF on a unit with results RESULTS_DAY."""
    sample = upload_sample(two_centres)
    sample.unit.series.results_day = RESULTS_DAY
    sample.unit.series.save()
    upload(alice_client, sample.unit, b"essay", candidate=sampled_number(sample))
    key = default_storage.save("reports/alice.pdf", ContentFile(b"%PDF-1.7"))
    ReportRender.objects.create(
        centre=sample.centre,
        unit=sample.unit,
        kind=ReportRender.Kind.values[0],
        language="en",
        fingerprint="f" * 64,
        status=ReportRender.Status.values[-1],
        storage_key=key,
        requested_by=two_centres.alice,
    )
    return sample


def test_files_stay_until_the_retention_period_has_passed(uploaded):
    run = retention_apply(today=RESULTS_DAY + timedelta(days=179), triggered_by="test")

    evidence = EvidenceFile.objects.get()
    assert default_storage.exists(evidence.storage_key)
    assert ReportRender.objects.count() == 1
    assert (run.files_removed, run.pdfs_removed, run.candidates_erased) == (0, 0, 0)


def test_files_and_pdfs_are_removed_with_their_bytes_once_past_retention(uploaded):
    evidence = EvidenceFile.objects.get()
    render = ReportRender.objects.get()

    run = retention_apply(today=RESULTS_DAY + timedelta(days=180), triggered_by="test")

    assert not EvidenceFile.objects.exists()
    assert not UploadSession.objects.exists()
    assert not ReportRender.objects.exists()
    assert not default_storage.exists(evidence.storage_key)
    assert not default_storage.exists(render.storage_key)
    assert (run.files_removed, run.pdfs_removed) == (1, 1)
    # Names are kept until the longer candidate period.
    assert run.candidates_erased == 0
    assert not Candidate.objects.filter(surname="").exists()


def test_a_second_run_changes_nothing_and_is_logged_too(uploaded):
    day = RESULTS_DAY + timedelta(days=400)
    retention_apply(today=day, triggered_by="test")
    names = list(Candidate.objects.values_list("pk", "surname", "forename"))

    again = retention_apply(today=day, triggered_by="test")

    assert (again.files_removed, again.pdfs_removed, again.candidates_erased) == (
        0,
        0,
        0,
    )
    assert list(Candidate.objects.values_list("pk", "surname", "forename")) == names
    assert RetentionRun.objects.count() == 2
    assert all(run.finished_at for run in RetentionRun.objects.all())


def test_candidates_are_erased_but_their_numbers_and_marks_stay(uploaded):
    unit = uploaded.unit
    entered = Candidate.objects.filter(entries__unit=unit).distinct()
    numbers = sorted(entered.values_list("number", flat=True))
    marks = sorted(Mark.objects.filter(entry__unit=unit).values_list("pk", "total"))

    run = retention_apply(today=RESULTS_DAY + timedelta(days=365), triggered_by="test")

    erased = Candidate.objects.filter(entries__unit=unit).distinct()
    assert run.candidates_erased == (
        Candidate.objects.filter(personal_data_removed_at__isnull=False).count()
    )
    assert sorted(erased.values_list("number", flat=True)) == numbers
    assert set(erased.values_list("surname", "forename", "date_of_birth")) == {
        ("", "", None)
    }
    assert all(c.personal_data_removed_at for c in erased)
    assert {c.display_name for c in erased} == {
        "(name removed after the retention period)"
    }
    assert sorted(Mark.objects.filter(entry__unit=unit).values_list("pk", "total")) == (
        marks
    )


def test_a_candidate_entered_for_a_later_series_keeps_their_name(uploaded, two_centres):
    entry = (
        Entry.objects.filter(unit=uploaded.unit, centre=two_centres.alice_centre)
        .select_related("candidate")
        .first()
    )
    later = SeriesFactory(name="RETENTION LATER 2040", results_day=date(2040, 8, 23))
    EntryFactory(
        centre=two_centres.alice_centre,
        candidate=entry.candidate,
        unit=UnitFactory(series=later, code="9999U1"),
    )

    retention_apply(today=RESULTS_DAY + timedelta(days=365), triggered_by="test")

    entry.candidate.refresh_from_db()
    assert entry.candidate.surname != ""
    assert entry.candidate.personal_data_removed_at is None


def test_a_candidate_with_no_entries_is_left_for_the_board_to_decide(
    uploaded, two_centres
):
    # Without an entry there is no results day to count from.
    lone = CandidateFactory(centre=two_centres.alice_centre, number=9001)

    retention_apply(today=RESULTS_DAY + timedelta(days=3650), triggered_by="test")

    lone.refresh_from_db()
    assert lone.surname.startswith("Surname")
    assert lone.personal_data_removed_at is None


def test_the_command_counts_first_on_a_dry_run_then_removes(uploaded):
    day = (RESULTS_DAY + timedelta(days=180)).isoformat()
    dry = StringIO()
    call_command("apply_retention", "--today", day, "--dry-run", stdout=dry)

    assert "1 evidence files and 1 report PDFs" in dry.getvalue()
    assert EvidenceFile.objects.count() == 1
    assert not RetentionRun.objects.exists()

    out = StringIO()
    call_command("apply_retention", "--today", day, stdout=out)

    assert "1 evidence files and 1 report PDFs removed" in out.getvalue()
    assert not EvidenceFile.objects.exists()
    assert RetentionRun.objects.get().triggered_by == "command"


def test_the_beat_task_runs_as_of_today_and_logs_the_run(uploaded):
    uploaded.unit.series.results_day = timezone.localdate() - timedelta(days=181)
    uploaded.unit.series.save()

    run_id = apply_retention()

    run = RetentionRun.objects.get(pk=run_id)
    assert run.triggered_by == "beat"
    assert run.finished_at is not None
    assert run.files_removed == 1


def test_the_daily_retention_run_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]

    assert entry["task"] == apply_retention.name
