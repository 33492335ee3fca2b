"""The outcome of moderation: the moderator proposes what the rule made of the sample,
board staff (a second person) approve it or send it back, and approval applies it.

Applying writes one history row (source "moderation") on each mark whose final mark
differs from the one in force before; the centre's submitted marks are never overwritten.
It happens in the approval's transaction, under the outcome's row lock, and an approved
outcome is never applied twice: a double click, or a retried request, changes nothing.

After results day an approved outcome is released: the centre sees it, and the outcome,
the moderator's report and clerical corrections are read-only. A change then is a new
version, proposed and approved like the first; the old one stays, superseded, and the
centre is told.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import Centre, ModeratorAllocation
from iamis.models import Mark, MarkChange, Unit
from outbox.services import notify
from sampling.models import Sample

from ..models import ModerationOutcome, ModeratorReport
from ..moderated import Snapshot, moderated_sample

if TYPE_CHECKING:
    from accounts.models import User

Status = ModerationOutcome.Status


def outcome_in_force(*, centre: Centre, unit: Unit) -> ModerationOutcome | None:
    return ModerationOutcome.objects.filter(
        centre=centre, unit=unit, status=Status.APPROVED
    ).first()


def is_released(outcome: ModerationOutcome | None, unit: Unit, today: date) -> bool:
    return (
        outcome is not None
        and outcome.status == Status.APPROVED
        and today >= unit.series.results_day
    )


def released(*, centre: Centre, unit: Unit, today: date | None = None) -> bool:
    """Results day has come and an approved outcome is in force: read-only from now."""
    today = today or timezone.localdate()
    if today < unit.series.results_day:
        return False
    return ModerationOutcome.objects.filter(
        centre=centre, unit=unit, status=Status.APPROVED
    ).exists()


def awaiting_decision(*, centre: Centre, unit: Unit) -> bool:
    return ModerationOutcome.objects.filter(
        centre=centre, unit=unit, status=Status.PROPOSED
    ).exists()


def snapshot_matches(snapshot: Snapshot, outcome: ModerationOutcome) -> bool:
    return (
        snapshot.kind == outcome.kind
        and snapshot.pairs == outcome.pairs
        and snapshot.finals == outcome.finals
    )


def outcome_propose(
    *,
    allocation: ModeratorAllocation,
    reason: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ModerationOutcome:
    """The moderator proposes the outcome the rule makes of their marks, with the
    reasons the centre will read."""
    centre, unit = allocation.centre, allocation.unit
    with transaction.atomic():
        # The sample's row is the sheet's lock: two proposals of one sheet take turns.
        if not (
            Sample.objects.select_for_update()
            .filter(centre=centre, unit=unit, status=Sample.Status.READY)
            .exists()
        ):
            raise ValidationError(_("There is no sample to moderate yet."))
        pending = ModerationOutcome.objects.filter(
            centre=centre, unit=unit, status=Status.PROPOSED
        ).first()
        if pending is not None:
            if pending.proposed_by_id == acting_user.pk and pending.reason == (
                reason.strip()
            ):
                return pending  # a double click, or the request sent again
            raise ValidationError(
                _("An outcome is already waiting for the board's decision.")
            )
        sample = moderated_sample(centre=centre, unit=unit)
        snapshot = sample.snapshot()
        if snapshot is None:
            raise ValidationError(
                _(
                    "Moderate every sampled candidate whose work is available first "
                    "(%(done)d of %(total)d done)."
                )
                % {"done": sample.moderated_count, "total": len(sample.to_moderate)}
            )
        reason = reason.strip()
        if not reason:
            raise ValidationError(
                _("Write the reasons for the outcome: the centre reads them.")
            )
        report = ModeratorReport.objects.filter(centre=centre, unit=unit).first()
        if report is None or not any(getattr(report, s) for s in report.SECTIONS):
            raise ValidationError(
                _("Write your moderator's report first: it goes with the outcome.")
            )
        in_force = outcome_in_force(centre=centre, unit=unit)
        if in_force is not None and snapshot_matches(snapshot, in_force):
            raise ValidationError(
                _(
                    "Nothing has changed since the approved outcome: there is no new version to propose."
                )
            )
        latest = ModerationOutcome.objects.filter(centre=centre, unit=unit).aggregate(
            v=Max("version")
        )["v"]
        outcome = ModerationOutcome.objects.create(
            centre=centre,
            unit=unit,
            version=(latest or 0) + 1,
            kind=snapshot.kind,
            max_mark=sample.max_mark,
            tolerance=sample.tolerance,
            pairs=snapshot.pairs,
            points=snapshot.points,
            finals=snapshot.finals,
            reason=reason,
            proposed_by=acting_user,
        )
        _audit(AuditEvent.Action.OUTCOME_PROPOSED, outcome, acting_user, request)
    return outcome


def _audit(
    action: str,
    outcome: ModerationOutcome,
    acting_user: User,
    request: HttpRequest | None,
    **detail: Any,
) -> None:
    audit_record(
        action=action,
        actor=acting_user,
        centre=outcome.centre,
        target=outcome.unit.code,
        request=request,
        version=outcome.version,
        kind=outcome.kind,
        **detail,
    )


def _locked(outcome: ModerationOutcome) -> ModerationOutcome:
    return (
        ModerationOutcome.objects.select_for_update()
        .select_related("unit__series", "centre")
        .get(pk=outcome.pk)
    )


def outcome_send_back(
    *,
    outcome: ModerationOutcome,
    note: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ModerationOutcome:
    """Board staff return a proposal to the moderator with a note of what to change."""
    note = note.strip()
    if not note:
        raise ValidationError(_("Write a note to the moderator: what should change?"))
    with transaction.atomic():
        outcome = _locked(outcome)
        if outcome.status == Status.RETURNED:
            return outcome  # sent back already: a second click changes nothing
        if outcome.status != Status.PROPOSED:
            raise ValidationError(
                _("This outcome is no longer waiting for a decision.")
            )
        outcome.status = Status.RETURNED
        outcome.decided_by = acting_user
        outcome.decided_at = timezone.now()
        outcome.decision_note = note
        outcome.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note"]
        )
        _audit(AuditEvent.Action.OUTCOME_RETURNED, outcome, acting_user, request)
        notify("outcome_returned", outcome_id=outcome.pk)
    return outcome


def outcome_approve(
    *,
    outcome: ModerationOutcome,
    acting_user: User,
    grade_decisions: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> ModerationOutcome:
    """A second person approves: the outcome is applied, once."""
    if outcome.proposed_by_id == acting_user.pk:
        raise PermissionDenied(
            _("The outcome must be approved by someone other than its proposer.")
        )
    with transaction.atomic():
        outcome = _locked(outcome)
        if (
            outcome.status == Status.APPROVED
            and outcome.decided_by_id == acting_user.pk
        ):
            return outcome  # applied already: a double click or a retried request
        if outcome.status != Status.PROPOSED:
            raise ValidationError(
                _("This outcome is no longer waiting for a decision.")
            )
        centre, unit = outcome.centre, outcome.unit
        current = moderated_sample(centre=centre, unit=unit).snapshot()
        if current is None or not snapshot_matches(current, outcome):
            raise ValidationError(
                _(
                    "The marks have changed since this outcome was proposed (a "
                    "clerical correction or an approved mark change request): send it "
                    "back so the moderator proposes it again."
                )
            )
        if outcome.kind == ModerationOutcome.Kind.GRADES:
            _decide_grades(outcome, grade_decisions or {})
        previous = (
            ModerationOutcome.objects.select_for_update()
            .filter(centre=centre, unit=unit, status=Status.APPROVED)
            .first()
        )
        was_released = is_released(previous, unit, timezone.localdate())
        if previous is not None:
            previous.status = Status.SUPERSEDED
            previous.save(update_fields=["status"])
        now = timezone.now()
        outcome.status = Status.APPROVED
        outcome.decided_by = acting_user
        outcome.decided_at = now
        outcome.applied_at = now
        outcome.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "applied_at",
                "grade_decisions",
                "finals",
            ]
        )
        changed = _apply(outcome, previous, acting_user)
        _publish_report(outcome)
        _audit(
            AuditEvent.Action.OUTCOME_APPROVED,
            outcome,
            acting_user,
            request,
            marks_changed=changed,
        )
        if was_released:
            # A correction after results day: the centre is told what changed.
            notify("outcome_corrected", outcome_id=outcome.pk)
    return outcome


def _decide_grades(outcome: ModerationOutcome, decisions: dict[str, str]) -> None:
    """Outcome units: the board sets any changed grades (never automatic)."""
    scale = list(outcome.unit.grade_scale)
    sampled = {str(entry_id) for entry_id, _centre, _moderator in outcome.pairs}
    finals = dict(outcome.finals)
    kept: dict[str, str] = {}
    for entry_id, grade in decisions.items():
        if not grade:
            continue
        if entry_id not in sampled or grade not in scale:
            raise ValidationError(_("Choose a grade of the unit's scale."))
        centre_grade = finals[entry_id][0]
        if grade != centre_grade:
            finals[entry_id] = [centre_grade, grade]
            kept[entry_id] = grade
    outcome.finals = finals
    outcome.grade_decisions = kept


def _apply(
    outcome: ModerationOutcome,
    previous: ModerationOutcome | None,
    acting_user: User,
) -> int:
    """One history row a mark whose final mark changes; three queries, whatever the
    number of candidates."""
    before = previous.finals if previous is not None else {}
    changed: dict[int, tuple[object, object]] = {}
    for entry_id, (centre_value, final) in outcome.finals.items():
        was = before.get(entry_id, [centre_value, centre_value])[1]
        if final != was:
            changed[int(entry_id)] = (was, final)
    if not changed:
        return 0
    field = "grade" if outcome.kind == ModerationOutcome.Kind.GRADES else "total"
    marks = Mark.objects.filter(
        centre=outcome.centre, unit=outcome.unit, entry_id__in=list(changed)
    ).only("pk", "entry_id", "centre_id")
    MarkChange.objects.bulk_create(
        MarkChange(
            mark=mark,
            centre=outcome.centre,
            changed_by=acting_user,
            source=MarkChange.Source.MODERATION,
            old={field: changed[mark.entry_id][0]},
            new={
                field: changed[mark.entry_id][1],
                "moderation_version": outcome.version,
            },
        )
        for mark in marks
    )
    return len(changed)


def report_outcome(outcome: ModerationOutcome) -> str:
    """What the report says of an approved outcome: adjusted when any mark or grade
    changes, accepted otherwise."""
    changed = outcome.kind == ModerationOutcome.Kind.ADJUSTED or (
        outcome.kind == ModerationOutcome.Kind.GRADES and bool(outcome.grade_decisions)
    )
    return (
        ModeratorReport.Outcome.ADJUSTED
        if changed
        else ModeratorReport.Outcome.ACCEPTED
    )


def _publish_report(outcome: ModerationOutcome) -> None:
    """The moderator's report goes out with the outcome it explains."""
    report = ModeratorReport.objects.select_for_update().get(
        centre=outcome.centre, unit=outcome.unit
    )
    report.outcome = report_outcome(outcome)
    newly = report.status != ModeratorReport.Status.PUBLISHED
    if newly:
        report.status = ModeratorReport.Status.PUBLISHED
        report.published_at = timezone.now()
    report.save(update_fields=["outcome", "status", "published_at", "updated_at"])
    if newly:
        # Sent now if results day has come; otherwise the daily run sends it then.
        notify("moderator_report", report_id=report.pk)
