"""The dashboard: every sheet of the open series, where it stands, most urgent first."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from centres.models import AccessGrant, Membership
from iamis.models import Unit
from marksheets.selectors import Stage, dashboard_rows
from sampling.services import marks_submit, sample_generate
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    SeriesFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.iamis.marking import fill
from tests.sampling.sheets import worked_sheet
from tests.uploads.helpers import sampled_number
from uploads.models import EvidenceFile, Kind

DASHBOARD = reverse("iamis:dashboard")
TODAY = date(2027, 4, 28)
_numbers = itertools.count(5000)


def _membership(user) -> Membership:
    return Membership.objects.select_related("centre").get(user=user)


def _sheet(centre, *, code: str, deadline: date | None, candidates: int = 2, **fields):
    unit = UnitFactory(code=code, sample_deadline=deadline, **fields)
    TaskFactory(unit=unit, number=1, max_mark=40)
    entries = [
        EntryFactory(
            candidate=CandidateFactory(centre=centre, number=next(_numbers)), unit=unit
        )
        for _index in range(candidates)
    ]
    return unit, entries


def _stages(rows) -> dict[str, Stage]:
    return {row.unit.code: row.stage for row in rows}


def test_the_exams_officer_sees_every_unit_of_the_open_series_only(two_centres):
    centre = two_centres.alice_centre
    closed = SeriesFactory(name="GCSE JUNE 2020", results_day=date(2020, 8, 20))
    _sheet(centre, code="1111U1", deadline=None, series=closed)

    rows = dashboard_rows(membership=_membership(two_centres.alice), today=TODAY)

    assert [row.unit.code for row in rows] == ["3700U1"]
    assert rows[0].stage == Stage.NOT_STARTED
    assert (rows[0].progress.complete, rows[0].progress.left) == (0, 1)


def test_a_sheet_moves_from_not_started_to_complete(two_centres):
    centre = two_centres.alice_centre
    officer = _membership(two_centres.alice)
    unit, (first, second) = _sheet(centre, code="2050U1", deadline=TODAY)

    def stage() -> Stage:
        return _stages(dashboard_rows(membership=officer, today=TODAY))[unit.code]

    assert stage() == Stage.NOT_STARTED
    fill(first, "10")
    assert stage() == Stage.IN_PROGRESS
    fill(second, "20")
    assert stage() == Stage.READY_TO_SUBMIT
    submission = marks_submit(centre=centre, unit=unit, acting_user=two_centres.alice)
    assert stage() == Stage.SUBMITTED
    sample_generate(submission_id=submission.pk)
    # A postal unit is complete once its sample exists: the work goes by post.
    assert stage() == Stage.COMPLETE


def _upload(sample, number: int, **fields) -> None:
    entry = sample.unit.entries.get(centre=sample.centre, candidate__number=number)
    EvidenceFile.objects.create(
        **fields,
        centre=sample.centre,
        unit=sample.unit,
        entry=entry,
        kind=Kind.CANDIDATE,
        original_name="essay.pdf",
        size=5,
        sha256="a" * 64,
        storage_key=f"evidence/test/{entry.pk}/{len(fields)}",
        uploaded_by=sample.submission.submitted_by,
    )


def test_an_upload_unit_is_complete_once_every_sampled_candidate_has_a_file(
    two_centres,
):
    centre = two_centres.alice_centre
    unit = worked_sheet(two_centres)
    unit.evidence = Unit.Evidence.E_SUBMISSION
    unit.save()
    submission = marks_submit(centre=centre, unit=unit, acting_user=two_centres.alice)
    sample = sample_generate(submission_id=submission.pk)
    officer = _membership(two_centres.alice)

    def row():
        rows = dashboard_rows(membership=officer, today=TODAY)
        return next(r for r in rows if r.unit == unit)

    assert (row().stage, row().sampled, row().sampled_with_files) == (
        Stage.SUBMITTED,
        5,
        0,
    )
    first = sampled_number(sample)
    # A file with a virus in it is no use to the moderator.
    _upload(sample, first, scan_status="infected", scan_detail="Eicar-Signature")
    assert row().sampled_with_files == 0
    _upload(sample, first)
    assert (row().sampled_with_files, row().files_missing) == (1, 4)
    # Lost work needs no file: it has a substitute, which does.
    sample.members.exclude(entry__candidate__number=first).update(work_unavailable=True)
    assert row().stage == Stage.COMPLETE


def test_late_entries_put_a_submitted_sheet_back_among_the_unsubmitted(two_centres):
    centre = two_centres.alice_centre
    unit = worked_sheet(two_centres)
    marks_submit(centre=centre, unit=unit, acting_user=two_centres.alice)
    EntryFactory(candidate=CandidateFactory(centre=centre, number=4444), unit=unit)

    rows = dashboard_rows(membership=_membership(two_centres.alice), today=TODAY)

    assert _stages(rows)[unit.code] == Stage.LATE_ENTRIES


def test_unsubmitted_sheets_come_first_nearest_deadline_first(two_centres):
    centre = two_centres.alice_centre
    far, _ = _sheet(centre, code="2000U1", deadline=TODAY + timedelta(days=30))
    near, _ = _sheet(centre, code="2000U2", deadline=TODAY + timedelta(days=1))
    none, _ = _sheet(centre, code="2000U3", deadline=None)
    done = worked_sheet(two_centres, offset=2000)
    done.sample_deadline = TODAY
    done.save()
    sample_generate(
        submission_id=marks_submit(
            centre=centre, unit=done, acting_user=two_centres.alice
        ).pk
    )
    waiting = worked_sheet(two_centres, offset=6000)
    waiting.sample_deadline = TODAY + timedelta(days=60)
    waiting.save()
    marks_submit(centre=centre, unit=waiting, acting_user=two_centres.alice)

    rows = dashboard_rows(membership=_membership(two_centres.alice), today=TODAY)

    assert [row.unit.code for row in rows] == [
        near.code,  # not submitted, 1 day left
        "3700U1",  # not submitted, 7 days left
        far.code,  # not submitted, 30 days left
        none.code,  # not submitted, no deadline
        waiting.code,  # submitted, sample still being chosen
        done.code,  # complete
    ]
    assert [row.days_left for row in rows][:4] == [1, 7, 30, None]


def test_a_passed_deadline_is_shown_as_days_past(alice_client, two_centres):
    unit = two_centres.alice_unit
    unit.sample_deadline = timezone.localdate() - timedelta(days=3)
    unit.save()

    response = alice_client.get(DASHBOARD)

    assert "3 days past" in response.text
    assert "status--missing" in response.text


def test_the_page_says_each_status_in_words_and_links_to_each_sheet(
    alice_client, two_centres
):
    unit = two_centres.alice_unit
    unit.sample_deadline = timezone.localdate() + timedelta(days=7)
    unit.save()

    response = alice_client.get(DASHBOARD)

    assert response.status_code == 200
    row = response.text.split(f'id="dashboard-{unit.public_id}"')[1].split("</tr>")[0]
    assert reverse("iamis:marksheet", args=[unit.public_id]) in row
    assert "Not started" in row
    assert "0 done, 1 left" in row
    assert "7 days" in row
    assert "Not needed (work goes by post)" in row
    assert "Charliespecific" not in response.text


def test_the_dashboard_answers_get_only(alice_client):
    assert alice_client.post(DASHBOARD).status_code == 405


def test_signing_in_is_required(client, db):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_home_and_the_iamis_page_link_to_the_dashboard(alice_client):
    assert DASHBOARD in alice_client.get(reverse("portal:home")).text
    assert DASHBOARD in alice_client.get(reverse("iamis:index")).text


# --- A teacher's own units ------------------------------------------------------------


@pytest.fixture
def teacher(two_centres) -> Membership:
    membership = MembershipFactory(
        centre=two_centres.alice_centre,
        user=UserFactory(email="ab@alice.example"),
        account_type=Membership.AccountType.USER,
    )
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    return Membership.objects.select_related("centre").get(pk=membership.pk)


def test_a_limited_teachers_units_are_the_ones_they_were_given(two_centres, teacher):
    centre = two_centres.alice_centre
    given, _ = _sheet(centre, code="2100U1", deadline=TODAY)
    _sheet(centre, code="2100U2", deadline=TODAY)
    teacher.iamis_units.add(given)

    rows = dashboard_rows(membership=teacher, today=TODAY)
    everything = dashboard_rows(membership=teacher, today=TODAY, show="all")

    assert [row.unit.code for row in rows] == ["2100U1"]
    assert [row.unit.code for row in everything] == ["2100U1"]


def test_an_unlimited_teachers_units_are_where_they_entered_marks(two_centres, teacher):
    centre = two_centres.alice_centre
    _unit, entries = _sheet(centre, code="2200U1", deadline=TODAY)
    _sheet(centre, code="2200U2", deadline=TODAY)
    fill(entries[0], "20", user=teacher.user)

    rows = dashboard_rows(membership=teacher, today=TODAY)
    everything = dashboard_rows(membership=teacher, today=TODAY, show="all")

    assert [row.unit.code for row in rows] == ["2200U1"]
    assert sorted(row.unit.code for row in everything) == [
        "2200U1",
        "2200U2",
        "3700U1",
    ]


def test_a_teacher_with_no_units_yet_is_offered_all_they_can_open(two_centres, teacher):
    client = Client()
    client.force_login(teacher.user)

    mine = client.get(DASHBOARD)
    everything = client.get(DASHBOARD, {"show": "all"})

    assert "You have no units of your own yet" in mine.text
    assert 'href="?show=all"' in mine.text
    assert "Alicespecific Oracy" in everything.text


def test_an_exams_officer_is_not_offered_the_my_units_switch(alice_client):
    assert "All units I can open" not in alice_client.get(DASHBOARD).text


# --- Cost ---------------------------------------------------------------------------


def test_the_rows_cost_one_query_for_one_unit_or_many(
    two_centres, django_assert_num_queries
):
    officer = _membership(two_centres.alice)
    with django_assert_num_queries(1):
        assert len(dashboard_rows(membership=officer, today=TODAY)) == 1

    centre = two_centres.alice_centre
    for index in range(6):
        _sheet(centre, code=f"2300U{index}", deadline=TODAY, candidates=5)
    sample_generate(
        submission_id=marks_submit(
            centre=centre, unit=worked_sheet(two_centres), acting_user=officer.user
        ).pk
    )
    with django_assert_num_queries(1):
        assert len(dashboard_rows(membership=officer, today=TODAY)) == 8


def test_the_page_makes_the_same_queries_for_one_unit_and_eight(
    alice_client, two_centres
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(DASHBOARD).status_code == 200
        return len(captured)

    one = queries()
    for index in range(7):
        _sheet(two_centres.alice_centre, code=f"2400U{index}", deadline=TODAY)

    assert queries() == one


def _outer(sql: str) -> str:
    """The statement with every parenthesised part (the subqueries) left out."""
    depth, kept = 0, []
    for char in sql:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")"
    return "".join(kept)


def test_the_rows_query_is_not_grouped_so_each_subquery_runs_once_per_unit(
    two_centres,
):
    # Counting through a join made the query GROUP BY, and PostgreSQL then ran the
    # sample and file subqueries once per entry: 250 ms for ten sheets of 25
    # candidates in bench/load.py, growing with candidates x sampled candidates.
    officer = _membership(two_centres.alice)
    unit = worked_sheet(two_centres)
    sample_generate(
        submission_id=marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=officer.user
        ).pk
    )
    with CaptureQueriesContext(connection) as captured:
        rows = dashboard_rows(membership=officer, today=TODAY)

    (query,) = captured.captured_queries
    assert "GROUP BY" not in _outer(query["sql"])
    (row,) = [row for row in rows if row.unit == unit]
    assert row.progress.entries == row.progress.submitted > 0
    assert row.sampled > 0
