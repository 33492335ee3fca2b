"""Paste marks from a spreadsheet, and export the sheet as CSV. Plain forms: the preview
and the confirm are ordinary posts, so neither needs JavaScript."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from centres.tenancy import CentreRequest, iamis_required
from iamis import selectors
from iamis.models import Entry, Mark, Task, Unit
from iamis.services import paste as paste_service
from iamis.services.paste import Preview, encode_versions

from .. import selectors as sheet_selectors
from ..forms.paste import ConfirmPasteForm, PasteForm
from ..rows import build_row

TEMPLATE = "marksheets/paste/paste.html"


def _read_paste(
    request: CentreRequest,
    unit: Unit,
    *,
    text: str,
    order: str,
    seen_versions: dict[int, int] | None = None,
) -> Preview:
    tasks = list(unit.tasks.all())
    # The whole sheet (not the marksheet's current filter), in the order chosen: a single
    # column applies to it line by line. The unit comes along for the saves.
    entries = list(
        sheet_selectors.marksheet_rows(
            centre=request.centre, unit=unit, sort=order
        ).select_related("unit")
    )
    return paste_service.paste_preview(
        unit=unit, tasks=tasks, entries=entries, text=text, seen_versions=seen_versions
    )


def _render(
    request: CentreRequest,
    unit: Unit,
    form: PasteForm,
    preview: Preview | None = None,
    confirm_form: ConfirmPasteForm | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "unit": unit,
        "form": form,
        "preview": preview,
        "confirm_form": confirm_form,
        "progress": selectors.sheet_progress(centre=request.centre, unit=unit),
        "columns": [
            heading
            for _field, heading in paste_service.value_columns(
                unit, list(unit.tasks.all())
            )
        ],
    }
    return render(request, TEMPLATE, context)


@require_http_methods(["GET", "POST"])
@iamis_required
def paste(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    """GET: the paste box. POST "preview": every line accepted or refused, and a confirm
    form. POST "confirm": the paste read again, its accepted lines saved."""
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    if request.method == "GET":
        return _render(request, unit, PasteForm())
    if "confirm" in request.POST:
        return _confirm(request, unit)

    form = PasteForm(request.POST)
    if not form.is_valid():
        return _render(request, unit, form)
    text, order = form.cleaned_data["text"], form.cleaned_data["order"]
    preview = _read_paste(request, unit, text=text, order=order)
    if preview.error:
        form.add_error("text", preview.error)
        return _render(request, unit, form)
    confirm_form = ConfirmPasteForm(
        initial={
            "text": text,
            "order": order,
            "versions": encode_versions(preview.versions),
        },
        # Its hidden copies of the paste must not share ids with the paste box.
        auto_id="confirm_%s",
    )
    return _render(request, unit, form, preview, confirm_form)


def _confirm(request: CentreRequest, unit: Unit) -> HttpResponse:
    confirm_form = ConfirmPasteForm(request.POST)
    form = PasteForm(
        {"text": request.POST.get("text", ""), "order": request.POST.get("order")}
    )
    if not confirm_form.is_valid():
        form.is_valid()
        form.add_error(
            None, _("The preview could not be read. Preview the marks again.")
        )
        return _render(request, unit, form)
    data = confirm_form.cleaned_data
    # Read again from the text, never from the preview the browser showed: only the
    # versions come back, and they can only make the saves more careful.
    preview = _read_paste(
        request,
        unit,
        text=data["text"],
        order=data["order"],
        seen_versions=data["versions"],
    )
    if preview.error:
        form.is_valid()
        form.add_error("text", preview.error)
        return _render(request, unit, form)
    result = paste_service.paste_apply(
        centre=request.centre,
        unit=unit,
        preview=preview,
        acting_user=request.user,
        confirm_absent=data["confirm_absent"],
    )
    summary = ngettext(
        "%(saved)d mark saved, %(refused)d refused.",
        "%(saved)d marks saved, %(refused)d refused.",
        result.saved,
    ) % {"saved": result.saved, "refused": result.refused}
    if result.unchanged:
        summary += " " + ngettext(
            "%(count)d already had the pasted value.",
            "%(count)d already had the pasted values.",
            result.unchanged,
        ) % {"count": result.unchanged}
    if result.refused or result.conflicts:
        messages.warning(request, summary)
    else:
        messages.success(request, summary)
    if result.conflicts:
        messages.error(
            request,
            _(
                "Not saved because someone else changed them after your preview: "
                "%(candidates)s. Check their marks on the sheet."
            )
            % {"candidates": ", ".join(result.conflicts)},
        )
    return redirect("iamis:marksheet", unit_id=unit.public_id)


class _Echo:
    """A file-like object csv.writer writes to; each row is handed straight on."""

    def write(self, value: str) -> str:
        return value


# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _status(mark: Mark | None) -> str:
    if mark is None:
        return ""
    if mark.status != Mark.Status.MARKED:
        return str(mark.get_status_display())
    has_value = mark.grade or mark.total is not None
    return str(Mark.Status.MARKED.label) if has_value else ""


def _csv_rows(
    unit: Unit, tasks: Sequence[Task], entries: Iterable[Entry]
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    columns = [_("Candidate No"), _("Surname"), _("Forename")]
    if unit.is_outcome_unit:
        columns.append(_("Grade"))
    else:
        columns += [str(task) for task in tasks]
        columns.append(_("Total"))
    if unit.initials_required:
        columns.append(_("Teacher Initials"))
    columns += [_("Status"), _("Submitted"), _("Clerical correction")]
    # The byte order mark lets Excel read Welsh letters (ŵ, ŷ) as UTF-8.
    yield "\ufeff" + writer.writerow(columns)
    for entry in entries:
        row = build_row(entry, unit, list(tasks))
        values = [
            row.candidate.display_number,
            row.candidate.surname,
            row.candidate.forename,
            *(cell.value for cell in row.cells),
        ]
        if not unit.is_outcome_unit:
            values.append(row.total)
        if row.initials is not None:
            values.append(row.initials.value)
        values += [
            _status(row.mark),
            _("Yes") if row.locked else _("No"),
            row.amended_value,
        ]
        yield writer.writerow([_cell(value) for value in values])


@require_safe
@iamis_required
def export_csv(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    """The whole sheet in candidate number order, streamed: one query for the rows."""
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    tasks = list(unit.tasks.all())
    entries = sheet_selectors.marksheet_rows(centre=request.centre, unit=unit).iterator(
        chunk_size=500
    )
    code = re.sub(r"[^A-Za-z0-9_-]", "", unit.code.replace("/", "-"))
    filename = f"{request.centre.display_number}-{code}-marks.csv"
    response = StreamingHttpResponse(
        _csv_rows(unit, tasks, entries),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    # grant_required types every view as returning HttpResponse.
    return cast(HttpResponse, response)
