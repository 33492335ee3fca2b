"""Reads for the board's console. Board staff see every centre: these queries are not
scoped to one (the tenancy scope of a staff request is the whole board)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404

from centres.models import ModeratorAllocation
from iamis.models import Entry, MarkChangeRequest, Series, Unit
from moderation.models import ModerationOutcome
from moderation.moderated import moderated_sample
from moderation.selectors import OutcomeRow, outcome_rows, with_progress
from moderation.services.outcomes import snapshot_matches


def outcomes_awaiting() -> QuerySet[ModerationOutcome]:
    """Proposals waiting for a decision, oldest first, in one query."""
    return (
        ModerationOutcome.objects.filter(status=ModerationOutcome.Status.PROPOSED)
        .select_related("centre", "unit__series", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def access_outcome(*, outcome_id: UUID) -> ModerationOutcome:
    return get_object_or_404(
        ModerationOutcome.objects.select_related(
            "centre", "unit__series", "proposed_by", "decided_by"
        ),
        public_id=outcome_id,
    )


@dataclass
class PairRow:
    entry: Entry
    centre: int | str | None
    moderator: int | str | None
    tolerance: int

    @property
    def outside(self) -> bool:
        difference = self.difference
        return difference is not None and abs(difference) > self.tolerance

    @property
    def difference(self) -> int | None:
        if isinstance(self.centre, int) and isinstance(self.moderator, int):
            return self.moderator - self.centre
        return None


@dataclass
class OutcomeReview:
    outcome: ModerationOutcome
    rows: list[OutcomeRow]
    pairs: list[PairRow]
    # False when the centre's or moderator's marks changed since the proposal.
    current: bool

    @property
    def differing_grades(self) -> list[PairRow]:
        return [p for p in self.pairs if p.centre != p.moderator]


def outcome_review(outcome: ModerationOutcome) -> OutcomeReview:
    rows = outcome_rows(outcome)
    by_id = {row.entry.pk: row.entry for row in rows}
    pairs = [
        PairRow(
            entry=by_id[entry_id],
            centre=centre,
            moderator=moderator,
            tolerance=outcome.tolerance,
        )
        for entry_id, centre, moderator in outcome.pairs
        if entry_id in by_id
    ]
    pairs.sort(key=lambda p: p.entry.candidate.number)
    current = True
    if outcome.status == ModerationOutcome.Status.PROPOSED:
        snapshot = moderated_sample(centre=outcome.centre, unit=outcome.unit).snapshot()
        current = snapshot is not None and snapshot_matches(snapshot, outcome)
    return OutcomeReview(outcome=outcome, rows=rows, pairs=pairs, current=current)


def series_list() -> QuerySet[Series]:
    """Every series, newest results day first (the console's choice of series)."""
    return Series.objects.order_by("-results_day", "name")


def series_progress(*, series: Series) -> QuerySet[ModeratorAllocation]:
    """Every allocation of the series with its progress, in one query."""
    return with_progress(
        ModeratorAllocation.objects.filter(unit__series=series)
    ).order_by("unit__code", "centre__number")


def results_before_deadline() -> QuerySet[Unit]:
    """Units whose series' results day comes before the unit's sample deadline: the
    moderation could not finish in time (one query)."""
    return (
        Unit.objects.filter(sample_deadline__gt=F("series__results_day"))
        .select_related("series")
        .order_by("series__results_day", "code")
    )


def change_requests_waiting() -> QuerySet[MarkChangeRequest]:
    """Mark change requests waiting for the board, oldest first (one query)."""
    return (
        MarkChangeRequest.objects.filter(status=MarkChangeRequest.Status.PENDING)
        .select_related("centre", "entry__candidate", "entry__unit", "requested_by")
        .order_by("requested_at", "pk")
    )


def access_change_request(*, request_id: UUID) -> MarkChangeRequest:
    return get_object_or_404(
        MarkChangeRequest.objects.select_related(
            "centre",
            "entry__candidate",
            "entry__unit__series",
            "requested_by",
            "decided_by",
        ),
        public_id=request_id,
    )
