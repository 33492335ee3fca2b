"""Writes for samples. The sample is chosen by sampling.algorithm; these functions load the
submitted marks, store what it chose, and never regenerate a ready sample."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from iamis.models import Entry, Mark, Submission, Unit
from outbox.services import notify

from . import algorithm
from .models import Sample, SampleMember
from .selectors import eligible

if TYPE_CHECKING:
    from accounts.models import User

MAX_ATTEMPTS = 5


def rules_for(unit: Unit) -> algorithm.SampleRules:
    """The unit's sampling parameters; a board may set its own size table per unit."""
    table = algorithm.DEFAULT_SIZE_TABLE
    if unit.sample_size_table:
        table = tuple(
            (
                float("inf") if limit in (None, "inf", "INF") else float(limit),
                None if size in (None, "ALL", "all") else int(size),
            )
            for limit, size in unit.sample_size_table
        )
    return algorithm.SampleRules(
        size_table=table,
        low_anchor_excludes_zero=unit.low_anchor_excludes_zero,
        grade_scale=tuple(unit.grade_scale) if unit.is_outcome_unit else (),
    )


def _rules_record(rules: algorithm.SampleRules) -> dict[str, Any]:
    return {
        "size_table": [
            ["inf" if limit == float("inf") else limit, "ALL" if size is None else size]
            for limit, size in rules.size_table
        ],
        "low_anchor_excludes_zero": rules.low_anchor_excludes_zero,
        "grade_scale": list(rules.grade_scale),
    }


def candidate_marks(marks: list[Mark]) -> list[algorithm.CandidateMark]:
    return [
        algorithm.CandidateMark(
            candidate_no=mark.entry.candidate.number,
            status=mark.status,
            total=mark.total,
            grade=mark.grade or None,
            teacher=mark.initials,
        )
        for mark in marks
    ]


def rank_positions(*, unit: Unit, marks: Iterable[Mark]) -> dict[int, int]:
    """Each marked candidate's place in the sampling rule's rank order (0 = highest mark
    or grade), by candidate number: the order a sample is read in."""
    ranking = algorithm.rank(candidate_marks(list(marks)), rules_for(unit))
    return {candidate.candidate_no: place for place, candidate in enumerate(ranking)}


def in_rank_order[T](
    unit: Unit,
    items: Iterable[T],
    *,
    mark_of: Callable[[T], Mark | None],
    number_of: Callable[[T], int],
) -> list[T]:
    """Items (sample rows or members) in the rule's rank order, highest mark or grade
    first; those the centre or moderator added at their place among the rest."""
    items = list(items)
    marks = [mark for mark in map(mark_of, items) if mark is not None]
    places = rank_positions(unit=unit, marks=marks)
    return sorted(
        items,
        key=lambda item: (places.get(number_of(item), len(places)), number_of(item)),
    )


def sample_request(*, submission: Submission) -> Sample:
    """Record that the sheet's sample is wanted (inside the submit transaction) and queue
    its generation once that transaction commits."""
    from .tasks import generate_sample

    sample, _created = Sample.objects.get_or_create(
        centre=submission.centre,
        unit=submission.unit,
        defaults={"submission": submission},
    )
    # robust: a broker that is down (Redis restarting) must not turn the committed
    # submission into a 500; the sample stays pending and beat's
    # requeue_pending_samples queues it (bench/faults.py).
    transaction.on_commit(lambda: generate_sample.delay(submission.pk), robust=True)
    return sample


def sample_generate(*, submission_id: int) -> Sample:
    """Choose and store the sample for a first submission. Safe to run twice or after a
    crash: a ready sample is returned untouched, and members are written in the same
    transaction that marks the sample ready."""
    submission = Submission.objects.select_related("unit", "centre").get(
        pk=submission_id
    )
    sample, _created = Sample.objects.get_or_create(
        centre=submission.centre,
        unit=submission.unit,
        defaults={"submission": submission},
    )
    if sample.status == Sample.Status.READY:
        return sample
    # Counted in its own transaction so a crash during generation still counts.
    Sample.objects.filter(pk=sample.pk).update(attempts=sample.attempts + 1)

    unit = submission.unit
    rules = rules_for(unit)
    marks = list(
        Mark.objects.filter(submission=sample.submission).select_related(
            "entry", "entry__candidate"
        )
    )
    chosen = algorithm.choose_sample(candidate_marks(marks), rules)
    entries = {mark.entry.candidate.number: mark.entry for mark in marks}
    with transaction.atomic():
        sample = Sample.objects.select_for_update().get(pk=sample.pk)
        if sample.status == Sample.Status.READY:
            return sample
        SampleMember.objects.filter(
            sample=sample, origin=SampleMember.Origin.SYSTEM
        ).delete()
        SampleMember.objects.bulk_create(
            SampleMember(
                sample=sample,
                centre=sample.centre,
                entry=entries[member.candidate_no],
                origin=SampleMember.Origin.SYSTEM,
                reasons=[str(reason) for reason in member.reasons],
                rank=member.rank,
                teacher=member.teacher,
            )
            for member in chosen
        )
        sample.status = Sample.Status.READY
        sample.generated_at = timezone.now()
        sample.rules = _rules_record(rules)
        sample.last_error = ""
        sample.save(update_fields=["status", "generated_at", "rules", "last_error"])
        notify("sample_ready", sample_id=sample.pk)
        audit_record(
            action=AuditEvent.Action.SAMPLE_GENERATED,
            centre=sample.centre,
            target=unit.code,
            sample=str(sample.public_id),
            size=len(chosen),
        )
    return sample


def sample_failed(*, submission_id: int, error: str) -> None:
    """After the last retry: show the failure instead of "Generating..." for ever."""
    Sample.objects.filter(
        submission_id=submission_id, status=Sample.Status.PENDING
    ).update(status=Sample.Status.FAILED, last_error=error[:2000])


# --- After generation: the centre adds and substitutes, the moderator asks for more --------


def _audit(
    action: str,
    *,
    sample: Sample,
    acting_user: User | None,
    request: HttpRequest | None,
    **detail: Any,
) -> None:
    audit_record(
        action=action,
        actor=acting_user,
        centre=sample.centre,
        target=sample.unit.code,
        request=request,
        sample=str(sample.public_id),
        **detail,
    )


def sheet_candidates(
    *, sample: Sample
) -> tuple[list[algorithm.CandidateMark], dict[int, Mark]]:
    """Every submitted mark of the sheet (late entries included) as the algorithm sees it."""
    marks = list(
        Mark.objects.filter(
            centre=sample.centre, unit=sample.unit, is_locked=True
        ).select_related("entry", "entry__candidate")
    )
    return candidate_marks(marks), {m.entry.candidate.number: m for m in marks}


def _locked_sample(sample: Sample) -> Sample:
    locked = (
        Sample.objects.select_for_update()
        .select_related("unit", "centre")
        .get(pk=sample.pk)
    )
    if locked.status != Sample.Status.READY:
        raise ValidationError(
            _("The sample is still being generated; try again in a moment.")
        )
    return locked


def _eligible_mark(sample: Sample, entry: Entry) -> Mark:
    if entry.centre_id != sample.centre_id or entry.unit_id != sample.unit_id:
        raise ValidationError(_("That candidate is not on this marksheet."))
    mark = Mark.objects.filter(entry=entry, is_locked=True).first()
    if mark is None:
        raise ValidationError(
            _("Only candidates whose marks have been submitted can be sampled.")
        )
    if mark.status != Mark.Status.MARKED:
        raise ValidationError(
            _("Absent and carry-forward candidates cannot be in the sample.")
        )
    return mark


def sample_add(
    *,
    sample: Sample,
    entry: Entry,
    acting_user: User,
    request: HttpRequest | None = None,
) -> SampleMember:
    """The centre adds an unsampled eligible candidate ("additional" candidates)."""
    with transaction.atomic():
        sample = _locked_sample(sample)
        _eligible_mark(sample, entry)
        if SampleMember.objects.filter(sample=sample, entry=entry).exists():
            raise ValidationError(_("That candidate is already in the sample."))
        member = SampleMember.objects.create(
            sample=sample,
            centre=sample.centre,
            entry=entry,
            origin=SampleMember.Origin.CENTRE,
            added_by=acting_user,
        )
        _audit(
            AuditEvent.Action.SAMPLE_MEMBER_ADDED,
            sample=sample,
            acting_user=acting_user,
            request=request,
            candidate=entry.candidate.number,
        )
    return member


def sample_remove(
    *,
    sample: Sample,
    entry: Entry,
    acting_user: User,
    request: HttpRequest | None = None,
) -> None:
    """Only a candidate the centre added can be taken out again; never the system's."""
    with transaction.atomic():
        sample = _locked_sample(sample)
        member = SampleMember.objects.filter(sample=sample, entry=entry).first()
        if member is None:
            raise ValidationError(_("That candidate is not in the sample."))
        if member.origin != SampleMember.Origin.CENTRE:
            raise ValidationError(
                _(
                    "You cannot remove candidates chosen by the system or requested by "
                    "the moderator. If their work is lost or incomplete, mark it "
                    "unavailable and choose a replacement."
                )
            )
        member.delete()
        _audit(
            AuditEvent.Action.SAMPLE_MEMBER_REMOVED,
            sample=sample,
            acting_user=acting_user,
            request=request,
            candidate=entry.candidate.number,
        )


@dataclass(frozen=True)
class Replacements:
    above: Mark | None
    below: Mark | None
    default: Mark | None


def substitute_options(*, sample: Sample, member: SampleMember) -> Replacements:
    """The nearest unselected candidates above and below, and the default between them."""
    candidates, by_number = sheet_candidates(sample=sample)
    taken = set(
        SampleMember.objects.filter(sample=sample).values_list(
            "entry__candidate__number", flat=True
        )
    )
    above, below, default = algorithm.nearest_replacements(
        candidates,
        rules_for(sample.unit),
        lost_candidate_no=member.entry.candidate.number,
        taken=taken,
    )
    return Replacements(
        *(
            by_number[c.candidate_no] if c is not None else None
            for c in (above, below, default)
        )
    )


def sample_substitute(
    *,
    sample: Sample,
    member: SampleMember,
    replacement: Entry,
    note: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> SampleMember:
    """Lost or incomplete work: the original stays, marked unavailable; the nearest
    candidate above or below replaces it, with the explanatory note to the moderator."""
    if not note.strip():
        raise ValidationError(_("Write the explanatory note to the moderator."))
    with transaction.atomic():
        sample = _locked_sample(sample)
        member = SampleMember.objects.select_for_update().get(
            pk=member.pk, sample=sample
        )
        if member.work_unavailable:
            raise ValidationError(_("That candidate's work has already been replaced."))
        options = substitute_options(sample=sample, member=member)
        allowed = {m.entry_id for m in (options.above, options.below) if m is not None}
        if replacement.pk not in allowed:
            raise ValidationError(
                _(
                    "Choose the nearest candidate above or below: the rule allows no other."
                )
            )
        member.work_unavailable = True
        member.save(update_fields=["work_unavailable"])
        substitute = SampleMember.objects.create(
            sample=sample,
            centre=sample.centre,
            entry=replacement,
            origin=SampleMember.Origin.SUBSTITUTE,
            replaces=member,
            note=note.strip(),
            added_by=acting_user,
        )
        _audit(
            AuditEvent.Action.SAMPLE_SUBSTITUTED,
            sample=sample,
            acting_user=acting_user,
            request=request,
            unavailable=member.entry.candidate.number,
            replacement=replacement.candidate.number,
        )
    return substitute


def sample_request_further(
    *,
    sample: Sample,
    acting_user: User,
    candidate_numbers: list[int] | None = None,
    k: int | None = None,
    band: tuple[int, int] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> list[SampleMember]:
    """The moderator asks for more: named candidates, or k more spread over a mark band.
    They are flagged to the centre as an additional sample, and the centre is e-mailed;
    the moderator's note goes with them (in the e-mail and on the samples page)."""
    with transaction.atomic():
        sample = _locked_sample(sample)
        candidates, by_number = sheet_candidates(sample=sample)
        taken = set(
            SampleMember.objects.filter(sample=sample).values_list(
                "entry__candidate__number", flat=True
            )
        )
        if candidate_numbers:
            # A number named twice is asked for once.
            candidate_numbers = list(dict.fromkeys(candidate_numbers))
            unknown = [n for n in candidate_numbers if n not in by_number]
            if unknown:
                raise ValidationError(
                    _("Not on the submitted marksheet: %(numbers)s")
                    % {"numbers": ", ".join(f"{n:04d}" for n in unknown)}
                )
            # Absent and carry-forward candidates have no work to send.
            no_work = [n for n in candidate_numbers if not eligible(by_number[n])]
            if no_work:
                raise ValidationError(
                    _("No work to moderate (absent or carried forward): %(numbers)s")
                    % {"numbers": ", ".join(f"{n:04d}" for n in no_work)}
                )
            chosen = [by_number[n] for n in candidate_numbers if n not in taken]
        elif k and band:
            if sample.unit.is_outcome_unit:
                raise ValidationError(
                    _("This unit has outcomes, not marks: name the candidates instead.")
                )
            picked = algorithm.spread_in_band(
                candidates,
                rules_for(sample.unit),
                k=k,
                low=band[0],
                high=band[1],
                taken=taken,
            )
            chosen = [by_number[c.candidate_no] for c in picked]
        else:
            raise ValidationError(
                _("Name candidates, or give how many and a mark band.")
            )
        members = SampleMember.objects.bulk_create(
            SampleMember(
                sample=sample,
                centre=sample.centre,
                entry=mark.entry,
                origin=SampleMember.Origin.MODERATOR,
                added_by=acting_user,
                note=note.strip(),
            )
            for mark in chosen
        )
        _audit(
            AuditEvent.Action.SAMPLE_FURTHER_REQUESTED,
            sample=sample,
            acting_user=acting_user,
            request=request,
            candidates=[m.entry.candidate.number for m in chosen],
        )
        if members:
            notify(
                "further_sample",
                sample_id=sample.pk,
                member_ids=[member.pk for member in members],
            )
    return members


REASON_WORDS = {
    algorithm.Reason.ALL: _("all candidates (small cohort)"),
    algorithm.Reason.HIGHEST: _("highest mark"),
    algorithm.Reason.LOWEST: _("lowest mark"),
    algorithm.Reason.RANGE: _("spread across the range"),
    algorithm.Reason.GRADE: _("spread across the grades"),
    algorithm.Reason.PARENTAL_INTEREST: _("parental interest"),
}
# An outcome unit has grades, not marks: its first and last in rank order are grades.
OUTCOME_REASON_WORDS = REASON_WORDS | {
    algorithm.Reason.HIGHEST: _("highest grade"),
    algorithm.Reason.LOWEST: _("lowest grade"),
}


def reasons_in_words(member: SampleMember, *, outcome_unit: bool) -> list[str]:
    """Why a candidate is in the sample, as the centre reads it."""
    if member.origin == SampleMember.Origin.CENTRE:
        return [str(_("added by centre"))]
    if member.origin == SampleMember.Origin.MODERATOR:
        return [str(_("additional sample requested by the moderator"))]
    if member.origin == SampleMember.Origin.SUBSTITUTE and member.replaces is not None:
        return [
            str(
                _("replaces %(number)s")
                % {"number": member.replaces.entry.candidate.display_number}
            )
        ]
    reason_words = OUTCOME_REASON_WORDS if outcome_unit else REASON_WORDS
    words = []
    for code in member.reasons:
        if code == algorithm.Reason.TEACHER:
            words.append(str(_("teacher %(initials)s") % {"initials": member.teacher}))
        else:
            words.append(str(reason_words.get(algorithm.Reason(code), code)))
    return words
