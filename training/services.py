"""Writes for staff training: roles, the Terms of Use, declarations, the three steps of a
section, attempts, certificates and the yearly archive.

Every write on a person's progress refuses once the year is archived: archived attempts
are kept read-only for inspection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import AccessGrant
from common.board import board_name
from common.client_ip import client_ip
from common.files import pdf_store

from .models import (
    AcademicYear,
    Answer,
    Assessment,
    Attempt,
    Certificate,
    Option,
    Progress,
    Question,
    Section,
    SectionProgress,
    StaffRole,
    Statement,
    TermsAcceptance,
    TrainingProfile,
)
from .selectors import certificate_record

if TYPE_CHECKING:
    from accounts.models import User
    from centres.models import Membership

logger = logging.getLogger(__name__)


# --- Roles and terms -----------------------------------------------------------------------


def roles_assign(*, membership: Membership, role_codes: list[str]) -> TrainingProfile:
    """Give a centre member their training roles (replacing any they had). Roles give
    the training area: a member with a role can open their training."""
    with transaction.atomic():
        profile, _created = TrainingProfile.objects.get_or_create(
            membership=membership, defaults={"centre": membership.centre}
        )
        profile.roles.set(StaffRole.objects.filter(code__in=role_codes))
        if role_codes:
            AccessGrant.objects.get_or_create(
                membership=membership, area=AccessGrant.Area.TRAINING
            )
    return profile


def staff_roles_set(
    *,
    membership: Membership,
    role_codes: list[str],
    acting_user: User,
    request: HttpRequest | None = None,
) -> TrainingProfile:
    """The exams officer sets a member of staff's training roles (roles give the
    training area, `roles_assign`); the change is audited like any change of access."""
    with transaction.atomic():
        profile = roles_assign(membership=membership, role_codes=role_codes)
        audit_record(
            action=AuditEvent.Action.ACCESS_CHANGED,
            actor=acting_user,
            centre=membership.centre,
            target=membership.user.email,
            request=request,
            training_roles=role_codes,
        )
    return profile


def terms_accepted(user: User) -> bool:
    return TermsAcceptance.objects.filter(
        user=user, version=TermsAcceptance.VERSION
    ).exists()


def terms_accept(*, user: User, request: HttpRequest | None = None) -> TermsAcceptance:
    acceptance, _created = TermsAcceptance.objects.get_or_create(
        user=user,
        version=TermsAcceptance.VERSION,
        defaults={"ip_address": client_ip(request)},
    )
    return acceptance


# --- The year and what a person is given ----------------------------------------------------


def current_year(today: date | None = None) -> AcademicYear | None:
    """The published academic year running today (None before board staff publish it)."""
    today = today or timezone.localdate()
    return (
        AcademicYear.objects.filter(
            starts_on__lte=today,
            ends_on__gte=today,
            published_at__isnull=False,
            archived_at__isnull=True,
        )
        .order_by("-starts_on")
        .first()
    )


def _check_open(progress: Progress) -> None:
    # The year's end closes it even before the archive task has run.
    year = progress.assessment.year
    if (
        progress.archived_at is not None
        or year.archived_at is not None
        or timezone.localdate() > year.ends_on
    ):
        raise ValidationError(
            _(
                "This academic year's training has been archived: it can be viewed but "
                "no longer changed."
            )
        )


def progress_start(*, membership: Membership, assessment: Assessment) -> Progress:
    """The member's progress on an assessment, with a row for each section (made once)."""
    with transaction.atomic():
        progress, created = Progress.objects.get_or_create(
            membership=membership,
            assessment=assessment,
            defaults={"centre": membership.centre},
        )
        if created or progress.sections.count() != assessment.sections.count():
            have = set(progress.sections.values_list("section_id", flat=True))
            SectionProgress.objects.bulk_create(
                SectionProgress(progress=progress, section=section)
                for section in assessment.sections.all()
                if section.pk not in have
            )
    return progress


def declaration_accept(*, progress: Progress) -> Progress:
    _check_open(progress)
    if progress.declaration_accepted_at is None:
        progress.declaration_accepted_at = timezone.now()
        progress.save(update_fields=["declaration_accepted_at"])
    return progress


# --- Steps 1 and 2 ---------------------------------------------------------------------------


def training_mark_read(*, section_progress: SectionProgress) -> SectionProgress:
    _check_open(section_progress.progress)
    if section_progress.training_read_at is None:
        section_progress.training_read_at = timezone.now()
        section_progress.save(update_fields=["training_read_at"])
    return section_progress


def statement_confirm(
    *, section_progress: SectionProgress, statement: Statement
) -> SectionProgress:
    """Confirm one statement as "Aware"; the step completes when every one is."""
    _check_open(section_progress.progress)
    if statement.section_id != section_progress.section_id:
        raise ValidationError(_("That statement is not part of this section."))
    if section_progress.training_read_at is None:
        raise ValidationError(_("Complete Step 1 (Training) first."))
    with transaction.atomic():
        locked = SectionProgress.objects.select_for_update().get(pk=section_progress.pk)
        if statement.pk not in locked.aware_of:
            locked.aware_of = [*locked.aware_of, statement.pk]
        all_ids = set(
            Statement.objects.filter(section_id=locked.section_id).values_list(
                "pk", flat=True
            )
        )
        if all_ids <= set(locked.aware_of) and locked.self_assessed_at is None:
            locked.self_assessed_at = timezone.now()
        locked.save(update_fields=["aware_of", "self_assessed_at"])
    return locked


def steps_done(section_progress: SectionProgress) -> bool:
    """Whether the questions are open: steps 1 and 2 done, or an assessment-only
    section."""
    section = section_progress.section
    if section.assessment_only:
        return True
    return section_progress.training_read_at is not None and (
        section_progress.self_assessed_at is not None or not section.statements.exists()
    )


def pass_mark_of(section: Section, questions: int) -> int:
    """The section's pass mark, never more than its questions (a content slip must not
    make a section impossible to pass) and never below one."""
    return max(1, min(section.pass_mark, questions))


# --- Step 3: attempts ------------------------------------------------------------------------


def attempt_current(*, section_progress: SectionProgress) -> Attempt:
    """The open attempt, or a new one: every question the first time, afterwards only
    the questions whose latest answer was wrong."""
    _check_open(section_progress.progress)
    if section_progress.passed_at is not None:
        raise ValidationError(_("You have passed this section."))
    if not steps_done(section_progress):
        raise ValidationError(
            _("Complete Step 1 (Training) and Step 2 (Self-Assessment) first.")
        )
    with transaction.atomic():
        locked = SectionProgress.objects.select_for_update().get(pk=section_progress.pk)
        open_attempt = locked.attempts.filter(finished_at__isnull=True).first()
        if open_attempt is not None:
            return open_attempt
        questions = list(
            Question.objects.filter(section_id=locked.section_id).values_list(
                "pk", flat=True
            )
        )
        if locked.latest:
            questions = [q for q in questions if not locked.latest.get(str(q))]
        if not questions:
            raise ValidationError(
                _("This section has no questions to answer yet; please tell the board.")
            )
        return Attempt.objects.create(
            section_progress=locked,
            number=locked.attempts.count() + 1,
            question_ids=questions,
        )


def answer_save(*, attempt: Attempt, question: Question, option: Option) -> Answer:
    _check_open(attempt.section_progress.progress)
    if attempt.finished_at is not None:
        raise ValidationError(_("This attempt is finished."))
    if question.pk not in attempt.question_ids or option.question_id != question.pk:
        raise ValidationError(_("That answer does not belong to this question."))
    answer, _created = Answer.objects.update_or_create(
        attempt=attempt, question=question, defaults={"option": option}
    )
    return answer


def attempt_move(*, attempt: Attempt, position: int) -> Attempt:
    """Remember where the person is (Save Progress & Exit resumes here)."""
    position = max(0, min(position, len(attempt.question_ids) - 1))
    if attempt.position != position and attempt.finished_at is None:
        attempt.position = position
        attempt.save(update_fields=["position"])
    return attempt


@dataclass(frozen=True)
class Outcome:
    mark: int
    out_of: int
    passed: bool
    wrong: list[Question]


def attempt_finish(*, attempt: Attempt) -> Outcome:
    """Mark the attempt. The section's mark counts every question whose latest answer is
    right; it is passed at the section's pass mark. Passing every section issues the
    certificate."""
    progress = attempt.section_progress.progress
    _check_open(progress)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        answers = {
            a.question_id: a.option.is_correct
            for a in locked.answers.select_related("option")
        }
        unanswered = [q for q in locked.question_ids if q not in answers]
        if locked.finished_at is None and unanswered:
            raise ValidationError(
                _("Answer every question before you finish: %(n)d left.")
                % {"n": len(unanswered)}
            )
        section_progress = SectionProgress.objects.select_for_update().get(
            pk=locked.section_progress_id
        )
        if locked.finished_at is None:
            locked.finished_at = timezone.now()
            locked.correct = sum(1 for ok in answers.values() if ok)
            locked.save(update_fields=["finished_at", "correct"])
            section_progress.latest = {
                **section_progress.latest,
                **{str(q): answers[q] for q in locked.question_ids},
            }
        section = section_progress.section
        questions = section.questions.count()
        mark = sum(1 for ok in section_progress.latest.values() if ok)
        section_progress.mark = mark
        passed = mark >= pass_mark_of(section, questions)
        if passed and section_progress.passed_at is None:
            section_progress.passed_at = timezone.now()
        section_progress.save(update_fields=["latest", "mark", "passed_at"])
        if passed:
            _maybe_complete(progress)
    wrong_ids = [q for q in locked.question_ids if not answers.get(q)]
    return Outcome(
        mark=mark,
        out_of=questions,
        passed=passed,
        wrong=list(Question.objects.filter(pk__in=wrong_ids).order_by("number")),
    )


def _maybe_complete(progress: Progress) -> None:
    locked = Progress.objects.select_for_update().get(pk=progress.pk)
    if locked.passed_at is not None:
        return
    if locked.sections.filter(passed_at__isnull=True).exists():
        return
    locked.passed_at = timezone.now()
    locked.save(update_fields=["passed_at"])
    certificate_issue(progress=locked)


# --- Certificates ----------------------------------------------------------------------------


def certificate_issue(*, progress: Progress) -> Certificate:
    """The certificate for a passed assessment (once), its PDF queued for the worker."""
    from .tasks import render_certificate

    membership = progress.membership
    user = membership.user
    certificate, created = Certificate.objects.get_or_create(
        progress=progress,
        defaults={
            "centre": progress.centre,
            "person_name": user.get_full_name() or user.email,
            "issued_on": timezone.localdate(progress.passed_at or timezone.now()),
        },
    )
    if created:
        pk = certificate.pk
        transaction.on_commit(lambda: render_certificate.delay(pk))
    return certificate


def certificate_render(*, certificate_id: int) -> Certificate:
    """Render and store the PDF. Idempotent: a ready certificate is left alone; a rerun
    after a crash overwrites the same key."""
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related(
                "centre", "progress__assessment__year", "progress__membership__user"
            )
            .get(pk=certificate_id)
        )
        if certificate.status == Certificate.Status.READY:
            return certificate
        certificate.attempts += 1
        certificate.save(update_fields=["attempts"])
    key = f"certificates/{certificate.centre.number:05d}/{certificate.public_id}.pdf"
    stored = pdf_store(certificate_html(certificate=certificate), key)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.READY, storage_key=stored.key
    )
    certificate.refresh_from_db()
    return certificate


def certificate_html(*, certificate: Certificate) -> str:
    """The certificate as WeasyPrint renders it, in its holder's language."""
    language = certificate.progress.membership.user.language or "en"
    with translation.override(language):
        return render_to_string(
            "training/pdf/certificate.html",
            {
                "certificate": certificate,
                "assessment": certificate.progress.assessment,
                "centre": certificate.centre,
                "record": certificate_record(certificate=certificate),
                "issuer": board_name(),
            },
        )


def certificate_failed(*, certificate_id: int) -> None:
    Certificate.objects.filter(
        pk=certificate_id, status=Certificate.Status.PENDING
    ).update(status=Certificate.Status.FAILED)


# --- The yearly archive ----------------------------------------------------------------------


def years_archive(*, now: datetime | None = None) -> int:
    """Archive every year that has ended (run by beat from 1 August): its progress,
    attempts and certificates are kept, read-only. Years already archived are left
    alone, so running it twice changes nothing. Returns the progress rows archived."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    archived = 0
    for year in AcademicYear.objects.filter(
        ends_on__lt=today, archived_at__isnull=True
    ):
        with transaction.atomic():
            locked = AcademicYear.objects.select_for_update().get(pk=year.pk)
            if locked.archived_at is not None:
                continue
            archived += Progress.objects.filter(
                assessment__year=locked, archived_at__isnull=True
            ).update(archived_at=now)
            locked.archived_at = now
            locked.save(update_fields=["archived_at"])
    return archived
