"""Two people at once on one sheet, on the real PostgreSQL (row locks, not luck)."""

from __future__ import annotations

import contextvars
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from iamis.models import Mark, Submission
from sampling.services import marks_submit
from tests.factories import CandidateFactory, EntryFactory

from .marking import fill


def _run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    # Each thread runs in a copy of the test's context, so it keeps the test's centre
    # scope (common/scoping.py) as a request thread keeps its own.
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(run, i, job))
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_people_submitting_at_once_make_one_submission(two_centres):
    unit = two_centres.alice_unit
    entries = [two_centres.alice_candidate.entries.get(unit=unit)] + [
        EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=n),
            unit=unit,
        )
        for n in range(1002, 1012)
    ]
    for entry in entries:
        fill(entry, "20")

    def submit():
        return marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        )

    results = _run_together(submit, submit)

    submissions = [r for r in results if isinstance(r, Submission)]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(submissions) == 1 and len(refusals) == 1
    assert Mark.objects.filter(entry__unit=unit, is_locked=True).count() == len(entries)


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_a_submit_never_leaves_a_half_locked_sheet(two_centres):
    unit = two_centres.alice_unit
    entries = [two_centres.alice_candidate.entries.get(unit=unit)] + [
        EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=n),
            unit=unit,
        )
        for n in range(1002, 1006)
    ]
    for entry in entries:
        fill(entry, "20")

    results = _run_together(
        lambda: marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
        ),
        lambda: fill(entries[0], "33"),
    )

    locked = Mark.objects.filter(entry__unit=unit, is_locked=True).count()
    assert locked == len(entries)
    save = results[1]
    final = Mark.objects.get(entry=entries[0]).total
    # Either the save came first and was submitted, or it came second and was refused.
    assert (save.saved and final == 33) or (not save.saved and final == 20)


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_of_one_candidate_at_once_never_crash(two_centres):
    from iamis.services.marks import mark_save_cell

    entry = two_centres.alice_candidate.entries.get(unit=two_centres.alice_unit)

    def save(value):
        return lambda: mark_save_cell(
            centre=two_centres.alice_centre,
            entry=entry,
            field="task-1",
            raw_value=value,
            seen_version=0,
            confirm_absent=False,
            acting_user=None,
        )

    results = _run_together(save("11"), save("22"))

    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.saved for r in results) == [False, True]
    saved = next(r for r in results if r.saved)
    assert Mark.objects.get(entry=entry).total == saved.mark.total


@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_its_own_first_save_is_answered_saved_not_conflict(
    two_centres,
):
    from iamis.services.marks import mark_save_cell

    unit = two_centres.alice_unit
    entries = [
        EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=n),
            unit=unit,
        )
        for n in range(1100, 1108)
    ]

    def save(entry):
        return lambda: mark_save_cell(
            centre=two_centres.alice_centre,
            entry=entry,
            field="task-1",
            raw_value="5",
            seen_version=0,
            confirm_absent=False,
            acting_user=None,
            tasks=list(unit.tasks.all()),
        )

    # The same save twice at once, for each of several candidates: the two race to
    # create the mark, and the one that loses finds its own value there.
    outcomes = [
        [r.outcome for r in _run_together(save(entry), save(entry))]
        for entry in entries
    ]

    assert outcomes == [["saved", "saved"]] * len(entries), outcomes
    for entry in entries:
        mark = Mark.objects.get(entry=entry)
        assert (mark.total, mark.version, mark.changes.count()) == (5, 1, 1)
