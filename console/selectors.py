"""Reads for the board's console. Board staff see every centre: these queries are not
scoped to one (the tenancy scope of a staff request is the whole board)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from iamis.models import Entry
from moderation.models import ModerationOutcome
from moderation.moderated import moderated_sample
from moderation.selectors import OutcomeRow, outcome_rows
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
