"""What the reports show, read once and used by the HTML preview, the fingerprint and the
PDF alike, so all three agree.

The candidate details report follows the guide: centre, unit, then #, candidate number,
name, date of birth, mark (Max) or grade, teacher initials and Sample, in candidate-number
order. A clerical correction in force replaces the centre's value (the guides: "the
amended mark ... will be processed to override the original mark") and is flagged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, Max, OuterRef, Subquery, Sum

from centres.models import Centre
from iamis.models import Entry, Unit
from iamis.services.marks import value_display
from moderation.models import (
    ClericalCorrection,
    ModerationOutcome,
    ModeratorReport,
)
from sampling.models import SampleMember


@dataclass(frozen=True)
class DetailRow:
    index: int
    number: str
    name: str
    date_of_birth: str
    value: str
    original: str  # the centre's value when a correction replaces it, else ""
    initials: str
    in_sample: bool

    @property
    def amended(self) -> bool:
        return bool(self.original)


def _dob(value: date | None) -> str:
    # The guide prints dates of birth as DDMMYY ("010101").
    return value.strftime("%d%m%y") if value else ""


def candidate_details(*, centre: Centre, unit: Unit) -> list[DetailRow]:
    """Every entry of the centre's unit in candidate-number order, in one query."""
    current = ClericalCorrection.objects.filter(entry=OuterRef("pk"), is_current=True)
    in_sample = SampleMember.objects.filter(
        entry=OuterRef("pk"), sample__centre=centre, sample__unit=unit
    )
    values = (
        Entry.objects.filter(centre=centre, unit=unit)
        .annotate(
            corrected_total=Subquery(current.values("total")[:1]),
            corrected_grade=Subquery(current.values("grade")[:1]),
            sampled=Exists(in_sample),
        )
        .order_by("candidate__number")
        .values_list(
            "candidate__number",
            "candidate__surname",
            "candidate__forename",
            "candidate__date_of_birth",
            "mark__status",
            "mark__total",
            "mark__grade",
            "mark__initials",
            "corrected_total",
            "corrected_grade",
            "sampled",
        )
    )
    rows = []
    for index, row in enumerate(values, start=1):
        (number, surname, forename, dob, status, total, grade, initials) = row[:8]
        corrected_total, corrected_grade, sampled = row[8:]
        centre_value = value_display({"status": status, "total": total, "grade": grade})
        corrected = corrected_grade or (
            "" if corrected_total is None else str(corrected_total)
        )
        rows.append(
            DetailRow(
                index=index,
                number=f"{number:04d}",
                name=f"{surname.upper()}: {forename.upper()}",
                date_of_birth=_dob(dob),
                value=corrected or centre_value,
                original=centre_value if corrected else "",
                initials=initials or "",
                in_sample=bool(sampled),
            )
        )
    return rows


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def unit_heading(unit: Unit) -> dict[str, object]:
    tasks = list(unit.tasks.values_list("number", "max_mark"))
    return {
        "series": unit.series.name,
        "title": unit.title,
        "code": unit.code,
        "outcomes": unit.is_outcome_unit,
        "max_total": sum(m for _n, m in tasks),
        "initials": unit.initials_required,
    }


def candidate_details_fingerprint(*, centre: Centre, unit: Unit) -> str:
    """What the report's content depends on, read without building the rows, so asking
    for a PDF stays quick whatever the cohort: every mark save bumps its version and
    time, every correction and sample change adds or removes a row, and the candidates'
    names and dates of birth (which the board may correct) are read as they are."""
    marks = Entry.objects.filter(centre=centre, unit=unit).aggregate(
        entries=Count("pk"),
        last_entry=Max("pk"),
        marks=Count("mark"),
        versions=Sum("mark__version"),
        changed=Max("mark__updated_at"),
    )
    corrections = ClericalCorrection.objects.filter(
        centre=centre, unit=unit, is_current=True
    ).aggregate(count=Count("pk"), last=Max("pk"))
    members = SampleMember.objects.filter(
        sample__centre=centre, sample__unit=unit
    ).aggregate(count=Count("pk"), last=Max("pk"))
    candidates = list(
        Entry.objects.filter(centre=centre, unit=unit)
        .order_by("candidate__number")
        .values_list(
            "candidate__number",
            "candidate__surname",
            "candidate__forename",
            "candidate__date_of_birth",
        )
    )
    return _digest(
        {
            "centre": [centre.number, centre.name],
            "unit": unit_heading(unit),
            "candidates": candidates,
            "marks": marks,
            "corrections": corrections,
            "members": members,
        }
    )


def moderator_report_fingerprint(
    *, report: ModeratorReport, outcome: ModerationOutcome | None = None
) -> str:
    return _digest(
        {
            "outcome_in_force": (
                [outcome.version, outcome.reason, outcome.finals] if outcome else None
            ),
            "centre": [report.centre.number, report.centre.name],
            "unit": unit_heading(report.unit),
            "moderator": report.moderator.get_full_name(),
            "outcome": report.outcome,
            "sections": [getattr(report, name) for name in ModeratorReport.SECTIONS],
            "published_at": report.published_at,
        }
    )
