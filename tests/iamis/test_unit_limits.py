"""A User account's IAMIS may be limited to chosen qualifications and units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import AccessGrant, Membership
from iamis.models import Unit
from iamis.selectors import units_for_member
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    QualificationFactory,
    SeriesFactory,
    UnitFactory,
)


def _unit_at(centre, candidate=None, **unit_fields) -> Unit:
    unit = UnitFactory(**unit_fields)
    EntryFactory(candidate=candidate or CandidateFactory(centre=centre), unit=unit)
    return unit


@pytest.fixture
def teacher(two_centres) -> Membership:
    membership = two_centres.alice_teacher
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    return membership


@pytest.fixture
def teacher_client(teacher) -> Client:
    client = Client()
    client.force_login(teacher.user)
    return client


@pytest.fixture
def gce_unit(two_centres) -> Unit:
    gce = QualificationFactory(code="gce", name="GCE")
    return _unit_at(
        two_centres.alice_centre,
        candidate=two_centres.alice_candidate,
        series=SeriesFactory(qualification=gce, name="GCE JUNE 2027"),
        code="1100U1",
        title="Gceonly Physics",
    )


def _unit_url(unit: Unit) -> str:
    return reverse("iamis:marksheet", args=[unit.public_id])


def test_without_a_limit_a_teacher_sees_every_unit_of_the_centre(
    teacher_client, two_centres, gce_unit
):
    response = teacher_client.get(reverse("iamis:index"))

    assert "ALICESPECIFIC ORACY" in response.text
    assert "GCEONLY PHYSICS" in response.text
    assert teacher_client.get(_unit_url(gce_unit)).status_code == 200


def test_a_teacher_limited_to_a_unit_sees_and_opens_only_that_unit(
    teacher_client, teacher, two_centres, gce_unit
):
    teacher.iamis_units.add(two_centres.alice_unit)

    index = teacher_client.get(reverse("iamis:index"))

    assert "ALICESPECIFIC ORACY" in index.text
    assert "GCEONLY PHYSICS" not in index.text
    assert teacher_client.get(_unit_url(two_centres.alice_unit)).status_code == 200
    assert teacher_client.get(_unit_url(gce_unit)).status_code == 404


def test_a_teacher_limited_to_a_qualification_sees_all_of_its_units(
    teacher_client, teacher, two_centres, gce_unit
):
    second_gce = _unit_at(
        two_centres.alice_centre, series=gce_unit.series, title="Gceonly Chemistry"
    )
    teacher.iamis_qualifications.add(gce_unit.series.qualification)

    index = teacher_client.get(reverse("iamis:index"))

    assert "GCEONLY PHYSICS" in index.text
    assert "GCEONLY CHEMISTRY" in index.text
    assert "ALICESPECIFIC ORACY" not in index.text
    assert teacher_client.get(_unit_url(second_gce)).status_code == 200
    assert teacher_client.get(_unit_url(two_centres.alice_unit)).status_code == 404


def test_a_qualification_and_a_unit_together_give_both(teacher, two_centres, gce_unit):
    other_gcse = _unit_at(two_centres.alice_centre, title="Othergcse History")
    teacher.iamis_qualifications.add(gce_unit.series.qualification)
    teacher.iamis_units.add(two_centres.alice_unit)

    units = set(units_for_member(membership=teacher))

    assert units == {gce_unit, two_centres.alice_unit}
    assert other_gcse not in units


def test_a_limit_never_reaches_another_centres_units(teacher, two_centres):
    teacher.iamis_units.add(two_centres.charlie_unit)

    assert list(units_for_member(membership=teacher)) == []


def test_exams_officers_and_admins_are_never_limited(two_centres, gce_unit):
    officer = Membership.objects.get(user=two_centres.alice)
    # Left over from when the account was a User account: ignored for admins.
    officer.iamis_units.add(two_centres.alice_unit)

    units = set(units_for_member(membership=officer))

    assert units == {two_centres.alice_unit, gce_unit}


def test_a_limited_teacher_sees_only_allowed_units_on_a_candidate_page(
    teacher_client, teacher, two_centres, gce_unit
):
    teacher.iamis_units.add(gce_unit)
    candidate = two_centres.alice_candidate

    response = teacher_client.get(
        reverse("iamis:candidate_detail", args=[candidate.number])
    )

    assert response.status_code == 200
    assert "(1100U1)" in response.text
    assert "(3700U1)" not in response.text


def test_a_candidate_entered_only_outside_the_limit_is_not_found(
    teacher_client, teacher, two_centres, gce_unit
):
    teacher.iamis_units.add(gce_unit)
    outsider = CandidateFactory(centre=two_centres.alice_centre, number=1500)
    EntryFactory(candidate=outsider, unit=two_centres.alice_unit)

    response = teacher_client.get(reverse("iamis:candidate_detail", args=[1500]))

    assert response.status_code == 404


def test_the_exams_officer_still_opens_any_candidate(alice_client, two_centres):
    CandidateFactory(centre=two_centres.alice_centre, number=1600)

    response = alice_client.get(reverse("iamis:candidate_detail", args=[1600]))

    assert response.status_code == 200


def test_a_limited_index_makes_the_same_queries_for_one_and_many_chosen_units(
    teacher_client, teacher, two_centres
):
    teacher.iamis_units.add(two_centres.alice_unit)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = teacher_client.get(reverse("iamis:index"))
        assert response.status_code == 200
        return len(captured)

    one = queries()
    for _ in range(5):
        teacher.iamis_units.add(_unit_at(two_centres.alice_centre))
    assert queries() == one
