"""The moderator's workspace: allocations, the sample with its files, clerical corrections,
further samples and the moderator report. Every view below the list loads the allocation
through `selectors.access_allocation`, so anything not allocated to the signed-in
moderator is a 404.

The centre's side of moderation (the published report) is in `views/centre.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from centres.models import ModeratorAllocation
from centres.tenancy import AuthenticatedRequest
from common.service_errors import service_message
from iamis import selectors as iamis_selectors
from iamis.models import Entry, Mark
from sampling import selectors as sampling_selectors
from sampling import services as sampling_services
from sampling.models import Sample, SampleMember
from uploads import downloads, zips
from uploads import selectors as upload_selectors
from uploads.models import EvidenceFile

from .. import selectors
from ..forms import FurtherSampleForm, ReportForm
from ..models import ClericalCorrection
from ..services import corrections, reports


def allocation_for(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> ModeratorAllocation:
    return selectors.access_allocation(
        moderator=request.user, centre_number=centre_number, unit_id=unit_id
    )


def allocation_args(allocation: ModeratorAllocation) -> list[object]:
    return [allocation.centre.number, allocation.unit.public_id]


@require_safe
@login_required
def allocations(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.is_moderator:
        raise PermissionDenied
    return render(
        request,
        "moderation/allocations.html",
        {"allocations": selectors.allocations_for(moderator=request.user)},
    )


@dataclass
class MemberRow:
    member: SampleMember
    reasons: list[str]
    files: list[EvidenceFile]
    correction: ClericalCorrection | None

    @property
    def entry(self) -> Entry:
        return self.member.entry

    @property
    def mark(self) -> Mark | None:
        return getattr(self.member.entry, "mark", None)


@require_safe
@login_required
def workspace(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    allocation = allocation_for(request, centre_number, unit_id)
    centre, unit = allocation.centre, allocation.unit
    progress = iamis_selectors.sheet_progress(centre=centre, unit=unit)
    sample = sampling_selectors.sample_for(centre=centre, unit=unit)
    ready = sample is not None and sample.status == Sample.Status.READY
    panel = upload_selectors.upload_panel(centre=centre, unit=unit)
    corrections = selectors.current_corrections(centre=centre, unit=unit)
    rows = (
        [
            MemberRow(
                member=member,
                reasons=sampling_services.reasons_in_words(
                    member, outcome_unit=unit.is_outcome_unit
                ),
                files=panel.files_for(member.entry_id),
                correction=corrections.get(member.entry_id),
            )
            for member in sampling_services.in_rank_order(
                unit,
                sampling_selectors.sample_members(sample=sample),
                mark_of=lambda member: getattr(member.entry, "mark", None),
                number_of=lambda member: member.entry.candidate.number,
            )
        ]
        if ready and sample is not None
        else []
    )
    expected = [r for r in rows if not r.member.work_unavailable]
    moderated = selectors.moderated_entry_ids(allocation=allocation) if ready else set()
    hidden = (
        {r.entry.pk for r in expected if r.entry.pk not in moderated}
        if unit.blind_moderation
        else set()
    )
    return render(
        request,
        "moderation/workspace.html",
        {
            "allocation": allocation,
            "centre": centre,
            "unit": unit,
            "progress": progress,
            "sample": sample,
            "ready": ready,
            "rows": rows,
            "with_files": sum(1 for r in expected if r.files),
            "moderated": sum(1 for r in expected if r.entry.pk in moderated),
            "hidden": hidden,
            "expected": len(expected),
            "panel": panel,
            "report": selectors.report_for(centre=centre, unit=unit),
            "further_form": FurtherSampleForm(unit=unit),
            "args": allocation_args(allocation),
        },
    )


@require_safe
@login_required
def marks(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    """Every candidate on the sheet, for clerical checks and naming further samples."""
    allocation = allocation_for(request, centre_number, unit_id)
    corrections = selectors.current_corrections(
        centre=allocation.centre, unit=allocation.unit
    )
    hidden = selectors.blind_hidden_entry_ids(allocation=allocation)
    entries = [
        (entry, getattr(entry, "mark", None), corrections.get(entry.pk))
        for entry in selectors.allocation_entries(allocation=allocation)
    ]
    return render(
        request,
        "moderation/marks.html",
        {
            "allocation": allocation,
            "unit": allocation.unit,
            "entries": entries,
            "hidden": hidden,
            "args": allocation_args(allocation),
        },
    )


@require_safe
@login_required
def file_download(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID, file_id: UUID
) -> HttpResponse:
    allocation = allocation_for(request, centre_number, unit_id)
    evidence = upload_selectors.access_file(
        centre=allocation.centre, unit=allocation.unit, file_id=file_id
    )
    refusal = upload_selectors.download_refusal(evidence, by_centre=False)
    if refusal:
        return downloads.withheld_response(
            request,
            message=refusal,
            back=reverse("moderation:workspace", args=allocation_args(allocation)),
        )
    return downloads.evidence_response(evidence)


@require_safe
@login_required
def sample_zip(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    """The whole sample as one zip, streamed (uploads.zips), read in a fixed number of
    queries before the first byte is sent. Like a single file's download, not audited."""
    allocation = allocation_for(request, centre_number, unit_id)
    centre, unit = allocation.centre, allocation.unit
    sample = sampling_selectors.sample_for(centre=centre, unit=unit)
    if sample is None or sample.status != Sample.Status.READY:
        messages.error(request, _("There is no sample for this unit yet."))
        return redirect("moderation:workspace", *allocation_args(allocation))
    return downloads.zip_response(
        zips.sample_zip(upload_selectors.sample_evidence(sample=sample)),
        filename=zips.sample_zip_name(centre=centre, unit=unit),
    )


@require_http_methods(["GET", "POST"])
@login_required
def correction(
    request: AuthenticatedRequest,
    centre_number: int,
    unit_id: UUID,
    candidate_no: int,
) -> HttpResponse:
    allocation = allocation_for(request, centre_number, unit_id)
    centre, unit = allocation.centre, allocation.unit
    entry = iamis_selectors.access_entry(
        centre=centre, unit=unit, candidate_no=candidate_no
    )
    if entry.pk in selectors.blind_hidden_entry_ids(allocation=allocation):
        messages.info(
            request,
            _(
                "Blind moderation: enter your own mark for candidate %(number)s first; "
                "then the centre's mark can be seen and corrected."
            )
            % {"number": entry.candidate.display_number},
        )
        return redirect("moderation:moderate", *allocation_args(allocation))
    tasks = list(unit.tasks.all())
    error = ""
    typed: dict[str, str] = {}
    if request.method == "POST":
        fields = (
            ["grade"]
            if unit.is_outcome_unit
            else [
                *(f"task-{t.number}" for t in tasks),
                "total",
            ]
        )
        typed = {name: request.POST.get(name, "") for name in fields}
        try:
            corrections.correction_make(
                allocation=allocation,
                entry=entry,
                typed=typed,
                note=request.POST.get("note", ""),
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = service_message(exc)
        else:
            messages.success(
                request,
                _(
                    "The clerical correction for candidate %(number)s was saved and "
                    "the centre has been told."
                )
                % {"number": entry.candidate.display_number},
            )
            page = (
                "moderation:marks"
                if request.POST.get("back") == "marks"
                else ("moderation:workspace")
            )
            return redirect(page, *allocation_args(allocation))
    mark = getattr(entry, "mark", None)
    centre_marks = mark.task_marks if mark and mark.status == Mark.Status.MARKED else {}
    task_fields = [
        (t, typed.get(f"task-{t.number}", ""), centre_marks.get(str(t.number), ""))
        for t in tasks
    ]
    return render(
        request,
        "moderation/correction.html",
        {
            "allocation": allocation,
            "unit": unit,
            "entry": entry,
            "mark": mark,
            "tasks": tasks,
            "task_fields": task_fields,
            "max_total": sum(t.max_mark for t in tasks),
            "current": selectors.current_corrections(centre=centre, unit=unit).get(
                entry.pk
            ),
            "history": selectors.entry_history(centre=centre, entry=entry),
            "results_out": timezone.localdate() >= unit.series.results_day,
            "typed": typed,
            "error": error,
            "back": "marks" if request.GET.get("back") == "marks" else "",
            "note": request.POST.get("note", "") if error else "",
            "args": allocation_args(allocation),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def further_sample(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    allocation = allocation_for(request, centre_number, unit_id)
    back = reverse("moderation:workspace", args=allocation_args(allocation))
    sample = sampling_selectors.sample_for(
        centre=allocation.centre, unit=allocation.unit
    )
    if sample is None or sample.status != Sample.Status.READY:
        messages.error(request, _("There is no sample for this unit yet."))
        return redirect(back)
    form = FurtherSampleForm(request.POST, unit=allocation.unit)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    try:
        added = sampling_services.sample_request_further(
            sample=sample,
            acting_user=request.user,
            candidate_numbers=data["candidates"] or None,
            k=data.get("count"),
            band=(data["low"], data["high"]) if data.get("count") else None,
            note=data.get("note", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, service_message(exc))
        return redirect(back)
    if added:
        messages.success(
            request,
            _("Further sample requested: %(numbers)s. The centre has been e-mailed.")
            % {"numbers": ", ".join(m.entry.candidate.display_number for m in added)},
        )
    else:
        messages.info(
            request, _("Those candidates are already in the sample: nothing was added.")
        )
    return redirect(back)


@require_http_methods(["GET", "POST"])
@login_required
def report_edit(
    request: AuthenticatedRequest, centre_number: int, unit_id: UUID
) -> HttpResponse:
    allocation = allocation_for(request, centre_number, unit_id)
    report = selectors.report_for(centre=allocation.centre, unit=allocation.unit)
    in_force = selectors.outcome_view(centre=allocation.centre, unit=allocation.unit)
    form = ReportForm(request.POST or None, instance=report)
    if in_force is not None:
        # The approved outcome says what the outcome is (shown below the form).
        del form.fields["outcome"]
    error = ""
    read_only = reports.report_read_only(allocation)
    if request.method == "POST" and read_only:
        error = _(
            "Results for this unit are released: the report can no longer be changed."
        )
    elif request.method == "POST" and form.is_valid():
        try:
            report = reports.report_save(
                allocation=allocation,
                data={k: str(v or "") for k, v in form.cleaned_data.items()},
                publish="publish" in request.POST,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = service_message(exc)
        else:
            messages.success(
                request,
                _("The report is published: the centre can read it from results day.")
                if report.is_published
                else _("The report was saved as a draft."),
            )
            return redirect("moderation:report", *allocation_args(allocation))
    return render(
        request,
        "moderation/report_form.html",
        {
            "allocation": allocation,
            "unit": allocation.unit,
            "report": report,
            "form": form,
            "error": error,
            "read_only": read_only,
            "outcome_view": in_force,
            "args": allocation_args(allocation),
        },
        status=400 if error else 200,
    )
