from __future__ import annotations

from itertools import groupby
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
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import AccessGrant
from common.tenancy import CentreRequest, grant_required

from . import dashboard as sheets_dashboard
from . import marks, selectors
from .marks import SheetProgress
from .models import Task, Unit
from .rows import Row, build_row, row_after_save

iamis_required = grant_required(AccessGrant.Area.IAMIS)


@require_safe
@iamis_required
def index(request: CentreRequest) -> HttpResponse:
    units = list(selectors.units_with_progress(membership=request.membership))
    for unit in units:
        unit.progress = SheetProgress(  # type: ignore[attr-defined]
            entries=unit.entry_count,  # type: ignore[attr-defined]
            complete=unit.complete_count,  # type: ignore[attr-defined]
            submitted=unit.submitted_count,  # type: ignore[attr-defined]
        )
    series_groups = [
        (series, list(group))
        for series, group in groupby(units, key=lambda u: u.series)
    ]
    from moderation.selectors import visible_report_unit_ids

    report_unit_ids = visible_report_unit_ids(
        centre=request.centre, today=timezone.localdate()
    )
    return render(
        request,
        "iamis/index.html",
        {"series_groups": series_groups, "report_unit_ids": report_unit_ids},
    )


@require_safe
@iamis_required
def dashboard(request: CentreRequest) -> HttpResponse:
    """Every sheet of the open series and where it stands, most urgent first."""
    show = request.GET.get("show", "mine")
    show = show if show in sheets_dashboard.SHOW_CHOICES else "mine"
    today = timezone.localdate()
    rows = sheets_dashboard.dashboard_rows(
        membership=request.membership, today=today, show=show
    )
    return render(
        request,
        "iamis/dashboard.html",
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
    tasks = list(unit.tasks.all())
    entries = selectors.marksheet_rows(
        centre=request.centre,
        unit=unit,
        show=options["show"],
        search=options["q"],
        sort=options["sort"],
    )
    per_page = 100_000 if options["rows"] == "all" else int(options["rows"])
    page = Paginator(entries, per_page).get_page(request.GET.get("page"))
    overrides = rows_override or {}
    prefix = cell_url_prefix(unit)
    rows = [
        overrides.get(entry.candidate.number) or build_row(entry, unit, tasks, prefix)
        for entry in page
    ]
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
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
    }


def cell_url_prefix(unit: Unit) -> str:
    """The inline-save URL without its candidate number, reversed once per page."""
    url = reverse("iamis:mark_cell", args=[unit.public_id, 0])
    return url.removesuffix("0/")


def _field_names(unit: Unit, tasks: list[Task]) -> list[str]:
    fields = ["grade"] if unit.is_outcome_unit else [f"task-{t.number}" for t in tasks]
    return [*fields, "initials"] if unit.initials_required else fields


@require_http_methods(["GET", "POST"])
@iamis_required
def marksheet(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    """The marksheet. Without JavaScript it is one form that saves every changed cell."""
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    if request.method == "GET":
        return render(request, "iamis/marksheet.html", _sheet_context(request, unit))

    tasks = list(unit.tasks.all())
    numbers = [int(n) for n in request.POST.getlist("candidate") if n.isdigit()]
    entries = selectors.sheet_entries(centre=request.centre, unit=unit, numbers=numbers)
    problems: dict[int, Row] = {}
    saved = 0
    for entry in entries:
        number = entry.candidate.number
        version = _int_or_none(request.POST.get(f"v-{number}"))
        current = build_row(entry, unit, tasks)
        for field_name in _field_names(unit, tasks):
            key = f"m-{number}-{field_name}"
            if key not in request.POST:
                continue
            typed = request.POST[key]
            shown = (
                current.initials
                if field_name == "initials"
                else next((c for c in current.cells if c.field == field_name), None)
            )
            if shown is not None and typed.strip() == shown.value:
                continue
            result = marks.mark_save_cell(
                centre=request.centre,
                entry=entry,
                field=field_name,
                raw_value=typed,
                seen_version=version,
                confirm_absent=request.POST.get(f"confirm-absent-{number}") == "1",
                acting_user=request.user,
                tasks=tasks,
            )
            if result.saved:
                saved += 1
                version = result.mark.version if result.mark else version
                if result.mark is not None:
                    entry.mark = result.mark
            elif number not in problems:
                # The first problem of a row is shown; the row's other cells still save.
                problems[number] = row_after_save(
                    entry,
                    unit,
                    tasks,
                    field_name=field_name,
                    typed=typed,
                    result=result,
                )
    if problems:
        messages.error(
            request,
            _("%(saved)d value(s) saved; %(count)d row(s) need attention below.")
            % {"saved": saved, "count": len(problems)},
        )
        return render(
            request, "iamis/marksheet.html", _sheet_context(request, unit, problems)
        )
    messages.success(request, _("%(saved)d value(s) saved.") % {"saved": saved})
    if "save_close" in request.POST:
        return redirect("iamis:index")
    return redirect(request.get_full_path())


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@iamis_required
def mark_cell(request: CentreRequest, unit_id: UUID, candidate_no: int) -> HttpResponse:
    """Save one cell inline (htmx) and answer with the row; GET answers the row as it is."""
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    entry = selectors.access_entry(
        centre=request.centre, unit=unit, candidate_no=candidate_no
    )
    tasks = list(unit.tasks.all())
    prefix = cell_url_prefix(unit)
    if request.method == "GET":
        row = build_row(entry, unit, tasks, prefix)
    else:
        field_name = request.POST.get("field", "")
        typed = request.POST.get(
            f"m-{candidate_no}-{field_name}", request.POST.get("value", "")
        )
        result = marks.mark_save_cell(
            centre=request.centre,
            entry=entry,
            field=field_name,
            raw_value=typed,
            seen_version=_int_or_none(request.POST.get(f"v-{candidate_no}")),
            confirm_absent=request.POST.get("confirm") == "1",
            acting_user=request.user,
            tasks=tasks,
        )
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
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    return render(
        request,
        "iamis/marksheet.html#mark-row",
        {"row": row, "unit": unit, "tasks": tasks, "progress": progress},
    )


@require_http_methods(["GET", "POST"])
@iamis_required
def submit(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    error = ""
    if request.method == "POST":
        try:
            submission = marks.marks_submit(
                centre=request.centre,
                unit=unit,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            return redirect(
                "iamis:submitted",
                unit_id=unit.public_id,
                submission_id=submission.public_id,
            )
    return render(
        request,
        "iamis/submit_confirm.html",
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
        request, "iamis/submitted.html", {"unit": unit, "submission": submission}
    )


@require_safe
@iamis_required
def moderator_details(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    progress = selectors.sheet_progress(centre=request.centre, unit=unit)
    allocation = selectors.moderator_for(centre=request.centre, unit=unit)
    return render(
        request,
        "iamis/moderator_details.html",
        {"unit": unit, "allocation": allocation, "submitted": progress.submitted > 0},
    )


@require_safe
@iamis_required
def print_marksheet(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    unit = selectors.access_unit(membership=request.membership, unit_id=unit_id)
    tasks = list(unit.tasks.all())
    entries = selectors.marksheet_rows(centre=request.centre, unit=unit)
    rows = [build_row(entry, unit, tasks) for entry in entries]
    return render(
        request,
        "iamis/print.html",
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
    from moderation.selectors import current_corrections

    corrections = current_corrections(centre=request.centre, entries=entries)
    history = selectors.mark_history(centre=request.centre, entries=entries)
    return render(
        request,
        "iamis/candidate_detail.html",
        {
            "candidate": candidate,
            "entries": [
                (e, getattr(e, "mark", None), corrections.get(e.pk)) for e in entries
            ],
            "history": history,
        },
    )
