"""Rules PostgreSQL enforces as well as the app (common/db_rules.py and the migrations
it names): each forbidden change is tried through the ORM, `QuerySet.update()` and raw
SQL, and must be refused; the paths allowed to change such rows still work.

The cutoff is read by the database's own clock, so past times are put in the data
(freezing Python's clock would not move PostgreSQL's `now()`)."""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common import db_rules
from iamis.models import Mark, MarkChange, Submission, Task, Unit
from iamis.services.marks import mark_replace
from sampling.models import Sample
from tests.factories import (
    CandidateFactory,
    EntryFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.sampling.sheets import ready_sample
from uploads.models import EvidenceFile, Kind
from uploads.services import files as upload_services

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL triggers"
)


def refused(change: Callable[[], object]) -> bool:
    """True when the database refuses `change` (inside a savepoint, so the test's own
    transaction carries on)."""
    try:
        with transaction.atomic():
            change()
    except IntegrityError:
        return True
    return False


def raw(sql: str, *params: object) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


# --- Submitted marks ---------------------------------------------------------------------


@pytest.fixture
def submitted(two_centres) -> Mark:
    sample = ready_sample(two_centres)
    return Mark.objects.filter(unit=sample.unit, is_locked=True).first()


def _orm_save(mark: Mark, **values: object) -> Callable[[], None]:
    def run() -> None:
        fresh = Mark.objects.get(pk=mark.pk)
        for name, value in values.items():
            setattr(fresh, name, value)
        fresh.save()

    return run


def test_a_submitted_mark_cannot_be_changed_by_the_orm_update_or_raw_sql(submitted):
    attempts = {
        "save": _orm_save(submitted, task_marks={"1": 1}, total=1),
        "update": lambda: Mark.objects.filter(pk=submitted.pk).update(total=0),
        "raw": raw("UPDATE iamis_mark SET grade = 'A*' WHERE id = %s", submitted.pk),
        "unlock": lambda: Mark.objects.filter(pk=submitted.pk).update(is_locked=False),
        "resubmit": lambda: Mark.objects.filter(pk=submitted.pk).update(
            submission=Submission.objects.create(
                centre=submitted.centre,
                unit=submitted.unit,
                submitted_by=submitted.updated_by,
                mark_count=1,
            )
        ),
    }
    before = Mark.objects.filter(pk=submitted.pk).values().get()

    outcome = {name: refused(attempt) for name, attempt in attempts.items()}

    assert outcome == dict.fromkeys(attempts, True)
    assert Mark.objects.filter(pk=submitted.pk).values().get() == before


def test_a_submitted_mark_cannot_be_deleted(submitted):
    assert refused(lambda: Mark.objects.filter(pk=submitted.pk).delete())
    assert refused(raw("DELETE FROM iamis_mark WHERE id = %s", submitted.pk))
    assert Mark.objects.filter(pk=submitted.pk).exists()


def test_saving_a_submitted_mark_unchanged_is_not_refused(submitted):
    assert not refused(_orm_save(submitted))


def test_a_mark_not_yet_submitted_can_still_be_changed_and_deleted(submitted):
    candidate = CandidateFactory(centre=submitted.centre, number=9876)
    draft = Mark.objects.create(
        entry=EntryFactory(candidate=candidate, unit=submitted.unit),
        centre=submitted.centre,
        unit=submitted.unit,
        task_marks={"1": 3},
        total=3,
    )

    assert not refused(lambda: Mark.objects.filter(pk=draft.pk).update(total=4))
    assert not refused(lambda: Mark.objects.filter(pk=draft.pk).delete())


def test_the_approved_change_path_may_change_the_mark_it_names_and_no_other(submitted):
    other = Mark.objects.filter(unit=submitted.unit, is_locked=True).exclude(
        pk=submitted.pk
    )[0]
    board = UserFactory(is_staff=True)

    def declare_one_change_another() -> None:
        db_rules.declare(db_rules.LOCKED_MARK_CHANGE, str(submitted.pk))
        Mark.objects.filter(pk=other.pk).update(total=0)

    changed = mark_replace(
        mark=submitted,
        new={"task_marks": {"1": 2}},
        acting_user=board,
        source=MarkChange.Source.CHANGE_REQUEST,
    )

    assert changed.total == 2 and changed.is_locked
    assert refused(declare_one_change_another)


def test_declaring_a_change_outside_a_transaction_is_an_error():
    with pytest.raises(RuntimeError):
        db_rules.declare(db_rules.LOCKED_MARK_CHANGE, "1")


# --- What a unit's marks mean --------------------------------------------------------------


def test_a_units_tasks_cannot_change_once_a_mark_for_it_is_submitted(submitted):
    unit = submitted.unit
    task = unit.tasks.get()

    def orm_save() -> None:
        fresh = Task.objects.get(pk=task.pk)
        fresh.max_mark = 20
        fresh.save()

    attempts = {
        "save": orm_save,
        "update": lambda: Task.objects.filter(pk=task.pk).update(max_mark=20),
        "raw": raw("UPDATE iamis_task SET max_mark = 20 WHERE id = %s", task.pk),
        "renumber": lambda: Task.objects.filter(pk=task.pk).update(number=2),
        "move": lambda: Task.objects.filter(pk=task.pk).update(unit=UnitFactory()),
        "add": lambda: Task.objects.create(
            unit=unit, number=2, name="Task 2", max_mark=10
        ),
        "add into": lambda: Task.objects.filter(
            pk=TaskFactory(unit=UnitFactory()).pk
        ).update(unit=unit),
        "remove": lambda: Task.objects.filter(pk=task.pk).delete(),
        "raw remove": raw("DELETE FROM iamis_task WHERE id = %s", task.pk),
    }

    outcome = {name: refused(attempt) for name, attempt in attempts.items()}

    assert outcome == dict.fromkeys(attempts, True)
    assert list(unit.tasks.values_list("number", "max_mark")) == [(1, 40)]


def test_a_task_may_be_renamed_after_submission(submitted):
    task = submitted.unit.tasks.get()

    assert not refused(lambda: Task.objects.filter(pk=task.pk).update(name="Essay"))


def test_a_units_grade_scale_cannot_change_once_a_mark_for_it_is_submitted(submitted):
    unit = submitted.unit
    attempts = {
        "update": lambda: Unit.objects.filter(pk=unit.pk).update(
            grade_scale=["Pass", "Fail"]
        ),
        "raw": raw(
            "UPDATE iamis_unit SET grade_scale = '[\"Pass\"]' WHERE id = %s", unit.pk
        ),
        "outcomes": lambda: Unit.objects.filter(pk=unit.pk).update(
            assessment=Unit.Assessment.OUTCOMES, grade_scale=["Pass"]
        ),
    }

    outcome = {name: refused(attempt) for name, attempt in attempts.items()}

    assert outcome == dict.fromkeys(attempts, True)
    assert not refused(
        lambda: Unit.objects.filter(pk=unit.pk).update(title="Renamed unit")
    )


def test_a_maximum_cannot_be_lowered_below_a_saved_mark(submitted):
    unit = UnitFactory()
    task = TaskFactory(unit=unit, number=1, max_mark=40)
    Mark.objects.create(
        entry=EntryFactory(
            candidate=CandidateFactory(centre=submitted.centre, number=9874), unit=unit
        ),
        centre=submitted.centre,
        unit=unit,
        task_marks={"1": 31},
        total=31,
    )

    assert refused(lambda: Task.objects.filter(pk=task.pk).update(max_mark=30))
    assert refused(raw("UPDATE iamis_task SET max_mark = 20 WHERE id = %s", task.pk))
    assert not refused(lambda: Task.objects.filter(pk=task.pk).update(max_mark=31))
    assert not refused(lambda: Task.objects.filter(pk=task.pk).update(max_mark=60))


def test_a_unit_with_no_submitted_mark_may_change_its_tasks_and_grade_scale(
    submitted,
):
    # The unit has a mark saved, but none submitted.
    unit = UnitFactory()
    task = TaskFactory(unit=unit, number=1, max_mark=40)
    Mark.objects.create(
        entry=EntryFactory(
            candidate=CandidateFactory(centre=submitted.centre, number=9875), unit=unit
        ),
        centre=submitted.centre,
        unit=unit,
        task_marks={"1": 3},
        total=3,
    )

    assert not refused(lambda: Task.objects.filter(pk=task.pk).update(max_mark=50))
    assert not refused(
        lambda: Task.objects.create(unit=unit, number=2, name="Task 2", max_mark=5)
    )
    assert not refused(lambda: Task.objects.filter(pk=task.pk).delete())
    assert not refused(
        lambda: Unit.objects.filter(pk=unit.pk).update(grade_scale=["Pass"])
    )


# --- Audit events ------------------------------------------------------------------------


@pytest.fixture
def event(two_centres) -> AuditEvent:
    return audit_record(
        action=AuditEvent.Action.ACCESS_CHANGED,
        actor=two_centres.alice,
        centre=two_centres.alice_centre,
        target="teacher@alice.example",
    )


def test_audit_events_cannot_be_changed_or_deleted(event):
    def orm_save() -> None:
        fresh = AuditEvent.objects.get(pk=event.pk)
        fresh.target = "someone else"
        fresh.save()

    attempts = {
        "save": orm_save,
        "update": lambda: AuditEvent.objects.filter(pk=event.pk).update(
            detail={"changed": True}
        ),
        "raw": raw(
            "UPDATE audit_auditevent SET actor_email = '' WHERE id = %s", event.pk
        ),
        "move": lambda: AuditEvent.objects.filter(pk=event.pk).update(
            at=timezone.now() - timedelta(days=1)
        ),
        "delete": lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        "raw delete": raw("DELETE FROM audit_auditevent WHERE id = %s", event.pk),
    }

    outcome = {name: refused(attempt) for name, attempt in attempts.items()}

    assert outcome == dict.fromkeys(attempts, True)
    assert AuditEvent.objects.get(pk=event.pk).target == "teacher@alice.example"


def test_removing_an_account_keeps_its_audit_events_with_the_email(event, two_centres):
    other = UserFactory(email="gone@alice.example")
    kept = audit_record(action=AuditEvent.Action.ACCESS_CHANGED, actor=other)

    other.delete()

    kept.refresh_from_db()
    assert kept.actor_id is None and kept.actor_email == "gone@alice.example"
    # Blanking the link is the only change allowed, and only towards NULL.
    assert refused(
        lambda: AuditEvent.objects.filter(pk=event.pk).update(actor=UserFactory())
    )


# --- Evidence files ----------------------------------------------------------------------


@pytest.fixture
def evidence(two_centres) -> EvidenceFile:
    sample = ready_sample(two_centres)
    member = sample.members.select_related("entry").first()
    return EvidenceFile.objects.create(
        centre=sample.centre,
        unit=sample.unit,
        entry=member.entry,
        kind=Kind.CANDIDATE,
        original_name="work.pdf",
        size=10,
        sha256="0" * 64,
        storage_key=f"evidence/test/{uuid.uuid4()}",
        uploaded_by=two_centres.alice,
    )


def _soft_delete(evidence: EvidenceFile) -> Callable[[], None]:
    return lambda: EvidenceFile.objects.filter(pk=evidence.pk).update(
        deleted_at=timezone.now()
    )


def _past_the_cutoff(evidence: EvidenceFile) -> None:
    sample = Sample.objects.get(centre=evidence.centre, unit=evidence.unit)
    Submission.objects.filter(pk=sample.submission_id).update(
        submitted_at=timezone.now()
        - timedelta(days=evidence.unit.deletion_days, hours=1)
    )


def test_a_file_can_be_deleted_before_its_cutoff(evidence):
    assert not refused(_soft_delete(evidence))


def test_a_file_past_its_cutoff_cannot_be_deleted_even_before_the_beat_locks_it(
    evidence,
):
    _past_the_cutoff(evidence)

    attempts = {
        "update": _soft_delete(evidence),
        "raw": raw(
            "UPDATE uploads_evidencefile SET deleted_at = now() WHERE id = %s",
            evidence.pk,
        ),
    }

    assert {n: refused(a) for n, a in attempts.items()} == dict.fromkeys(attempts, True)
    assert EvidenceFile.objects.get(pk=evidence.pk).deleted_at is None


def test_a_file_past_the_series_deadline_cannot_be_deleted(evidence):
    unit = evidence.unit
    unit.deletion_policy = unit.DeletionPolicy.SERIES_DEADLINE
    unit.sample_deadline = timezone.localdate() - timedelta(days=1)
    unit.save()

    assert refused(_soft_delete(evidence))


def test_a_locked_file_cannot_be_deleted_or_unlocked(evidence):
    EvidenceFile.objects.filter(pk=evidence.pk).update(locked_at=timezone.now())

    assert refused(_soft_delete(evidence))
    assert refused(
        lambda: EvidenceFile.objects.filter(pk=evidence.pk).update(locked_at=None)
    )


def test_what_identifies_a_files_bytes_never_changes(evidence):
    assert refused(
        lambda: EvidenceFile.objects.filter(pk=evidence.pk).update(sha256="1" * 64)
    )
    assert refused(
        raw(
            "UPDATE uploads_evidencefile SET storage_key = 'x' WHERE id = %s",
            evidence.pk,
        )
    )


def test_a_scan_verdict_is_recorded_on_a_locked_file_but_its_identity_stays(evidence):
    # The scan may finish after the beat task has locked the file past its cutoff.
    _past_the_cutoff(evidence)
    EvidenceFile.objects.filter(pk=evidence.pk).update(locked_at=timezone.now())
    smuggled = raw(
        "UPDATE uploads_evidencefile SET scan_status = 'clean', sha256 = %s "
        "WHERE id = %s",
        "1" * 64,
        evidence.pk,
    )
    verdict = raw(
        "UPDATE uploads_evidencefile SET scan_status = 'infected', "
        "scan_detail = 'Eicar-Test-Signature', scanned_at = now(), "
        "scan_queued_at = now() WHERE id = %s",
        evidence.pk,
    )

    assert refused(smuggled)
    assert not refused(verdict)
    stored = EvidenceFile.objects.get(pk=evidence.pk)
    assert (stored.scan_status, stored.sha256) == ("infected", "0" * 64)


def test_a_verdict_once_given_is_kept(evidence):
    EvidenceFile.objects.filter(pk=evidence.pk).update(
        scan_status="infected",
        scan_detail="Eicar-Test-Signature",
        scanned_at=timezone.now(),
    )
    attempts = {
        "orm": lambda: EvidenceFile.objects.filter(pk=evidence.pk).update(
            scan_status="clean", scan_detail=""
        ),
        "raw": raw(
            "UPDATE uploads_evidencefile SET scan_status = 'pending', "
            "scanned_at = NULL WHERE id = %s",
            evidence.pk,
        ),
        "detail": raw(
            "UPDATE uploads_evidencefile SET scan_detail = 'nothing' WHERE id = %s",
            evidence.pk,
        ),
    }

    assert {n: refused(a) for n, a in attempts.items()} == dict.fromkeys(attempts, True)
    # The centre can still delete the infected file before the cutoff.
    assert not refused(_soft_delete(evidence))
    assert EvidenceFile.objects.get(pk=evidence.pk).scan_status == "infected"


def test_file_rows_are_removed_only_by_the_retention_path(evidence):
    def retention_delete() -> None:
        db_rules.declare(db_rules.RETENTION, "on")
        EvidenceFile.objects.filter(pk=evidence.pk).delete()

    assert refused(lambda: EvidenceFile.objects.filter(pk=evidence.pk).delete())
    assert refused(raw("DELETE FROM uploads_evidencefile WHERE id = %s", evidence.pk))
    assert not refused(retention_delete)


def test_the_delete_service_says_why_when_the_database_refuses(evidence, two_centres):
    # The database's clock is past the cutoff while the app's check (given a time just
    # before it) still allows the delete: the person gets the cutoff message, not a 500.
    _past_the_cutoff(evidence)
    cutoff = upload_services.cutoff_for(centre=evidence.centre, unit=evidence.unit)

    with (
        mock.patch.object(
            upload_services.timezone, "now", return_value=cutoff.at - timedelta(1)
        ),
        pytest.raises(upload_services.ValidationError) as refusal,
    ):
        upload_services.file_delete(evidence=evidence, acting_user=two_centres.alice)

    assert "can no longer be deleted" in refusal.value.messages[0]
    assert EvidenceFile.objects.get(pk=evidence.pk).deleted_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["max_mark", "grade_scale"])
def test_a_change_racing_a_submission_waits_for_it_and_is_refused(two_centres, change):
    unit = two_centres.alice_unit
    entry = two_centres.alice_candidate.entries.get(unit=unit)
    mark = Mark.objects.create(
        entry=entry,
        centre=entry.centre,
        unit=unit,
        task_marks={"1": 20},
        total=20,
        is_complete=True,
    )
    held, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def submitting() -> None:
        # What marks_lock does, held open until the change has been tried.
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    centre=entry.centre,
                    unit=unit,
                    submitted_by=two_centres.alice,
                    mark_count=1,
                )
                Mark.objects.filter(pk=mark.pk).update(
                    submission=submission, is_locked=True
                )
                held.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def changing() -> None:
        held.wait(timeout=10)
        try:
            with transaction.atomic():
                if change == "max_mark":
                    Task.objects.filter(unit=unit).update(max_mark=10)
                else:
                    Unit.objects.filter(pk=unit.pk).update(grade_scale=["Pass"])
            outcome["change"] = "made"
        except IntegrityError:
            outcome["change"] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(job,))
        for job in (submitting, changing)
    ]
    for thread in threads:
        thread.start()
    held.wait(timeout=10)
    threads[1].join(timeout=1)  # the change waits for the submission...
    waited = threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert waited
    assert outcome == {"change": "refused"}  # ...and then sees its submitted mark
