"""IAMIS's main screens: the dashboard, the marksheet with its inline saves and
no-JavaScript form, submitting, a candidate's entries and a sheet's history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from centres.tenancy import CentreRequest, iamis_required
from common.numbers import whole_number_or_none
from common.post_limits import allow_many_fields
from common.save_queue import save_queue_words
from common.service_errors import service_message
from iamis import selectors
from iamis.models import Unit
from moderation.selectors import current_corrections, visible_report_unit_ids
from sampling import services as sampling_services

from .. import selectors as sheet_selectors
from ..forms.sheet import posted_rows
from ..rows import Row, build_row, row_after_save
from ..services import sheets as sheet_services
from ..templatetags.marksheet import mark_row


@require_safe
@iamis_required
def index(request: CentreRequest) -> HttpResponse:
    series_groups = sheet_selectors.sheets_by_series(membership=request.membership)
    report_unit_ids = visible_report_unit_ids(
        centre=request.centre, today=timezone.localdate()
    )
    return render(
        request,
        "marksheets/index.html",
        {"series_groups": series_groups, "report_unit_ids": report_unit_ids},
    )


@require_safe
@iamis_required
def dashboard(request: CentreRequest) -> HttpResponse:
    """Every sheet of the open series and where it stands, most urgent first."""
    show = request.GET.get("show", "mine")
    show = show if show in sheet_selectors.SHOW_CHOICES else "mine"
    today = timezone.localdate()
    rows = sheet_selectors.dashboard_rows(
        membership=request.membership, today=today, show=show
    )
    return render(
        request,
        "marksheets/dashboard.html",
        {
            "rows": rows,
            "show": show,
            "today": today,
            "sees_all": request.membership.is_centre_admin,
        },
    )


def _options(request: CentreRequest) -> dict[str, str]:
    get = request.GET
    show = get.get("show", "all")
    sort = get.get("sort", "number")
    rows = get.get("rows", "20")
    return {
        "q": get.get("q", "").strip()[:100],
        "show": show if show in selectors.SHOW_CHOICES else "all",
        "sort": sort if sort in selectors.SORT_CHOICES else "number",
        "rows": rows if rows in selectors.ROWS_CHOICES else "20",
    }


def _sheet_context(
    request: CentreRequest, unit: Unit, rows_override: dict[int, Row] | None = None
) -> dict[str, Any]:
    options = _options(request)
    tasks = selectors.unit_tasks(unit)
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    entries = sheet_selectors.marksheet_rows(
        centre=request.centre,
        unit=unit,
        show=options["show"],
        search=options["q"],
        sort=options["sort"],
        submitted=progress.submitted > 0,
    )
    per_page = 100_000 if options["rows"] == "all" else int(options["rows"])
    paginator = Paginator(entries, per_page)
    shown = sheet_selectors.rows_shown(
        progress, show=options["show"], search=options["q"]
    )
    if shown is not None:
        paginator.count = shown  # known from the progress counts: no COUNT query
    page = paginator.get_page(request.GET.get("page"))
    overrides = rows_override or {}
    prefix = cell_url_prefix(unit)
    rows = [
        overrides.get(entry.candidate.number) or build_row(entry, unit, tasks, prefix)
        for entry in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "unit": unit,
        "tasks": tasks,
        "rows": rows,
        "page": page,
        "options": options,
        "progress": progress,
        "page_query": query.urlencode(),
        "max_total": sum(t.max_mark for t in tasks),
        "rows_choices": selectors.ROWS_CHOICES,
        "submitted_columns": progress.submitted > 0,
        "report_visible": progress.submitted > 0 and _report_visible(request, unit),
        "sheet_words": save_queue_words(),
    }


def _report_visible(request: CentreRequest, unit: Unit) -> bool:
    today = timezone.localdate()
    return unit.pk in visible_report_unit_ids(centre=request.centre, today=today)


def cell_url_prefix(unit: Unit) -> str:
    """The inline-save URL without its candidate number, reversed once per page."""
    url = reverse("iamis:mark_cell", args=[unit.public_id, 0])
    return url.removesuffix("0/")


# Each candidate posts a candidate number, a version and up to 6 tasks and initials.
MARKSHEET_FIELDS_PER_CANDIDATE = 9
MARKSHEET_MAX_CANDIDATES = 2_500


@allow_many_fields(MARKSHEET_FIELDS_PER_CANDIDATE * MARKSHEET_MAX_CANDIDATES + 10)
@require_http_methods(["GET", "POST"])
@iamis_required
def marksheet(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    """The marksheet. Without JavaScript it is one form that saves every changed cell,
    whatever the number of rows shown (allow_many_fields: "Rows: All" on a big unit)."""
    unit = selectors.access_sheet_unit(membership=request.membership, unit_id=unit_id)
    if request.method == "GET":
        return render(
            request, "marksheets/marksheet.html", _sheet_context(request, unit)
        )

    tasks = selectors.unit_tasks(unit)
    rows = posted_rows(request.POST)
    result = sheet_services.sheet_save(
        centre=request.centre,
        unit=unit,
        tasks=tasks,
        entries=selectors.sheet_entries(
            centre=request.centre, unit=unit, numbers=list(rows)
        ),
        posted=rows,
        acting_user=request.user,
    )
    saved, problems = result.saved, result.problems
    if problems:
        messages.error(
            request,
            ngettext(
                "%(saved)d value saved; %(count)d row needs attention below.",
                "%(saved)d values saved; %(count)d rows need attention below.",
                len(problems),
            )
            % {"saved": saved, "count": len(problems)},
        )
        return render(
            request,
            "marksheets/marksheet.html",
            _sheet_context(request, unit, problems),
        )
    if saved:
        messages.success(
            request,
            ngettext("%(saved)d value saved.", "%(saved)d values saved.", saved)
            % {"saved": saved},
        )
    else:
        messages.info(request, _("Nothing had changed, so there was nothing to save."))
    if "save_close" in request.POST:
        return redirect("iamis:index")
    return redirect(request.get_full_path())


@require_http_methods(["GET", "POST"])
@iamis_required
def mark_cell(request: CentreRequest, unit_id: UUID, candidate_no: int) -> HttpResponse:
    """One candidate's row. POST saves one cell (`field`, `value`, `version`) and answers
    the row as it now stands; GET answers the row as it is.

    The browser's save queue (static/js/marksheet.js) reads what became of the save from
    the headers: X-Mark-Outcome (saved, refused, conflict, confirm), the row's new
    X-Mark-Version and whether the row is now complete (X-Row-Complete), so it can keep
    the page's done/left counter without the server counting the sheet.
    """
    entry = selectors.access_member_entry(
        membership=request.membership, unit_id=unit_id, candidate_no=candidate_no
    )
    unit = entry.unit
    tasks = selectors.entry_tasks(entry)
    prefix = cell_url_prefix(unit)
    before = getattr(entry, "mark", None)
    was_complete = bool(before and before.is_complete)
    outcome = ""
    if request.method == "GET":
        row = build_row(entry, unit, tasks, prefix)
    else:
        field_name = request.POST.get("field", "")
        typed = request.POST.get(
            "value", request.POST.get(f"m-{candidate_no}-{field_name}", "")
        )
        version = request.POST.get("version", request.POST.get(f"v-{candidate_no}"))
        result = sheet_services.cell_save(
            centre=request.centre,
            entry=entry,
            tasks=tasks,
            field_name=field_name,
            typed=typed,
            version=whole_number_or_none(version),
            confirm_absent=request.POST.get("confirm") == "1",
            acting_user=request.user,
        )
        outcome = result.outcome
        row = row_after_save(
            entry,
            unit,
            tasks,
            field_name=field_name,
            typed=typed,
            result=result,
            url_prefix=prefix,
        )
    if not request.htmx:
        return redirect(reverse("iamis:marksheet", args=[unit.public_id]))
    # The row's markup straight from the function the page's rows use: no template
    # engine or context processors for a fragment that needs neither. It takes the
    # columns of the page it goes into.
    response = HttpResponse(
        mark_row(row, unit, request.GET.get("layout") == "submitted")
    )
    if outcome:
        response["X-Mark-Outcome"] = outcome
    response["X-Mark-Version"] = str(row.version)
    response["X-Row-Complete"] = "1" if row.is_complete else "0"
    response["X-Row-Was-Complete"] = "1" if was_complete else "0"
    return response


@require_http_methods(["GET", "POST"])
@iamis_required
def submit(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    error = ""
    if request.method == "POST":
        try:
            submission = sampling_services.marks_submit(
                centre=request.centre,
                unit=unit,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = service_message(exc)
        else:
            return redirect(
                "iamis:submitted",
                unit_id=unit.public_id,
                submission_id=submission.public_id,
            )
    return render(
        request,
        "marksheets/submit_confirm.html",
        {"unit": unit, "progress": progress, "error": error},
        status=200,
    )


@require_safe
@iamis_required
def submitted(
    request: CentreRequest, unit_id: UUID, submission_id: UUID
) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    submission = selectors.access_submission(
        centre=request.centre, unit=unit, submission_id=submission_id
    )
    return render(
        request, "marksheets/submitted.html", {"unit": unit, "submission": submission}
    )


@require_safe
@iamis_required
def moderator_details(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    allocation = selectors.moderator_for(centre=request.centre, unit=unit)
    return render(
        request,
        "marksheets/moderator_details.html",
        {"unit": unit, "allocation": allocation, "submitted": progress.submitted > 0},
    )


@require_safe
@iamis_required
def print_marksheet(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    tasks = list(unit.tasks.all())
    entries = sheet_selectors.marksheet_rows(centre=request.centre, unit=unit)
    rows = [build_row(entry, unit, tasks) for entry in entries]
    return render(
        request,
        "marksheets/print.html",
        {
            "unit": unit,
            "tasks": tasks,
            "rows": rows,
            "max_total": sum(t.max_mark for t in tasks),
        },
    )


@require_safe
@iamis_required
def candidate_detail(request: CentreRequest, candidate_no: int) -> HttpResponse:
    candidate = selectors.access_candidate(
        membership=request.membership, candidate_no=candidate_no
    )
    entries = list(
        selectors.candidate_entries(membership=request.membership, candidate=candidate)
    )
    corrections = current_corrections(centre=request.centre, entries=entries)
    history = selectors.mark_history(centre=request.centre, entries=entries)
    return render(
        request,
        "marksheets/candidate_detail.html",
        {
            "candidate": candidate,
            "entries": [
                (e, getattr(e, "mark", None), corrections.get(e.pk)) for e in entries
            ],
            "history": history,
        },
    )
