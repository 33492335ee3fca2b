"""The marksheet's own form, as the page posts it without JavaScript: for each candidate
its number, the version of the row the page showed (`v-<number>`), each typed cell
(`m-<number>-<field>`) and whether an Absent was confirmed (`confirm-absent-<number>`).
Read once into plain values; saving them is marksheets.services.sheets.sheet_save."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from common.numbers import whole_number_or_none


@dataclass
class PostedRow:
    version: int | None = None
    confirm_absent: bool = False
    # What was in each cell of the row when the form was sent, by field name.
    typed: dict[str, str] = field(default_factory=dict)


def posted_rows(posted: QueryDict) -> dict[int, PostedRow]:
    """The rows the form sent, by candidate number (one pass over the fields, however
    many rows "Rows: All" put on the page)."""
    rows = {
        number: PostedRow()
        for number in map(whole_number_or_none, posted.getlist("candidate"))
        if number is not None
    }
    for name, values in posted.lists():
        if not name.startswith("m-") or not values:
            continue
        number_text, _dash, field_name = name.removeprefix("m-").partition("-")
        number = whole_number_or_none(number_text)
        row = rows.get(number) if number is not None else None
        if row is not None and field_name:
            # The last value, as request.POST[name] gives it.
            row.typed[field_name] = values[-1]
    for number, row in rows.items():
        row.version = whole_number_or_none(posted.get(f"v-{number}"))
        row.confirm_absent = posted.get(f"confirm-absent-{number}") == "1"
    return rows
