"""The training area for centre staff: Terms of Use, the assessments list, an
assessment's sections, and each section's three steps.

Views stay thin: access (selectors) -> service -> render. The exams officer's view of the
staff is in `views/staff.py`.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from audit.selectors import password_ever_changed
from centres.tenancy import CentreRequest
from common.files import stored_pdf_response
from common.service_errors import service_message

from .. import selectors, services
from ..access import safe_next, training_required
from ..models import (
    Assessment,
    Attempt,
    Option,
    Progress,
    Question,
    SectionProgress,
    Statement,
    TermsAcceptance,
)


@require_http_methods(["GET", "POST"])
@login_required
def terms(request: CentreRequest) -> HttpResponse:
    home = reverse("training:assessments")
    if request.method == "POST":
        if request.POST.get("agree") != "1":
            return render(
                request,
                "training/terms.html",
                {
                    "error": _("Tick the box to agree to the terms before you go on."),
                    "next": safe_next(request, home),
                },
                status=400,
            )
        services.terms_accept(user=request.user, request=request)
        messages.warning(
            request,
            _(
                "You are strongly advised to change your password to something more "
                "secure: open Your profile (top right) to change it."
            ),
        )
        return redirect(safe_next(request, home))
    return render(
        request,
        "training/terms.html",
        {"next": safe_next(request, home), "version": TermsAcceptance.VERSION},
    )


def _password_never_changed(request: CentreRequest) -> bool:
    return not password_ever_changed(user=request.user)


@require_safe
@training_required
def assessments(request: CentreRequest) -> HttpResponse:
    year = services.current_year()
    visible = selectors.visible_assessments(membership=request.membership, year=year)
    rows = selectors.assessment_rows(membership=request.membership, assessments=visible)
    current = [r for r in rows if year and r.assessment.year_id == year.pk]
    earlier = [r for r in rows if not (year and r.assessment.year_id == year.pk)]
    profile = selectors.profile_of(request.membership)
    return render(
        request,
        "training/assessments.html",
        {
            "year": year,
            "rows": current,
            "earlier": earlier,
            "roles": list(profile.roles.all()) if profile else [],
            "advise_password": _password_never_changed(request),
        },
    )


def _assessment(request: CentreRequest, assessment_id: UUID) -> Assessment:
    return selectors.access_assessment(
        membership=request.membership,
        year=services.current_year(),
        assessment_id=assessment_id,
    )


def _existing(request: CentreRequest, assessment: Assessment) -> Progress | None:
    return selectors.progress_of(membership=request.membership, assessment=assessment)


@require_http_methods(["GET", "POST"])
@training_required
def sections(request: CentreRequest, assessment_id: UUID) -> HttpResponse:
    """See Sections; the first time, the declaration must be accepted to go on."""
    assessment = _assessment(request, assessment_id)
    progress = _existing(request, assessment)
    if progress is None or progress.declaration_accepted_at is None:
        error = ""
        if request.method == "POST":
            if request.POST.get("confirm") != "1":
                error = _(
                    "Tick the box to confirm the declaration. If you cannot agree to "
                    "it, please speak to your exams officer."
                )
            elif assessment.year.archived_at is not None:
                error = _("This academic year's training has been archived.")
            else:
                progress = services.progress_start(
                    membership=request.membership, assessment=assessment
                )
                services.declaration_accept(progress=progress)
                return redirect("training:sections", assessment.public_id)
        return render(
            request,
            "training/declaration.html",
            {"assessment": assessment, "error": error},
            status=400 if error else 200,
        )
    return render(
        request,
        "training/sections.html",
        {
            "assessment": assessment,
            "progress": progress,
            "rows": selectors.section_progress_rows(progress),
        },
    )


def _section(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> SectionProgress:
    assessment = _assessment(request, assessment_id)
    progress = _existing(request, assessment)
    if progress is None or progress.declaration_accepted_at is None:
        raise Http404
    if progress.archived_at is None:
        # Sections the board added after this person started get their rows.
        services.progress_start(membership=request.membership, assessment=assessment)
    return selectors.access_section_progress(progress=progress, section_no=section_no)


def _percent(done: int, total: int) -> int:
    return done * 100 // total if total else 0


def _step_figures(item: SectionProgress) -> dict[str, int]:
    statements = item.section.statements.count()
    self_assessed = item.self_assessed_at is not None or not statements
    return {
        "training": 100 if item.training_read_at else 0,
        "self_assessment": 100
        if self_assessed
        else _percent(len(item.aware_of), statements),
        "assessment": 100
        if item.passed_at
        else _percent(item.mark or 0, item.section.questions.count()),
    }


@require_safe
@training_required
def section(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> HttpResponse:
    item = _section(request, assessment_id, section_no)
    return render(
        request,
        "training/section.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "figures": _step_figures(item),
            "questions_open": services.steps_done(item),
            "archived": item.progress.archived_at is not None,
        },
    )


def _back_to_section(item: SectionProgress) -> HttpResponse:
    return redirect(
        "training:section", item.progress.assessment.public_id, item.section.number
    )


@require_http_methods(["GET", "POST"])
@training_required
def training_step(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> HttpResponse:
    item = _section(request, assessment_id, section_no)
    if item.section.assessment_only:
        raise Http404
    if request.method == "POST":
        try:
            services.training_mark_read(section_progress=item)
        except ValidationError as exc:
            messages.error(request, service_message(exc))
        else:
            messages.success(request, _("Step 1 is complete."))
        return _back_to_section(item)
    return render(
        request,
        "training/step_training.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "references": item.section.links.filter(kind="reference"),
            "videos": item.section.links.filter(kind="video"),
        },
    )


@require_http_methods(["GET", "POST"])
@training_required
def self_assessment(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> HttpResponse:
    """One statement at a time: Aware confirms it, Next Statement moves on."""
    item = _section(request, assessment_id, section_no)
    if item.section.assessment_only:
        raise Http404
    statements = list(item.section.statements.all())
    if request.method == "POST":
        statement = get_object_or_404(
            Statement, section=item.section, pk=_int(request.POST.get("statement"), 0)
        )
        try:
            item = services.statement_confirm(
                section_progress=item, statement=statement
            )
        except ValidationError as exc:
            messages.error(request, service_message(exc))
            return _back_to_section(item)
        if item.self_assessed_at:
            messages.success(request, _("Step 2 is complete."))
            return _back_to_section(item)
        return redirect(
            reverse(
                "training:self_assessment",
                args=[item.progress.assessment.public_id, item.section.number],
            )
        )
    if item.training_read_at is None:
        messages.error(request, _("Complete Step 1 (Training) first."))
        return _back_to_section(item)
    pending = [s for s in statements if s.pk not in item.aware_of]
    current = pending[0] if pending else None
    return render(
        request,
        "training/step_self_assessment.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "statement": current,
            "done": len(statements) - len(pending),
            "total": len(statements),
        },
    )


@require_safe
@training_required
def self_assessment_record(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> HttpResponse:
    """The person's self-assessment record, to print or to save."""
    item = _section(request, assessment_id, section_no)
    confirmed = [s for s in item.section.statements.all() if s.pk in item.aware_of]
    response = render(
        request,
        "training/self_assessment_record.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "statements": confirmed,
            "person": request.user,
            "centre": request.centre,
        },
    )
    if request.GET.get("download") == "1":
        response["Content-Disposition"] = (
            f'attachment; filename="self-assessment-section-{item.section.number}.html"'
        )
    return response


@require_http_methods(["GET", "POST"])
@training_required
def questions(
    request: CentreRequest, assessment_id: UUID, section_no: int
) -> HttpResponse:
    """Step 3's way in: the open attempt (a new one if none is open), at the question
    the person left it."""
    item = _section(request, assessment_id, section_no)
    try:
        attempt = services.attempt_current(section_progress=item)
    except ValidationError as exc:
        messages.error(request, service_message(exc))
        return _back_to_section(item)
    if request.method == "POST":
        # A form from before questions had addresses of their own: its answer is not
        # taken, since which question it meant is not known.
        messages.error(request, _out_of_date())
    return _to_question(item, attempt.position)


def _out_of_date() -> str:
    return _("This page was out of date; please check the question and answer.")


def _to_question(item: SectionProgress, position: int) -> HttpResponse:
    return redirect(
        "training:question",
        item.progress.assessment.public_id,
        item.section.number,
        position + 1,
    )


@require_http_methods(["GET", "POST"])
@training_required
def question(
    request: CentreRequest, assessment_id: UUID, section_no: int, question_no: int
) -> HttpResponse:
    """Step 3: one question at a time with Previous/Next, a tick beside answered ones,
    Save Progress & Exit, and Finish.

    Each question has its own address, and the form asks the browser not to restore
    its choices: with one address for every question, Back reloaded the current
    question and the browser put the earlier question's choice on it, so Next recorded
    an answer nobody chose."""
    item = _section(request, assessment_id, section_no)
    try:
        attempt = services.attempt_current(section_progress=item)
    except ValidationError as exc:
        messages.error(request, service_message(exc))
        return _back_to_section(item)
    ordered = selectors.attempt_questions(attempt)
    if not ordered:
        messages.error(
            request,
            _("This section has no questions to answer yet; please tell the board."),
        )
        return _back_to_section(item)
    if not 1 <= question_no <= len(ordered):
        # An address from an earlier attempt, which had more questions.
        return _to_question(item, min(attempt.position, len(ordered) - 1))
    position = question_no - 1
    current = ordered[position]
    error = ""
    if request.method == "POST":
        answered = _answer(request, item, attempt, current, position)
        if isinstance(answered, HttpResponse):
            return answered
        error = answered
    answers = selectors.attempt_answer_options(attempt)
    return render(
        request,
        "training/step_questions.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "attempt": attempt,
            "questions": [(q, q.pk in answers) for q in ordered],
            "question": current,
            "position": position,
            "chosen": answers.get(current.pk),
            "is_first": position == 0,
            "is_last": position == len(ordered) - 1,
            "error": error,
        },
        status=400 if error else 200,
    )


def _answer(
    request: CentreRequest,
    item: SectionProgress,
    attempt: Attempt,
    current: Question,
    position: int,
) -> HttpResponse | str:
    """Take the posted answer, then go where the button says: the next page, or the
    reason Finish was refused (the page is shown again with it)."""
    # The form names its question: a stale page (an older attempt, Back) must not
    # put its answer on whichever question now sits at that address.
    if _int(request.POST.get("question"), 0) != current.pk:
        messages.error(request, _out_of_date())
        return _to_question(item, position)
    chosen = request.POST.get("option")
    if chosen:
        option = get_object_or_404(Option, question=current, pk=_int(chosen, 0))
        services.answer_save(attempt=attempt, question=current, option=option)
    action = request.POST.get("action", "next")
    if action == "exit":
        services.attempt_move(attempt=attempt, position=position)
        messages.success(request, _("Your progress is saved."))
        return _back_to_section(item)
    if action == "finish":
        try:
            services.attempt_finish(attempt=attempt)
        except ValidationError as exc:
            services.attempt_move(attempt=attempt, position=position)
            return service_message(exc)
        return redirect(
            "training:result",
            item.progress.assessment.public_id,
            item.section.number,
            attempt.public_id,
        )
    if action.startswith("go-"):
        target = _int(action.removeprefix("go-"), position)
    else:
        target = position + (-1 if action == "previous" else 1)
    services.attempt_move(attempt=attempt, position=target)
    return _to_question(item, attempt.position)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@require_http_methods(["GET", "POST"])
@training_required
def result(
    request: CentreRequest, assessment_id: UUID, section_no: int, attempt_id: UUID
) -> HttpResponse:
    """The mark, and for each wrong answer the reference to re-read; Re-attempt asks only
    those questions again."""
    item = _section(request, assessment_id, section_no)
    attempt = selectors.access_finished_attempt(item=item, attempt_id=attempt_id)
    if request.method == "POST":
        return redirect(
            "training:questions",
            item.progress.assessment.public_id,
            item.section.number,
        )
    answers = {
        a.question_id: a.option.is_correct
        for a in attempt.answers.select_related("option")
    }
    wrong = list(
        Question.objects.filter(
            pk__in=[q for q in attempt.question_ids if not answers.get(q)]
        ).order_by("number")
    )
    return render(
        request,
        "training/result.html",
        {
            "item": item,
            "section": item.section,
            "assessment": item.progress.assessment,
            "attempt": attempt,
            "mark": item.mark or 0,
            "out_of": item.section.questions.count(),
            "passed": item.passed_at is not None,
            "pass_mark": services.pass_mark_of(
                item.section, item.section.questions.count()
            ),
            "wrong": wrong,
        },
    )


@require_safe
@training_required
def certificate(request: CentreRequest, certificate_id: UUID) -> HttpResponse:
    found = selectors.access_certificate(
        membership=request.membership, certificate_id=certificate_id
    )
    template = "training/certificate.html"
    if request.htmx:
        template += "#certificate-status"
    return render(request, template, {"certificate": found})


@require_safe
@training_required
def certificate_download(request: CentreRequest, certificate_id: UUID) -> HttpResponse:
    found = selectors.access_certificate(
        membership=request.membership, certificate_id=certificate_id
    )
    if found.status != found.Status.READY:
        raise Http404
    return stored_pdf_response(
        found.storage_key,
        f"certificate-{found.progress.assessment.code}.pdf",
        inline=request.GET.get("view") == "1",
    )
