"""Scoped reads for samples."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from centres.models import Centre
from iamis.models import Entry, Mark, Unit

from .models import Sample, SampleMember

if TYPE_CHECKING:
    from centres.models import Membership


def sample_for(*, centre: Centre, unit: Unit) -> Sample | None:
    return (
        Sample.objects.filter(centre=centre, unit=unit)
        .select_related("unit", "submission")
        .first()
    )


def sample_status(*, membership: Membership, unit_id: UUID) -> str | None:
    """The status of the centre's sample of a unit this member may open, in one query;
    None when there is none or the unit is not theirs (the full page then says which)."""
    from iamis.selectors import unit_named_for_member

    return (
        Sample.objects.filter(
            centre=membership.centre,
            unit__in=unit_named_for_member(membership=membership, unit_id=unit_id),
        )
        .values_list("status", flat=True)
        .first()
    )


def sample_members(*, sample: Sample) -> QuerySet[SampleMember]:
    return (
        SampleMember.objects.filter(sample=sample, centre=sample.centre)
        .select_related("entry__candidate", "entry__mark", "replaces__entry__candidate")
        .order_by("rank", "entry__candidate__number")
    )


def sheet_for_sampling(
    *, centre: Centre, unit: Unit, sample: Sample
) -> QuerySet[Entry]:
    """Every entry of the sheet with its mark and (if any) its sample membership."""
    return (
        Entry.objects.filter(centre=centre, unit=unit)
        .select_related("candidate", "mark")
        .prefetch_related(
            Prefetch(
                "sample_members",
                queryset=SampleMember.objects.filter(sample=sample).select_related(
                    "replaces__entry__candidate"
                ),
                to_attr="membership",
            )
        )
        .order_by("candidate__number")
    )


def access_member(*, sample: Sample, candidate_no: int) -> SampleMember:
    return get_object_or_404(
        SampleMember.objects.select_related("entry__candidate", "entry__mark"),
        sample=sample,
        centre=sample.centre,
        entry__candidate__number=candidate_no,
    )


def eligible(mark: Mark | None) -> bool:
    return bool(mark and mark.is_locked and mark.status == Mark.Status.MARKED)
