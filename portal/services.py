"""Writes for Manage Centre and the change of exams officer.

A centre's head of centre and post-results address are saved directly. The exams officer is
different: the guides send that change to the board, which runs a security check, confirms it
by e-mail and invites the new exams officer. So a change typed in Manage Centre, or sent by the
public form, only ever becomes an `ExamsOfficerChange`; the centre record follows when the new
exams officer accepts the invite (accounts.services.invites.invite_accept).

E-mails (notifications.emails): a receipt when a request is made, and on confirmation a
message to the exams officer being replaced, the new one and whoever asked, besides the
invite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Invite
from accounts.selectors import exams_officer_of
from accounts.services.invites import exams_officer_hand_over, invite_send
from audit.models import AuditEvent
from audit.services import audit_record
from centres.models import Centre, Membership
from common.throttle import Throttle
from outbox.services import notify

from .models import ExamsOfficerChange

if TYPE_CHECKING:
    from accounts.models import User

Status = ExamsOfficerChange.Status
OPEN_STATUSES = (Status.RECEIVED, Status.CHECKED)
# Saved straight onto the centre record from Manage Centre; the telephone number is not here
# (the guides say it is updated through the NCN) and neither is anything else.
CENTRE_FIELDS = ("head_of_centre", "post_results_email")
# The public form e-mails a receipt to whatever address is typed into it: a few a day to
# one address (a sender correcting a mistake), too few to flood someone else's inbox. The
# form's own limit per connection (views.centre) comes first.
PUBLIC_RECEIPTS_PER_ADDRESS = Throttle("eo-change-receipt-address", 3, 24 * 60 * 60)


@dataclass(frozen=True)
class CentreSaveResult:
    changed_fields: list[str] = field(default_factory=list)
    eo_change: ExamsOfficerChange | None = None
    eo_change_created: bool = False

    @property
    def changed_anything(self) -> bool:
        return bool(self.changed_fields) or self.eo_change_created


def _clean_name(value: str) -> str:
    return " ".join(value.split())


def _clean_email(value: str) -> str:
    return value.strip().lower()


def split_name(name: str) -> tuple[str, str]:
    """First and last name from one "name" field: the last word is the last name.

    The invite joins them again with a space, so the centre record ends up with the name as
    typed whichever way a double-barrelled name is split.
    """
    first, _sep, last = _clean_name(name).rpartition(" ")
    if not first or not last:
        raise ValidationError(
            _("The new exams officer's name needs a first name and a last name.")
        )
    return first, last


def centre_details_save(
    *,
    centre: Centre,
    head_of_centre: str,
    post_results_email: str,
    exams_officer_name: str,
    exams_officer_email: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> CentreSaveResult:
    """Save Manage Centre: centre details directly, the exams officer as a request.

    Raises ValidationError keyed by these argument names; nothing is saved then.
    """
    with transaction.atomic():
        locked = Centre.objects.select_for_update().get(pk=centre.pk)
        after = {
            "head_of_centre": _clean_name(head_of_centre),
            "post_results_email": _clean_email(post_results_email),
        }
        before = {name: getattr(locked, name) for name in CENTRE_FIELDS}
        changed = [name for name in CENTRE_FIELDS if before[name] != after[name]]
        if changed:
            for name in changed:
                setattr(locked, name, after[name])
            locked.full_clean()
            locked.save(update_fields=changed)
            audit_record(
                action=AuditEvent.Action.CENTRE_CHANGED,
                actor=acting_user,
                centre=locked,
                target=locked.display_number,
                request=request,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
            for name in changed:
                setattr(centre, name, after[name])

        eo_change, created = None, False
        new_name = _clean_name(exams_officer_name)
        new_email = _clean_email(exams_officer_email)
        if new_name != _clean_name(
            locked.exams_officer_name
        ) or new_email != _clean_email(locked.exams_officer_email):
            try:
                eo_change, created = exams_officer_change_request(
                    centre=locked,
                    new_name=new_name,
                    new_email=new_email,
                    acting_user=acting_user,
                    request=request,
                )
            except ValidationError as error:
                raise ValidationError({"exams_officer_name": error.messages}) from error
    return CentreSaveResult(
        changed_fields=changed, eo_change=eo_change, eo_change_created=created
    )


def exams_officer_change_request(
    *,
    centre: Centre,
    new_name: str,
    new_email: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> tuple[ExamsOfficerChange, bool]:
    """Ask the board to change the exams officer (Manage Centre, with Portal access).

    Sending the same details again changes nothing. Different details replace the centre's
    earlier open Portal request, which is closed so the board confirms only the latest one.
    Requests from the public form are left for the board to decide.
    """
    new_name, new_email = _clean_name(new_name), _clean_email(new_email)
    split_name(new_name)
    with transaction.atomic():
        open_requests = list(
            ExamsOfficerChange.objects.select_for_update()
            .filter(
                centre=centre,
                source=ExamsOfficerChange.Source.PORTAL,
                status__in=OPEN_STATUSES,
            )
            .order_by("-created_at")
        )
        for earlier in open_requests:
            if earlier.new_name == new_name and earlier.new_email == new_email:
                return earlier, False
        now = timezone.now()
        for earlier in open_requests:
            previous = earlier.status
            earlier.status = Status.REJECTED
            earlier.decided_by = acting_user
            earlier.decided_at = now
            earlier.board_note = _("Replaced by a later request from the centre.")
            earlier.save(
                update_fields=["status", "decided_by", "decided_at", "board_note"]
            )
            _audit_decision(
                change=earlier,
                before=previous,
                acting_user=acting_user,
                request=request,
                reason="replaced",
            )
        change = ExamsOfficerChange(
            source=ExamsOfficerChange.Source.PORTAL,
            centre=centre,
            centre_number=centre.number,
            centre_name=centre.name,
            new_name=new_name,
            new_email=new_email,
            sender_name=acting_user.get_full_name(),
            sender_email=acting_user.email,
            requested_by=acting_user,
            language=translation.get_language() or "en",
        )
        change.full_clean()
        change.save()
        audit_record(
            action=AuditEvent.Action.EO_CHANGE_REQUESTED,
            actor=acting_user,
            centre=centre,
            target=new_email,
            request=request,
            change=str(change.public_id),
            source=change.source,
            before={
                "exams_officer_name": centre.exams_officer_name,
                "exams_officer_email": centre.exams_officer_email,
            },
            after={"exams_officer_name": new_name, "exams_officer_email": new_email},
        )
        notify("eo_change_receipt", change_id=change.pk)
    return change, True


def exams_officer_change_submit(
    *,
    centre_number: int,
    centre_name: str,
    new_name: str,
    new_email: str,
    sender_name: str,
    sender_role: str,
    sender_email: str,
    request: HttpRequest | None = None,
) -> ExamsOfficerChange:
    """The public form (no Portal access): the centre is matched by number when it exists.

    The caller must not tell the sender whether it matched: the answer is the same either way.
    """
    new_name = _clean_name(new_name)
    split_name(new_name)
    with transaction.atomic():
        centre = Centre.objects.filter(number=centre_number).first()
        change = ExamsOfficerChange(
            source=ExamsOfficerChange.Source.PUBLIC_FORM,
            centre=centre,
            centre_number=centre_number,
            centre_name=_clean_name(centre_name),
            new_name=new_name,
            new_email=_clean_email(new_email),
            sender_name=_clean_name(sender_name),
            sender_role=_clean_name(sender_role),
            sender_email=_clean_email(sender_email),
            language=translation.get_language() or "en",
        )
        change.full_clean()
        change.save()
        audit_record(
            action=AuditEvent.Action.EO_CHANGE_REQUESTED,
            actor_email=change.sender_email,
            centre=centre,
            target=change.new_email,
            request=request,
            change=str(change.public_id),
            source=change.source,
            centre_number=centre_number,
            centre_matched=centre is not None,
        )
        if change.sender_email and (
            PUBLIC_RECEIPTS_PER_ADDRESS.hit(change.sender_email)
            <= PUBLIC_RECEIPTS_PER_ADDRESS.limit
        ):
            notify("eo_change_receipt", change_id=change.pk, language=change.language)
    return change


def _audit_decision(
    *,
    change: ExamsOfficerChange,
    before: str,
    acting_user: User,
    request: HttpRequest | None,
    **detail: Any,
) -> None:
    audit_record(
        action=AuditEvent.Action.EO_CHANGE_DECIDED,
        actor=acting_user,
        centre=change.centre,
        target=change.new_email,
        request=request,
        change=str(change.public_id),
        before=before,
        after=change.status,
        **detail,
    )


def _locked(change: ExamsOfficerChange) -> ExamsOfficerChange:
    return (
        ExamsOfficerChange.objects.select_for_update(of=("self",))
        .select_related("centre")
        .get(pk=change.pk)
    )


def _refuse(change: ExamsOfficerChange, needed: str) -> ValidationError:
    return ValidationError(
        _("The request is “%(status)s”; %(needed)s")
        % {"status": change.get_status_display(), "needed": needed}
    )


def exams_officer_change_check(
    *,
    change: ExamsOfficerChange,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ExamsOfficerChange:
    """Board staff: the security check passed (received -> checked)."""
    with transaction.atomic():
        locked = _locked(change)
        if locked.status != Status.RECEIVED:
            raise _refuse(
                locked, _("only a received request can pass the security check.")
            )
        locked.status = Status.CHECKED
        locked.checked_by = acting_user
        locked.checked_at = timezone.now()
        locked.save(update_fields=["status", "checked_by", "checked_at"])
        _audit_decision(
            change=locked,
            before=Status.RECEIVED,
            acting_user=acting_user,
            request=request,
        )
    return locked


def exams_officer_change_confirm(
    *,
    change: ExamsOfficerChange,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Invite | None:
    """Board staff: confirm (checked -> confirmed) and invite the new exams officer.

    Accepting the invite makes them the exams officer and updates the centre record. When
    the new exams officer already has an account at the centre (an Admin taking over), the
    role is handed over at once and no invite is needed.
    """
    with transaction.atomic():
        locked = _locked(change)
        if locked.status != Status.CHECKED:
            raise _refuse(
                locked,
                _("only a request that passed the security check can be confirmed."),
            )
        if locked.centre is None:
            raise ValidationError(
                _(
                    "The request is not matched to a centre yet: choose the centre "
                    "on the request first."
                )
            )
        # Told of the change too: read before the role can move.
        officer = exams_officer_of(centre=locked.centre)
        previous = officer.user.email if officer else locked.centre.exams_officer_email
        existing = (
            Membership.objects.select_related("user")
            .filter(
                centre=locked.centre,
                user__email__iexact=locked.new_email,
                is_active=True,
            )
            .first()
        )
        if existing is not None:
            exams_officer_hand_over(
                centre=locked.centre, user=existing.user, name=locked.new_name
            )
            _mark_confirmed(
                locked, acting_user, request, handed_over_to=existing.user.email
            )
            _send_confirmation(locked, previous=previous, invited=False)
            return None
        first_name, last_name = split_name(locked.new_name)
        sent = invite_send(
            centre=locked.centre,
            email=locked.new_email,
            first_name=first_name,
            last_name=last_name,
            language=locked.language,
            account_type=Membership.AccountType.EXAMS_OFFICER,
            invited_by=acting_user,
            request=request,
            # The board's decision stands over an invite the centre had sent.
            replace_pending=True,
        )
        _mark_confirmed(locked, acting_user, request, invite=str(sent.invite.public_id))
        _send_confirmation(locked, previous=previous, invited=True)
    return sent.invite


def _send_confirmation(
    change: ExamsOfficerChange, *, previous: str, invited: bool
) -> None:
    notify(
        "eo_change_confirmed",
        change_id=change.pk,
        invited=invited,
        # An address is personal data: not in logs, and emptied once sent.
        secrets={"previous_exams_officer": previous},
    )


def _mark_confirmed(
    change: ExamsOfficerChange,
    acting_user: User,
    request: HttpRequest | None,
    **detail: str,
) -> None:
    change.status = Status.CONFIRMED
    change.decided_by = acting_user
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _audit_decision(
        change=change,
        before=Status.CHECKED,
        acting_user=acting_user,
        request=request,
        **detail,
    )


def exams_officer_change_reject(
    *,
    change: ExamsOfficerChange,
    acting_user: User,
    request: HttpRequest | None = None,
) -> ExamsOfficerChange:
    """Board staff: reject an open request (received or checked -> rejected)."""
    with transaction.atomic():
        locked = _locked(change)
        if locked.status not in OPEN_STATUSES:
            raise _refuse(locked, _("only an open request can be rejected."))
        previous = locked.status
        locked.status = Status.REJECTED
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit_decision(
            change=locked,
            before=previous,
            acting_user=acting_user,
            request=request,
        )
    return locked
