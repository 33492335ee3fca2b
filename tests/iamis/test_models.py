"""Rules the database itself keeps, whatever code path writes the rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from centres.models import Centre
from iamis.models import Unit
from tests.factories import CandidateFactory, CentreFactory, EntryFactory, UnitFactory


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_centre_numbers_above_79999_are_refused_by_the_database():
    assert _refused(lambda: Centre.objects.create(number=80000, name="Too high"))
    assert not _refused(lambda: Centre.objects.create(number=79999, name="Highest"))
    assert not _refused(lambda: Centre.objects.create(number=0, name="Lowest"))


@pytest.mark.django_db
def test_raw_sql_cannot_store_a_centre_number_out_of_range():
    def write():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE iamis_centre SET number = 99999")

    CentreFactory()
    assert _refused(write)


@pytest.mark.django_db
def test_a_candidate_number_is_unique_within_a_centre_only():
    first = CandidateFactory(number=1234)

    assert _refused(lambda: CandidateFactory(centre=first.centre, number=1234))
    assert not _refused(lambda: CandidateFactory(number=1234))


@pytest.mark.django_db
def test_candidate_numbers_are_four_digits():
    assert _refused(lambda: CandidateFactory(number=10000))
    assert _refused(lambda: CandidateFactory(number=0))


@pytest.mark.django_db
def test_a_candidate_is_entered_once_per_unit():
    entry = EntryFactory()

    assert _refused(lambda: EntryFactory(candidate=entry.candidate, unit=entry.unit))


@pytest.mark.django_db
def test_a_unit_code_is_unique_within_its_series():
    unit = UnitFactory(code="3700U1")

    assert _refused(lambda: UnitFactory(series=unit.series, code="3700U1"))


@pytest.mark.django_db
def test_an_outcome_unit_needs_a_grade_scale():
    assert _refused(
        lambda: UnitFactory(assessment=Unit.Assessment.OUTCOMES, grade_scale=[])
    )
    assert not _refused(
        lambda: UnitFactory(assessment=Unit.Assessment.OUTCOMES, grade_scale=["Pass"])
    )


def test_names_and_numbers_display_as_the_guides_show_them():
    candidate = CandidateFactory.build(number=54, surname="Jones", forename="Megan")
    centre = CentreFactory.build(number=1234, name="Ysgol")

    assert candidate.display_number == "0054"
    assert candidate.display_name == "JONES: MEGAN"
    assert str(centre) == "01234 Ysgol"
