"""Scoped reads for staff training.

A person's own progress is read through their membership; an exams officer (or Admin)
reads the staff of their own centre only. Anything else is the same 404 as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from centres.models import AccessGrant, Centre, Membership

from .models import (
    AcademicYear,
    Assessment,
    Attempt,
    Certificate,
    Option,
    Progress,
    Question,
    SectionProgress,
    StaffRole,
    TrainingProfile,
)


def profile_of(membership: Membership) -> TrainingProfile | None:
    return (
        TrainingProfile.objects.filter(membership=membership)
        .prefetch_related("roles")
        .first()
    )


def _given(membership: Membership, year: AcademicYear) -> QuerySet[Assessment]:
    """The year's assessments for the member's roles; exams officers and Admins may take
    every one."""
    assessments = Assessment.objects.filter(year=year)
    if not membership.is_centre_admin:
        assessments = assessments.filter(
            roles__in=TrainingProfile.roles.through.objects.filter(
                trainingprofile__membership=membership
            ).values("staffrole_id")
        ).distinct()
    return assessments


def visible_assessments(
    *, membership: Membership, year: AcademicYear | None
) -> QuerySet[Assessment]:
    """What the member may open: the current year's assessments for their roles, and
    any assessment they have progress on (archived years, read-only)."""
    started = Progress.objects.filter(membership=membership).values("assessment_id")
    given = _given(membership, year).values("pk") if year else Assessment.objects.none()
    return Assessment.objects.filter(Q(pk__in=given) | Q(pk__in=started))


@dataclass
class AssessmentRow:
    assessment: Assessment
    progress: Progress | None
    sections: int
    passed: int

    @property
    def status(self) -> str:
        from django.utils.translation import gettext as _

        if self.progress is None or self.progress.declaration_accepted_at is None:
            return str(_("Not Started"))
        if self.progress.passed_at:
            return str(_("Passed"))
        return str(_("In Progress"))

    @property
    def certificate(self) -> Certificate | None:
        if self.progress is None:
            return None
        return getattr(self.progress, "certificate", None)


def assessment_rows(
    *, membership: Membership, assessments: QuerySet[Assessment]
) -> list[AssessmentRow]:
    """Each assessment with the member's progress and sections passed (3 queries)."""
    mine = Progress.objects.filter(membership=membership).select_related("certificate")
    listed = (
        assessments.select_related("year")
        .annotate(section_count=Count("sections", distinct=True))
        .prefetch_related(Prefetch("progress_rows", queryset=mine, to_attr="mine"))
        .order_by("-year__starts_on", "position", "title")
    )
    rows = []
    passed_counts = dict(
        SectionProgress.objects.filter(
            progress__membership=membership, passed_at__isnull=False
        )
        .values_list("progress_id")
        .annotate(n=Count("pk"))
    )
    for assessment in listed:
        progress = assessment.mine[0] if assessment.mine else None
        rows.append(
            AssessmentRow(
                assessment=assessment,
                progress=progress,
                sections=assessment.section_count,
                passed=passed_counts.get(progress.pk, 0) if progress else 0,
            )
        )
    return rows


def access_assessment(
    *, membership: Membership, year: AcademicYear | None, assessment_id: UUID
) -> Assessment:
    return get_object_or_404(
        visible_assessments(membership=membership, year=year).select_related("year"),
        public_id=assessment_id,
    )


def section_progress_rows(progress: Progress) -> list[SectionProgress]:
    return list(
        progress.sections.select_related("section")
        .annotate(
            questions=Count("section__questions", distinct=True),
            statements=Count("section__statements", distinct=True),
        )
        .order_by("section__number")
    )


def access_section_progress(*, progress: Progress, section_no: int) -> SectionProgress:
    return get_object_or_404(
        SectionProgress.objects.select_related("section", "progress__assessment__year"),
        progress=progress,
        section__number=section_no,
    )


# --- The exams officer's view of the centre's staff --------------------------------------


def staff_members(*, centre: Centre) -> QuerySet[Membership]:
    """Active members who take training: a training role, the training grant or
    progress of their own."""
    return (
        Membership.objects.filter(centre=centre, is_active=True)
        .filter(
            Q(training__isnull=False)
            | Q(grants__area=AccessGrant.Area.TRAINING)
            | Q(pk__in=Progress.objects.filter(centre=centre).values("membership_id"))
        )
        .select_related("user")
        .distinct()
        .order_by("user__last_name", "user__first_name", "user__email")
    )


@dataclass
class StaffRow:
    membership: Membership
    progress: dict[int, Progress] = field(default_factory=dict)
    # Assessments given to this person (their roles; exams officers and Admins: all).
    given: set[int] = field(default_factory=set)

    def cells(
        self, assessments: list[Assessment]
    ) -> list[tuple[Progress | None, bool]]:
        return [(self.progress.get(a.pk), a.pk in self.given) for a in assessments]


def staff_overview(
    *, centre: Centre, year: AcademicYear | None
) -> tuple[list[Assessment], list[StaffRow]]:
    """Every staff member's status on each of the year's assessments, and which ones
    their roles give them (5 queries)."""
    assessments = (
        list(
            Assessment.objects.filter(year=year)
            .prefetch_related("roles")
            .order_by("position", "title")
        )
        if year
        else []
    )
    rows = {m.pk: StaffRow(membership=m) for m in staff_members(centre=centre)}
    member_roles: dict[int, set[int]] = {}
    for membership_id, role_id in TrainingProfile.roles.through.objects.filter(
        trainingprofile__centre=centre
    ).values_list("trainingprofile__membership_id", "staffrole_id"):
        member_roles.setdefault(membership_id, set()).add(role_id)
    for row in rows.values():
        roles = member_roles.get(row.membership.pk, set())
        row.given = {
            a.pk
            for a in assessments
            if row.membership.is_centre_admin or roles & {r.pk for r in a.roles.all()}
        }
    for progress in Progress.objects.filter(
        centre=centre, assessment__in=assessments
    ).select_related("certificate"):
        owner = rows.get(progress.membership_id)
        if owner is not None:
            owner.progress[progress.assessment_id] = progress
    return assessments, list(rows.values())


@dataclass
class YearResults:
    """An earlier year's results at the centre, kept for inspection after the archive."""

    year: AcademicYear
    rows: list[Progress]


def staff_earlier_years(
    *, centre: Centre, year: AcademicYear | None
) -> list[YearResults]:
    """Every result from years before `year` (all of them while no year is current, as
    between the archive on 1 August and the board publishing the next year), newest
    first, with each person's sections passed, attempts and certificate (1 query).
    People who have since left the centre are kept: their certificates stay on file."""
    earlier = Progress.objects.filter(centre=centre)
    if year is not None:
        earlier = earlier.filter(assessment__year__starts_on__lt=year.starts_on)
    rows = (
        earlier.select_related("assessment__year", "membership__user", "certificate")
        .annotate(
            section_count=Count("assessment__sections", distinct=True),
            sections_passed=Count(
                "sections",
                filter=Q(sections__passed_at__isnull=False),
                distinct=True,
            ),
            attempt_count=Count("sections__attempts", distinct=True),
        )
        .order_by(
            "-assessment__year__starts_on",
            "membership__user__last_name",
            "membership__user__first_name",
            "membership__user__email",
            "assessment__position",
            "assessment__title",
        )
    )
    years: dict[int, YearResults] = {}
    for progress in rows:
        found = progress.assessment.year
        years.setdefault(found.pk, YearResults(year=found, rows=[])).rows.append(
            progress
        )
    return list(years.values())


def member_training_record(*, membership: Membership) -> list[Progress]:
    """The member's progress on every assessment, this year's and earlier years', with
    each section's mark and attempts (3 queries)."""
    attempts = Attempt.objects.order_by("number")
    sections = (
        SectionProgress.objects.select_related("section")
        .annotate(questions=Count("section__questions", distinct=True))
        .prefetch_related(Prefetch("attempts", queryset=attempts, to_attr="tries"))
        .order_by("section__number")
    )
    return list(
        Progress.objects.filter(membership=membership)
        .select_related("assessment__year", "certificate")
        .prefetch_related(Prefetch("sections", queryset=sections, to_attr="parts"))
        .order_by("-assessment__year__starts_on", "assessment__position")
    )


@dataclass(frozen=True)
class AnsweredQuestion:
    question: Question
    answer: Option | None

    @property
    def correct(self) -> bool:
        return self.answer is not None and self.answer.is_correct


def access_staff_attempt(*, centre: Centre, attempt_id: UUID) -> Attempt:
    """An attempt by any member of the centre (for its exams officer or Admins)."""
    return get_object_or_404(
        Attempt.objects.select_related(
            "section_progress__section",
            "section_progress__progress__assessment__year",
            "section_progress__progress__membership__user",
        ),
        section_progress__progress__centre=centre,
        public_id=attempt_id,
    )


def attempt_answers(attempt: Attempt) -> list[AnsweredQuestion]:
    """The attempt's questions in the order asked, each with the answer given."""
    given = {a.question_id: a.option for a in attempt.answers.select_related("option")}
    questions = Question.objects.in_bulk(attempt.question_ids)
    return [
        AnsweredQuestion(question=questions[pk], answer=given.get(pk))
        for pk in attempt.question_ids
        if pk in questions
    ]


def access_staff_member(*, centre: Centre, member_id: UUID) -> Membership:
    """Any active member of the centre (one not yet taking training can be given a
    role here)."""
    return get_object_or_404(
        Membership.objects.select_related("user"),
        centre=centre,
        is_active=True,
        public_id=member_id,
    )


def access_certificate(*, membership: Membership, certificate_id: UUID) -> Certificate:
    """The member's own certificate, or for an exams officer or Admin any certificate
    of their centre."""
    certificates = Certificate.objects.filter(centre=membership.centre).select_related(
        "progress__assessment__year", "progress__membership__user", "centre"
    )
    if not membership.is_centre_admin:
        certificates = certificates.filter(progress__membership=membership)
    certificate = certificates.filter(public_id=certificate_id).first()
    if certificate is None:
        raise Http404
    return certificate


@dataclass(frozen=True)
class CertificateRecord:
    """What a certificate states besides its holder, centre and assessment."""

    roles: list[str]
    passed_on: date
    mark: int | None
    out_of: int


def certificate_record(*, certificate: Certificate) -> CertificateRecord:
    """The roles the training was for, the date passed and the mark (2 queries).

    The roles are the holder's roles that the assessment is for; someone holding none of
    them (an exams officer or Admin may take any assessment) gets every role it is for.
    The mark is the questions answered right in all sections, out of all their
    questions; none while a section has no mark."""
    progress = certificate.progress
    held = TrainingProfile.roles.through.objects.filter(
        trainingprofile__membership_id=progress.membership_id, staffrole=OuterRef("pk")
    )
    roles = list(
        StaffRole.objects.filter(assessments=progress.assessment_id)
        .annotate(held=Exists(held))
        .order_by("name")
        .values_list("name", "held")
    )
    names = [name for name, is_held in roles if is_held] or [name for name, _h in roles]
    sections = list(
        SectionProgress.objects.filter(progress=progress)
        .annotate(questions=Count("section__questions"))
        .values_list("mark", "questions")
    )
    marks = [mark for mark, _q in sections]
    passed_at = progress.passed_at
    return CertificateRecord(
        roles=names,
        passed_on=(
            timezone.localdate(passed_at) if passed_at else certificate.issued_on
        ),
        mark=None if None in marks else sum(m for m in marks if m is not None),
        out_of=sum(questions for _m, questions in sections),
    )


def progress_of(*, membership: Membership, assessment: Assessment) -> Progress | None:
    """The member's attempt at the assessment, if they have started it."""
    return Progress.objects.filter(membership=membership, assessment=assessment).first()


def access_finished_attempt(*, item: SectionProgress, attempt_id: UUID) -> Attempt:
    """A finished attempt at the member's section (`item` is already theirs)."""
    return get_object_or_404(
        Attempt, section_progress=item, public_id=attempt_id, finished_at__isnull=False
    )


def attempt_questions(attempt: Attempt) -> list[Question]:
    """The attempt's questions with their options, in the attempt's order (a question
    the board has since removed is left out)."""
    ids = attempt.question_ids
    by_id = {
        q.pk: q for q in Question.objects.filter(pk__in=ids).prefetch_related("options")
    }
    return [by_id[i] for i in ids if i in by_id]


def attempt_answer_options(attempt: Attempt) -> dict[int, int]:
    """The option chosen for each question answered so far in the attempt."""
    return {a.question_id: a.option_id for a in attempt.answers.all()}
