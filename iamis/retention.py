"""Erasing candidates' personal data once all their series are past retention."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .models import Candidate, Entry


def candidates_due(*, results_on_or_before: date) -> QuerySet[Candidate]:
    """Candidates not yet erased who have entries, every one of them in a series with
    results on or before the date."""
    entered = Entry.objects.filter(candidate=OuterRef("pk"))
    later_entry = entered.filter(unit__series__results_day__gt=results_on_or_before)
    return Candidate.objects.filter(
        Exists(entered), personal_data_removed_at__isnull=True
    ).exclude(Exists(later_entry))


def candidates_past_retention(*, results_on_or_before: date) -> int:
    """Blank the name and date of birth of the candidates due. Candidate numbers,
    entries and marks are kept. Returns the number of candidates erased."""
    due = candidates_due(results_on_or_before=results_on_or_before)
    return Candidate.objects.filter(pk__in=due.values("pk")).update(
        surname="",
        forename="",
        date_of_birth=None,
        personal_data_removed_at=timezone.now(),
    )
