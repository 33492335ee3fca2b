"""The board's entries import: every row or none, bad rows reported by line number."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from iamis.models import Candidate, Entry
from iamis.services.entries import entries_import_file
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    SeriesFactory,
    UnitFactory,
    UserFactory,
)

HEADER = "centre_number,candidate_number,surname,forename,date_of_birth,unit_code\n"


@pytest.fixture
def board(db):
    series = SeriesFactory(name="GCSE JUNE 2027", slug="gcse-june-2027")
    return {
        "series": series,
        "oracy": UnitFactory(series=series, code="3700U1"),
        "literature": UnitFactory(series=series, code="3720U4"),
        "centre": CentreFactory(number=68999),
        "other_centre": CentreFactory(number=1234),
    }


def _import(board, text: str):
    return entries_import_file(
        series=board["series"], data=text.encode(), acting_user=None
    )


def test_a_good_file_creates_candidates_and_entries(board):
    result = _import(
        board,
        HEADER
        + "68999,1001,Jones,Megan,01/09/2010,3700U1\n"
        + "68999,1001,Jones,Megan,01/09/2010,3720U4\n"
        + "01234,0007,Evans,Osian,2010-12-31,3700u1\n",
    )

    assert result.ok, result.problems
    assert (result.rows, result.candidates_created, result.entries_created) == (3, 2, 3)
    megan = Candidate.objects.get(centre=board["centre"], number=1001)
    assert (megan.surname, megan.date_of_birth) == ("Jones", date(2010, 9, 1))
    assert (
        Entry.objects.filter(candidate__number=7, centre=board["other_centre"]).count()
        == 1
    )


def test_importing_the_same_file_twice_changes_nothing(board):
    text = HEADER + "68999,1001,Jones,Megan,01/09/2010,3700U1\n"
    _import(board, text)

    again = _import(board, text)

    assert again.ok
    assert (again.entries_created, again.entries_already_present) == (0, 1)
    assert Entry.objects.count() == 1


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(board):
    result = _import(
        board,
        HEADER
        + "68999,1001,Jones,Megan,01/09/2010,3700U1\n"  # line 2: fine
        + "99999,1002,Evans,Osian,01/09/2010,3700U1\n"  # line 3: centre out of range
        + "68999,12345,Price,Ffion,01/09/2010,3700U1\n"  # line 4: candidate number
        + "68999,1003,,Seren,31/02/2010,3700U1\n"  # line 5: no surname, bad date
        + "68999,1004,Owen,Rhys,01/09/2010,9999X9\n"  # line 6: unknown unit
        + "68000,1005,Owen,Rhys,01/09/2010,3700U1\n",  # line 7: unknown centre
    )

    assert not result.ok
    lines = sorted({problem.line for problem in result.problems})
    assert lines == [3, 4, 5, 6, 7]
    assert Candidate.objects.count() == 0
    assert Entry.objects.count() == 0


def test_numbers_in_another_scripts_digits_are_refused(board):
    # Full-width digits pass str.isdigit() and int() reads them: 68999 in disguise.
    result = _import(
        board,
        HEADER
        + "\uff16\uff18\uff19\uff19\uff19,1001,Jones,Megan,01/09/2010,3700U1\n"
        + "68999,\u0661\u0660\u0660\u0662,Evans,Osian,01/09/2010,3700U1\n",
    )

    assert not result.ok
    lines = sorted({problem.line for problem in result.problems})
    assert lines == [2, 3]
    assert Candidate.objects.count() == 0


def test_unknown_units_and_centres_are_reported_with_their_lines(board):
    result = _import(
        board,
        HEADER
        + "68999,1004,Owen,Rhys,01/09/2010,9999X9\n"
        + "68000,1005,Owen,Rhys,01/09/2010,3700U1\n",
    )

    messages = [str(problem) for problem in result.problems]
    assert "Line 2: there is no unit 9999X9 in GCSE JUNE 2027" in messages
    assert "Line 3: there is no centre 68000" in messages
    assert Candidate.objects.count() == 0


def test_one_candidate_with_two_different_names_in_a_file_is_refused(board):
    result = _import(
        board,
        HEADER
        + "68999,1001,Jones,Megan,01/09/2010,3700U1\n"
        + "68999,1001,Jonas,Megan,01/09/2010,3720U4\n",
    )

    assert [str(p) for p in result.problems] == [
        "Line 3: candidate 1001 has different details on line 2"
    ]


def test_a_file_without_the_expected_columns_is_refused(board):
    result = _import(board, "centre,candidate\n68999,1001\n")

    assert "the header lacks the columns centre_number, candidate_number" in str(
        result.problems[0]
    )


def test_one_missing_column_is_named_in_the_singular(board):
    header = "centre_number,candidate_number,surname,forename,date_of_birth\n"
    result = _import(board, header + "68999,1001,Jones,Megan,01/09/2010\n")

    assert "the header lacks the column unit_code;" in str(result.problems[0])


def test_existing_candidates_details_are_brought_up_to_date(board):
    CandidateFactory(
        centre=board["centre"], number=1001, surname="Jnoes", forename="Megan"
    )

    result = _import(board, HEADER + "68999,1001,Jones,Megan,01/09/2010,3700U1\n")

    assert result.candidates_updated == 1
    assert Candidate.objects.get(number=1001).surname == "Jones"


def test_a_spreadsheet_export_with_a_bom_and_spaced_headers_imports(board):
    text = (
        "\ufeffCentre Number,Candidate Number,Surname,Forename,Date of Birth,Unit Code\r\n"
        "68999,1001,Jones,Megan,01/09/2010,3700U1\r\n\r\n"
    )

    assert _import(board, text).ok


def test_the_command_imports_a_file(board, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "68999,1001,Jones,Megan,01/09/2010,3700U1\n")
    out = io.StringIO()

    call_command("import_entries", str(path), "--series", "gcse-june-2027", stdout=out)

    assert "1 new entries" in out.getvalue()
    assert Entry.objects.count() == 1


def test_the_command_fails_and_lists_problems_for_a_bad_file(board, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "68999,1001,Jones,Megan,01/09/2010,NOPE\n")
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_entries", str(path), "--series", "gcse-june-2027", stderr=err
        )

    assert "Line 2: there is no unit NOPE" in err.getvalue()


def test_board_staff_import_entries_in_the_back_office(board, client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    upload = io.BytesIO(
        (HEADER + "68999,1001,Jones,Megan,01/09/2010,3700U1\n").encode()
    )
    upload.name = "entries.csv"

    response = client.post(
        reverse("admin:iamis_entry_import"),
        {"series": board["series"].pk, "file": upload},
        follow=True,
    )

    assert "Imported 1 rows: 1 new entries" in response.text
    assert Entry.objects.count() == 1


def test_back_office_shows_the_problems_of_a_bad_file(board, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = io.BytesIO((HEADER + "68999,1001,Jones,Megan,1 Sept,3700U1\n").encode())
    upload.name = "entries.csv"

    response = client.post(
        reverse("admin:iamis_entry_import"),
        {"series": board["series"].pk, "file": upload},
    )

    assert "Line 2: date of birth &#x27;1 Sept&#x27; is not a date" in response.text
    assert Entry.objects.count() == 0
