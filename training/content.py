"""Loading training content from a data file (JSON), as board staff would author it in
the back office. Loading the same file again updates in place and adds nothing twice:
everything is found by its natural key (role code; year label; assessment code; section,
statement and question numbers)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import (
    AcademicYear,
    Assessment,
    Link,
    Option,
    Question,
    Section,
    StaffRole,
    Statement,
)


def _year(label: str) -> AcademicYear:
    start = int(label.split("/")[0])
    year, _created = AcademicYear.objects.get_or_create(
        label=label,
        defaults={"starts_on": date(start, 8, 1), "ends_on": date(start + 1, 7, 31)},
    )
    return year


@transaction.atomic
def content_load(
    data: dict[str, Any], *, publish: bool = False, year_label: str | None = None
) -> AcademicYear:
    """Load the file's content into its year, or into `year_label` (the demo uses the
    academic year running today)."""
    for role in data.get("roles", []):
        StaffRole.objects.update_or_create(
            code=role["code"], defaults={"name": role["name"]}
        )
    year = _year(year_label or data["year"])
    if publish and year.published_at is None:
        year.published_at = timezone.now()
        year.save(update_fields=["published_at"])
    for position, spec in enumerate(data.get("assessments", [])):
        assessment, _created = Assessment.objects.update_or_create(
            year=year,
            code=spec["code"],
            defaults={
                "label": spec.get("label", ""),
                "title": spec["title"],
                "declaration": spec["declaration"],
                "position": position,
            },
        )
        assessment.roles.set(StaffRole.objects.filter(code__in=spec["roles"]))
        for number, section_spec in enumerate(spec["sections"], start=1):
            _section(assessment, number, section_spec)
    return year


class ContentError(ValueError):
    """The data file describes a section nobody could pass."""


def _check(assessment: Assessment, number: int, spec: dict[str, Any]) -> None:
    where = f"{assessment.code}, section {number}"
    questions = spec.get("questions", [])
    if not questions:
        raise ContentError(f"{where}: a section needs questions")
    if not 1 <= spec["pass_mark"] <= len(questions):
        raise ContentError(f"{where}: the pass mark must be 1 to {len(questions)}")
    for n, question in enumerate(questions, start=1):
        if not 0 <= question["answer"] < len(question["options"]):
            raise ContentError(f"{where}, question {n}: the answer is not an option")


def _section(assessment: Assessment, number: int, spec: dict[str, Any]) -> None:
    _check(assessment, number, spec)
    section, _created = Section.objects.update_or_create(
        assessment=assessment,
        number=number,
        defaults={
            "title": spec["title"],
            "training_text": spec.get("training", ""),
            "pass_mark": spec["pass_mark"],
        },
    )
    section.links.all().delete()
    Link.objects.bulk_create(
        Link(
            section=section, kind=kind, title=link["title"], url=link["url"], position=i
        )
        for kind, key in (("reference", "references"), ("video", "videos"))
        for i, link in enumerate(spec.get(key, []))
    )
    for n, text in enumerate(spec.get("statements", []), start=1):
        Statement.objects.update_or_create(
            section=section, number=n, defaults={"text": text}
        )
    for n, q in enumerate(spec.get("questions", []), start=1):
        question, _created = Question.objects.update_or_create(
            section=section,
            number=n,
            defaults={
                "text": q["text"],
                "reference_title": q["reference"],
                "reference_url": q.get("reference_url", ""),
            },
        )
        # Options are replaced only while nobody has answered the question.
        if not question.options.filter(pk__in=_answered(question)).exists():
            question.options.all().delete()
            Option.objects.bulk_create(
                Option(
                    question=question,
                    position=i,
                    text=text,
                    is_correct=(i == q["answer"]),
                )
                for i, text in enumerate(q["options"])
            )


def _answered(question: Question) -> Any:
    from .models import Answer

    return Answer.objects.filter(question=question).values("option_id")


def content_load_file(
    path: Path, *, publish: bool = False, year_label: str | None = None
) -> AcademicYear:
    data = json.loads(path.read_text(encoding="utf-8"))
    return content_load(data, publish=publish, year_label=year_label)


DEFAULT_CONTENT = Path(__file__).resolve().parent / "data" / "training_2026_27.json"
