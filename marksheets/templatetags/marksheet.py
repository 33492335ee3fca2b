"""Marksheet markup built in Python: on a 350-row sheet a template include per cell was
a large part of the page's cost."""

from __future__ import annotations

import html
import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from iamis.models import Unit
from marksheets.rows import Cell, Row

register = template.Library()


# A character `html.escape` would replace: most values (numbers, field names, marks)
# have none, and one search is cheaper than its five replacements.
_TO_ESCAPE = re.compile("[&<>\"']")


def _escaped(value: Any) -> str:
    """`conditional_escape` without its lazy-text wrapper: the same output (a value that
    is already markup as it is, anything else through `html.escape`)."""
    if type(value) is int:
        return str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    text = str(value)
    return html.escape(text) if _TO_ESCAPE.search(text) else text


def format_html(template_text: str, *args: Any, **kwargs: Any) -> SafeString:
    """Django's `format_html` for this module's loop over every cell of every row,
    escaping each value just as it does: the lazy-text wrapper around Django's escape
    was a fifth of a 25-row sheet's CPU (the 350-row sheet: 44 ms -> 32 ms).

    The one place the rows' markup is marked safe, as Django's own `format_html` does
    it: every value has gone through `_escaped`, and `template_text` is always one of
    this module's literals (tests/marksheets/test_marksheet_views.py types markup into
    names and task titles)."""
    escaped = template_text.format(
        *map(_escaped, args), **{k: _escaped(v) for k, v in kwargs.items()}
    )
    # Values escaped above, the template a literal of this module (see the docstring).
    return SafeString(escaped)  # nosec B703


# Fixed markup (no data in it), made once.
_NOTHING = SafeString("")
_INVALID = SafeString(' aria-invalid="true"')
_SELECTED = SafeString(" selected")
_EMPTY_CLERICAL = SafeString('<td class="clerical-cell"></td>')
_ROW_END = SafeString("</tr>")


@register.filter
def cell_state_words(state: str) -> SafeString:
    """What a cell's save state says (the cell's `data-state`): a tick for saved, words
    for a mark the server did not save."""
    if state == "saved":
        return format_html(
            '<span class="tick" aria-hidden="true">&#10003;</span>'
            '<span class="visually-hidden">{}</span>',
            _("Saved"),
        )
    if state == "refused":
        return format_html('<span class="cell-state__word">{}</span>', _("Not saved"))
    if state == "confirm":
        return format_html(
            '<span class="cell-state__word">{}</span>',
            _("Not saved yet: confirm absent"),
        )
    return _NOTHING


@register.simple_tag
def mark_input(row: Row, cell: Cell) -> SafeString:
    """A mark cell's text box, with its label for screen readers naming the candidate."""
    no = row.key
    number = row.candidate.display_number
    label = _("%(label)s (maximum %(max)s) for candidate %(number)s") % {
        "label": cell.label,
        "max": cell.max_mark,
        "number": number,
    }
    described = f"state-{no}-{cell.field}" + (f" status-{no}" if cell.error else "")
    return format_html(
        '<input type="text" id="m-{no}-{field}" name="m-{no}-{field}" value="{value}" '
        'size="4" maxlength="4" autocomplete="off" inputmode="numeric" '
        'data-column="{field}" data-max="{max}" data-max-digits="{digits}" '
        'aria-label="{label}" aria-describedby="{described}"{invalid}>',
        no=no,
        field=cell.field,
        value=cell.value,
        max=cell.max_mark,
        digits=cell.max_digits,
        label=label,
        described=described,
        invalid=_INVALID if cell.error else "",
    )


def _join(parts: list[SafeString]) -> SafeString:
    """Markup already made safe, put together (each part is left as it is)."""
    return format_html("{}" * len(parts), *parts)


_CLERICAL_NOTE = (
    '<span aria-hidden="true">*</span><span class="visually-hidden"> {}</span>'
)


def _cell_class(cell: Cell) -> str:
    return (
        "cell"
        + (" cell--accepted" if cell.accepted else "")
        + (" cell--error" if cell.error else "")
    )


def _described(no: str, field: str, error: str) -> SafeString:
    return format_html(
        ' aria-describedby="state-{}-{}{}"{}',
        no,
        field,
        f" status-{no}" if error else "",
        _INVALID if error else "",
    )


def _grade_select(row: Row, cell: Cell, unit: Unit) -> SafeString:
    no = row.key
    label = _("%(label)s for candidate %(number)s") % {
        "label": cell.label,
        "number": row.candidate.display_number,
    }
    options = [
        format_html(
            '<option value=""{}>{}</option>',
            "" if cell.value else _SELECTED,
            _("Enter outcome"),
        )
    ]
    options += [
        format_html(
            '<option value="{}"{}>{}</option>',
            grade,
            _SELECTED if cell.value == grade else "",
            grade,
        )
        for grade in unit.grade_scale
    ]
    options.append(
        format_html(
            '<option value="Absent"{}>{}</option>',
            _SELECTED if cell.value in ("A", "Absent") else "",
            _("Absent"),
        )
    )
    return format_html(
        '<select id="m-{no}-{field}" name="m-{no}-{field}" data-column="{field}" '
        'aria-label="{label}"{described}>{options}</select>',
        no=no,
        field=cell.field,
        label=label,
        described=_described(no, cell.field, cell.error),
        options=_join(options),
    )


def _mark_cell(row: Row, cell: Cell, unit: Unit) -> SafeString:
    if row.locked:
        inside = format_html("{}", cell.value)
    else:
        control = (
            _grade_select(row, cell, unit)
            if unit.is_outcome_unit
            else mark_input(row, cell)
        )
        inside = format_html(
            '{}<span class="cell-state" id="state-{}-{}">{}</span>',
            control,
            row.key,
            cell.field,
            cell_state_words(cell.state),
        )
    return format_html(
        '<td class="{}" data-state="{}">{}</td>', _cell_class(cell), cell.state, inside
    )


def _clerical_cell(row: Row, cell: Cell, detail_url: str) -> SafeString:
    if not cell.amended:
        return _EMPTY_CLERICAL
    return format_html(
        '<td class="clerical-cell"><a class="clerical" data-testid="clerical-{}-{}" '
        'href="{}#history">{}' + _CLERICAL_NOTE + "</a></td>",
        row.key,
        cell.field,
        detail_url,
        cell.amended,
        _("(clerical correction by the moderator)"),
    )


def _initials_cell(row: Row, cell: Cell) -> SafeString:
    no = row.key
    if row.locked:
        inside = format_html("{}", cell.value)
    else:
        label = _("Teacher initials for candidate %(number)s") % {
            "number": row.candidate.display_number
        }
        inside = format_html(
            '<input type="text" id="m-{no}-initials" name="m-{no}-initials" '
            'value="{value}" size="4" maxlength="4" autocomplete="off" class="initials" '
            'data-column="initials" aria-label="{label}"{described}>'
            '<span class="cell-state" id="state-{no}-initials">{state}</span>',
            no=no,
            value=cell.value,
            label=label,
            described=_described(no, "initials", cell.error),
            state=cell_state_words(cell.state),
        )
    return format_html(
        '<td class="{}" data-state="{}">{}</td>', _cell_class(cell), cell.state, inside
    )


def _sample_cell(row: Row) -> SafeString:
    if row.in_sample:
        inside = format_html(
            '<span class="tick" aria-hidden="true">&#10003;</span>'
            '<span class="visually-hidden">{}</span>',
            _("In the sample"),
        )
    elif row.sample_replaced:
        inside = format_html(
            '{}<span class="visually-hidden"> {}</span>',
            _("Replaced"),
            _("(work unavailable: another candidate replaces this one in the sample)"),
        )
    else:
        inside = _NOTHING
    return format_html('<td class="sample-cell">{}</td>', inside)


def _row_status(row: Row, detail_url: str) -> SafeString:
    no = row.key
    if row.locked:
        inside = format_html('<span class="badge">{}</span>', _("Submitted"))
        if row.amended_by_request:
            inside += format_html(
                ' <a class="amended" data-testid="amended-{}" href="{}#history">{}</a>',
                no,
                detail_url,
                _("Amended by an approved mark change request"),
            )
    elif row.message:
        inside = format_html(
            '<span class="row-status__message{}">{}</span>',
            "" if row.needs_absent_confirmation else " error",
            row.message,
        )
        if row.needs_absent_confirmation:
            inside += format_html(
                '<button type="button" class="button js-only" data-action="confirm-absent"'
                ' data-field="{field}" data-advance="{field}">{confirm}</button>'
                '<button type="button" class="button button--secondary js-only"'
                ' data-action="cancel" data-field="{field}">{cancel}</button>'
                '<label class="no-js-only"><input type="checkbox"'
                ' name="confirm-absent-{no}" value="1"> {yes}</label>',
                field=row.absent_field,
                no=no,
                confirm=_("Confirm absent"),
                cancel=_("Cancel"),
                yes=_("Yes, this candidate was absent"),
            )
        elif row.conflict and row.conflict_value:
            inside += format_html(
                '<button type="button" class="button js-only" data-action="use-mine"'
                ' data-field="{field}" data-value="{value}">{mine}</button>'
                '<button type="button" class="button button--secondary js-only"'
                ' data-action="cancel" data-field="{field}">{theirs}</button>',
                field=row.conflict_field,
                value=row.conflict_value,
                mine=_("Save my value (%(value)s) over theirs")
                % {"value": row.conflict_value},
                theirs=_("Keep their value"),
            )
    elif row.saved:
        inside = format_html('<span class="saved">{}</span>', _("Saved"))
    elif row.is_complete:
        inside = format_html('<span class="visually-hidden">{}</span>', _("Complete"))
    else:
        inside = _NOTHING
    return format_html('<td class="row-status" id="status-{}">{}</td>', no, inside)


@register.simple_tag
def mark_row(row: Row, unit: Unit, submitted_columns: bool) -> SafeString:
    """One candidate's row of the marksheet (the page, and each htmx answer for a row).

    Built here rather than in the template: a 350-row sheet spent most of its time
    looking up the same few dozen template variables for every row."""
    no = row.key
    detail_url = (
        reverse("iamis:candidate_detail", args=[no])
        if submitted_columns or row.amended_by_request
        else ""
    )
    parts = [
        format_html(
            '<tr id="row-{no}" class="mark-row{locked}{attention}" data-number="{no}" '
            'data-url="{url}" data-version="{version}" data-complete="{complete}">'
            '<th scope="row">{number}<input type="hidden" name="candidate" value="{no}">'
            '<input type="hidden" id="v-{no}" name="v-{no}" value="{version}"></th>'
            "<td>{name}</td>",
            no=no,
            locked=" mark-row--locked" if row.locked else "",
            attention=" mark-row--attention" if row.message else "",
            url=row.url,
            version=row.version,
            complete="1" if row.is_complete else "0",
            number=row.candidate.display_number,
            name=row.candidate.display_name,
        )
    ]
    for cell in row.cells:
        parts.append(_mark_cell(row, cell, unit))
        if submitted_columns:
            parts.append(_clerical_cell(row, cell, detail_url))
    if not unit.is_outcome_unit and len(row.cells) > 1:
        parts.append(format_html('<td class="total">{}</td>', row.total))
        if submitted_columns:
            parts.append(_clerical_total(row))
    if row.initials:
        parts.append(_initials_cell(row, row.initials))
    if submitted_columns:
        parts.append(_sample_cell(row))
    parts.append(_row_status(row, detail_url))
    parts.append(_ROW_END)
    return _join(parts)


def _clerical_total(row: Row) -> SafeString:
    if not row.amended_total:
        return _EMPTY_CLERICAL
    return format_html(
        '<td class="clerical-cell"><span class="clerical" data-testid="clerical-{}-total">'
        "{}" + _CLERICAL_NOTE + "</span></td>",
        row.key,
        row.amended_total,
        _("(clerical correction by the moderator)"),
    )
