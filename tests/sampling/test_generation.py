"""Submission queues the sample; a Celery worker makes it once, from the submitted marks."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from kombu.exceptions import OperationalError

from iamis.models import Mark
from portal.celery import app
from sampling import algorithm
from sampling.models import Sample, SampleMember
from sampling.services import candidate_marks, marks_submit, rules_for, sample_generate
from sampling.tasks import generate_sample, requeue_pending_samples
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import fill

from .sheets import worked_sheet


def _numbers(sample):
    return sorted(
        m.entry.candidate.number - 1000
        for m in sample.members.select_related("entry__candidate")
    )


def test_submitting_records_a_pending_sample(two_centres):
    unit = worked_sheet(two_centres)

    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    sample = Sample.objects.get(centre=two_centres.alice_centre, unit=unit)
    assert sample.status == Sample.Status.PENDING


def test_a_broker_that_is_down_does_not_fail_the_submission(
    two_centres, django_capture_on_commit_callbacks, monkeypatch
):
    # Redis restarting during a submit answered 500 for a committed submission
    # (bench/faults.py); the sample stays pending for beat's sweep instead.
    unit = worked_sheet(two_centres)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(generate_sample, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        )

    assert callbacks and submission.pk
    sample = Sample.objects.get(centre=two_centres.alice_centre, unit=unit)
    assert sample.status == Sample.Status.PENDING


def test_the_stored_sample_is_the_worked_example(two_centres):
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    sample = sample_generate(submission_id=submission.pk)

    assert sample.status == Sample.Status.READY
    assert _numbers(sample) == [1001, 1003, 1006, 1008, 1009]
    reasons = {
        m.entry.candidate.number - 1000: m.reasons
        for m in sample.members.select_related("entry__candidate")
    }
    assert reasons[1001] == ["highest"] and reasons[1009] == ["lowest"]
    assert sample.rules["size_table"] == [[5.0, "ALL"], ["inf", 5]]


def test_generating_twice_leaves_exactly_one_sample(two_centres):
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    sample_generate(submission_id=submission.pk)
    sample_generate(submission_id=submission.pk)

    assert Sample.objects.filter(unit=unit).count() == 1
    assert SampleMember.objects.filter(sample__unit=unit).count() == 5


def test_a_rerun_after_a_crash_replaces_a_half_written_sample(two_centres):
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    sample = Sample.objects.get(unit=unit)
    stray = Mark.objects.filter(submission=submission).select_related("entry").first()
    SampleMember.objects.create(
        sample=sample, centre=sample.centre, entry=stray.entry, origin="system", rank=99
    )

    sample_generate(submission_id=submission.pk)

    assert _numbers(Sample.objects.get(unit=unit)) == [1001, 1003, 1006, 1008, 1009]


def test_late_marks_do_not_change_the_sample(two_centres):
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    sample_generate(submission_id=submission.pk)
    late = EntryFactory(
        candidate=CandidateFactory(centre=two_centres.alice_centre, number=2999),
        unit=unit,
    )
    fill(late, "40")
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    assert _numbers(Sample.objects.get(unit=unit)) == [1001, 1003, 1006, 1008, 1009]


def test_the_service_agrees_with_the_algorithm_on_the_default_table(two_centres):
    unit = UnitFactory()
    TaskFactory(unit=unit, number=1, max_mark=40)
    centre = two_centres.alice_centre
    for i in range(40):
        entry = EntryFactory(
            candidate=CandidateFactory(centre=centre, number=5000 + i), unit=unit
        )
        fill(entry, str((i * 7) % 41))
    submission = marks_submit(centre=centre, unit=unit, acting_user=two_centres.alice)

    sample = sample_generate(submission_id=submission.pk)

    marks = list(
        Mark.objects.filter(submission=submission).select_related("entry__candidate")
    )
    expected = algorithm.choose_sample(candidate_marks(marks), rules_for(unit))
    assert sorted(m.entry.candidate.number for m in sample.members.all()) == sorted(
        m.candidate_no for m in expected
    )
    assert sample.members.count() == 15


@pytest.mark.django_db(transaction=True)
def test_a_worker_generates_the_sample_queued_through_redis(two_centres):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    unit = worked_sheet(two_centres)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            sample = Sample.objects.get(unit=unit)
            if sample.status == Sample.Status.READY:
                break
            time.sleep(0.1)

    assert sample.status == Sample.Status.READY
    assert _numbers(sample) == [1001, 1003, 1006, 1008, 1009]


@pytest.mark.django_db(transaction=True)
def test_a_lost_task_is_queued_again_by_the_beat_sweep(two_centres):
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    from django.core.cache import cache

    cache.clear()  # the broker shares this Redis database: the queued task is lost

    queued = requeue_pending_samples()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 20
        while Sample.objects.get(unit=unit).status != Sample.Status.READY:
            assert time.monotonic() < deadline
            time.sleep(0.1)

    assert queued == 1
