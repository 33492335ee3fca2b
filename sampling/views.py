"""View samples: the chosen candidates and why; add, take out (centre additions only) and
substitute lost work. While the sample is being generated the page polls (htmx)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from centres.tenancy import CentreRequest, iamis_required
from common.polling import is_background_poll
from common.service_errors import service_message
from iamis import selectors as iamis_selectors
from iamis.models import Entry, Mark, Unit

from . import selectors, services
from .models import Sample, SampleMember


@dataclass
class SampleRow:
    entry: Entry
    mark: Mark | None
    member: SampleMember | None
    reasons: list[str]
    can_add: bool
    can_remove: bool
    can_substitute: bool
    replaced_by: SampleMember | None = None


def _rows(
    request: CentreRequest, unit: Unit, sample: Sample, show: str
) -> list[SampleRow]:
    entries = list(
        selectors.sheet_for_sampling(centre=request.centre, unit=unit, sample=sample)
    )
    members = [m for e in entries for m in e.membership]  # type: ignore[attr-defined]
    replaced_by = {m.replaces_id: m for m in members if m.replaces_id}
    rows = []
    for entry in entries:
        member = entry.membership[0] if entry.membership else None  # type: ignore[attr-defined]
        if show == "samples" and member is None:
            continue
        mark = getattr(entry, "mark", None)
        rows.append(
            SampleRow(
                entry=entry,
                mark=mark,
                member=member,
                reasons=services.reasons_in_words(
                    member, outcome_unit=unit.is_outcome_unit
                )
                if member
                else [],
                can_add=member is None and selectors.eligible(mark),
                can_remove=bool(member and member.origin == SampleMember.Origin.CENTRE),
                can_substitute=bool(member and not member.work_unavailable),
                replaced_by=replaced_by.get(member.pk) if member else None,
            )
        )
    if show == "samples":
        # The sample is read in the rule's rank order, highest first; the whole sheet
        # (Show: All) stays in candidate number order like the marksheet.
        rows = services.in_rank_order(
            unit,
            rows,
            mark_of=lambda row: row.mark,
            number_of=lambda row: row.entry.candidate.number,
        )
    return rows


def _show(request: CentreRequest) -> str:
    return "all" if request.GET.get("show") == "all" else "samples"


def _context(request: CentreRequest, unit: Unit) -> dict[str, object]:
    sample = selectors.sample_for(centre=request.centre, unit=unit)
    show = _show(request)
    rows = (
        _rows(request, unit, sample, show)
        if sample and sample.status == Sample.Status.READY
        else []
    )
    return {
        "unit": unit,
        "sample": sample,
        "rows": rows,
        "show": show,
        # Every member has its row (either Show), so no COUNT query is needed. A member
        # whose work is unavailable stays listed, flagged, but is not counted: its
        # substitute is, so the count is the candidates whose work is to be seen.
        "member_count": sum(
            row.member is not None and not row.member.work_unavailable for row in rows
        ),
    }


@require_safe
@iamis_required
def samples(request: CentreRequest, unit_id: UUID) -> HttpResponse:
    if request.htmx and is_background_poll(request):
        status = selectors.sample_status(membership=request.membership, unit_id=unit_id)
        if status == Sample.Status.PENDING:
            # Still generating: the same small notice again, from one query.
            return render(
                request,
                "sampling/samples.html#sample-panel",
                {
                    "unit": {"public_id": unit_id},
                    "sample": {"status": status},
                    "show": _show(request),
                },
            )
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    context = _context(request, unit)
    if request.htmx:
        return render(request, "sampling/samples.html#sample-panel", context)
    return render(request, "sampling/samples.html", context)


def _back(unit: Unit, show: str = "samples") -> str:
    return f"{reverse('sampling:samples', args=[unit.public_id])}?show={show}"


def _ready_sample(request: CentreRequest, unit: Unit) -> Sample | None:
    sample = selectors.sample_for(centre=request.centre, unit=unit)
    return sample if sample and sample.status == Sample.Status.READY else None


def _change_membership(
    request: CentreRequest,
    unit_id: UUID,
    candidate_no: int,
    *,
    change: Callable[..., object],
    done: str,
    default_show: str,
) -> HttpResponse:
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    entry = iamis_selectors.access_entry(
        centre=request.centre, unit=unit, candidate_no=candidate_no
    )
    sample = _ready_sample(request, unit)
    try:
        if sample is None:
            raise ValidationError(_("There is no sample yet."))
        change(sample=sample, entry=entry, acting_user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, service_message(error))
    else:
        messages.success(request, done % {"number": entry.candidate.display_number})
    return redirect(_back(unit, request.POST.get("show", default_show)))


@require_POST
@iamis_required
def member_add(
    request: CentreRequest, unit_id: UUID, candidate_no: int
) -> HttpResponse:
    return _change_membership(
        request,
        unit_id,
        candidate_no,
        change=services.sample_add,
        done=_("%(number)s added to the sample."),
        default_show="all",
    )


@require_POST
@iamis_required
def member_remove(
    request: CentreRequest, unit_id: UUID, candidate_no: int
) -> HttpResponse:
    return _change_membership(
        request,
        unit_id,
        candidate_no,
        change=services.sample_remove,
        done=_("%(number)s taken out of the sample."),
        default_show="samples",
    )


@require_http_methods(["GET", "POST"])
@iamis_required
def substitute(
    request: CentreRequest, unit_id: UUID, candidate_no: int
) -> HttpResponse:
    """Lost or incomplete work: choose the nearest candidate above or below, with a note."""
    unit = iamis_selectors.access_unit(membership=request.membership, unit_id=unit_id)
    sample = _ready_sample(request, unit)
    if sample is None:
        return redirect(_back(unit))
    member = selectors.access_member(sample=sample, candidate_no=candidate_no)
    options = services.substitute_options(sample=sample, member=member)
    error = ""
    note = ""
    if request.method == "POST":
        note = request.POST.get("note", "")
        choice = request.POST.get("replacement", "")
        replacement = next(
            (
                m.entry
                for m in (options.above, options.below)
                if m is not None and str(m.entry.candidate.number) == choice
            ),
            None,
        )
        try:
            if replacement is None:
                raise ValidationError(
                    _("Choose the candidate whose work will replace it.")
                )
            services.sample_substitute(
                sample=sample,
                member=member,
                replacement=replacement,
                note=note,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = service_message(exc)
        else:
            messages.success(
                request,
                _("%(new)s replaces %(old)s in the sample.")
                % {
                    "new": replacement.candidate.display_number,
                    "old": member.entry.candidate.display_number,
                },
            )
            return redirect(_back(unit))
    return render(
        request,
        "sampling/substitute.html",
        {
            "unit": unit,
            "member": member,
            "options": options,
            "error": error,
            "note": note,
        },
    )
