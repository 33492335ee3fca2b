"""The portal's e-mails: who gets each one and what it says; `delivery.deliver` sends
each once, in each recipient's language.

Each function here is the whole body of one task in `notifications.tasks`, so it takes
ids, loads what it needs and returns how many recipients it sent to.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.debug import sensitive_variables

from accounts.models import Invite
from accounts.selectors import iamis_users
from accounts.services.invites import link_is_current
from centres.models import Centre
from common.urls import absolute_url
from iamis.models import Entry, Submission, Unit
from iamis.selectors import sheet_progress, units_for_member

from .delivery import (
    Recipient,
    deliver,
    exams_officer,
    merge,
    people,
    recipients_for,
)
from .models import SentNotification

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from moderation.models import (
        ClericalCorrection,
        ModerationOutcome,
        ModeratorReport,
    )

Kind = SentNotification.Kind

# Days before a unit's deadline when sheets not yet submitted are reminded about.
REMINDER_DAYS = (7, 1)
# A report published before results day is announced by the daily run on or after that
# day; a run missed for up to this many days still announces it.
REPORT_CATCH_UP_DAYS = 7


# --- One function per notification ---------------------------------------------------


@sensitive_variables()
def invite(*, invite_id: int, link: str) -> int:
    """The invitee, in the language the inviter chose; only while the link still works
    (a newer link, revoked or accepted: nothing to send)."""
    found = Invite.objects.select_related("centre").filter(pk=invite_id).first()
    if (
        found is None
        or not found.is_usable_at(timezone.now())
        or not link_is_current(found, link)
    ):
        return 0
    return deliver(
        kind=Kind.INVITE,
        about=f"invite-{found.pk}-{found.token_hash[:16]}",
        recipients=[Recipient(found.email, found.language)],
        template="accounts/email/invite",
        subject=_("You have been invited to the Internal Assessment Portal"),
        context={"invite": found, "link": link, "centre": found.centre},
        centre=found.centre,
    )


def submission_receipt(*, submission_id: int) -> int:
    """The person who pressed Submit and the exams officer: unit, count, time, who."""
    submission = (
        Submission.objects.select_related("centre", "unit__series", "submitted_by")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return 0
    unit = submission.unit
    link = absolute_url(
        reverse("iamis:submitted", args=[unit.public_id, submission.public_id])
    )
    return deliver(
        kind=Kind.SUBMISSION_RECEIPT,
        about=f"submission-{submission.pk}",
        recipients=merge(
            people([submission.submitted_by]), exams_officer(submission.centre)
        ),
        template="notifications/email/submission_receipt",
        subject=ngettext_lazy(
            "Marks submitted: %(code)s, %(count)d candidate",
            "Marks submitted: %(code)s, %(count)d candidates",
            "count",
        ),
        subject_values={"code": unit.code, "count": submission.mark_count},
        context={
            "submission": submission,
            "unit": unit,
            "centre": submission.centre,
            "submitted_at": timezone.localtime(submission.submitted_at),
            "submitted_by": submission.submitted_by,
            "link": link,
        },
        centre=submission.centre,
    )


def sample_ready(*, sample_id: int) -> int:
    """The sample exists: the person who submitted and the exams officer."""
    from sampling.models import Sample

    sample = (
        Sample.objects.select_related(
            "centre", "unit__series", "submission__submitted_by"
        )
        .filter(pk=sample_id, status=Sample.Status.READY)
        .first()
    )
    if sample is None:
        return 0
    # The centre hears "submitted" before "sample ready", whichever task a worker runs
    # first (a quick sample, a receipt waiting to retry): sent once, so this sends
    # nothing when the receipt has gone already, and the receipt task then sends nothing.
    submission_receipt(submission_id=sample.submission_id)
    unit = sample.unit
    return deliver(
        kind=Kind.SAMPLE_READY,
        about=f"sample-{sample.pk}",
        recipients=merge(
            people([sample.submission.submitted_by]), exams_officer(sample.centre)
        ),
        template="notifications/email/sample_ready",
        subject=_("Sample ready: %(code)s"),
        subject_values={"code": unit.code},
        context={
            "sample": sample,
            "unit": unit,
            "centre": sample.centre,
            # Sent late (after a substitution), it still counts the work to be seen.
            "size": sample.members.filter(work_unavailable=False).count(),
            "link": absolute_url(reverse("sampling:samples", args=[unit.public_id])),
        },
        centre=sample.centre,
    )


def further_sample(*, sample_id: int, member_ids: list[int]) -> int:
    """The moderator asked for more: the centre's notification addresses."""
    from sampling.models import Sample, SampleMember

    sample = (
        Sample.objects.select_related("centre", "unit").filter(pk=sample_id).first()
    )
    members = list(
        SampleMember.objects.filter(sample_id=sample_id, pk__in=member_ids)
        .select_related("entry__candidate", "entry__mark")
        .order_by("entry__candidate__number")
    )
    if sample is None or not members:
        return 0
    centre = sample.centre
    unit = sample.unit
    return deliver(
        kind=Kind.FURTHER_SAMPLE,
        about=f"sample-{sample.pk}-members-{min(m.pk for m in members)}",
        recipients=_for_centre(centre),
        template="sampling/email/further_sample",
        subject=_("Further sample requested: %(code)s"),
        subject_values={"code": unit.code},
        context={
            "sample": sample,
            "unit": unit,
            "centre": centre,
            "marks": [member.entry.mark for member in members],
            # One request's members share its note.
            "note": members[0].note,
            "link": absolute_url(reverse("sampling:samples", args=[unit.public_id])),
        },
        centre=centre,
    )


def _for_centre(centre: Centre) -> list[Recipient]:
    """The board's notices to a centre: its post-results address and exams officer."""
    return recipients_for(centre.notification_addresses())


def clerical_correction(*, correction_id: int) -> int:
    from moderation.models import ClericalCorrection

    correction: ClericalCorrection | None = (
        ClericalCorrection.objects.select_related(
            "centre", "unit__series", "entry__candidate", "mark"
        )
        .filter(pk=correction_id)
        .first()
    )
    if correction is None:
        return 0
    unit = correction.unit
    candidate = correction.entry.candidate
    return deliver(
        kind=Kind.CLERICAL_CORRECTION,
        about=f"correction-{correction.pk}",
        recipients=_for_centre(correction.centre),
        template="moderation/email/clerical_correction",
        subject=_("Clerical error identified: %(unit)s, candidate %(number)s"),
        subject_values={"unit": unit.code, "number": candidate.display_number},
        context={
            "correction": correction,
            "centre": correction.centre,
            "unit": unit,
            "candidate": candidate,
            "original": correction.mark.display_value,
            "amended": correction.display_value,
            "link": absolute_url(reverse("iamis:marksheet", args=[unit.public_id])),
        },
        centre=correction.centre,
    )


def _outcome(outcome_id: int) -> ModerationOutcome | None:
    from moderation.models import ModerationOutcome

    return (
        ModerationOutcome.objects.select_related(
            "centre", "unit__series", "proposed_by", "decided_by"
        )
        .filter(pk=outcome_id)
        .first()
    )


def _outcome_notice(
    outcome: ModerationOutcome,
    *,
    kind: str,
    recipients: list[Recipient],
    name: str,
    subject: Promise,
    link: str,
) -> int:
    """An e-mail about one version of an outcome: the template `name` in
    moderation/email/, with the outcome, its centre and unit and a link."""
    unit = outcome.unit
    return deliver(
        kind=kind,
        about=f"outcome-{outcome.pk}",
        recipients=recipients,
        template=f"moderation/email/{name}",
        subject=subject,
        subject_values={"unit": unit.code, "number": outcome.centre.display_number},
        context={
            "outcome": outcome,
            "centre": outcome.centre,
            "unit": unit,
            "link": absolute_url(link),
        },
        centre=outcome.centre,
    )


def outcome_returned(*, outcome_id: int) -> int:
    """The board sent a proposed outcome back: the moderator who proposed it is told why."""
    outcome = _outcome(outcome_id)
    if outcome is None:
        return 0
    return _outcome_notice(
        outcome,
        kind=Kind.OUTCOME_RETURNED,
        recipients=recipients_for([outcome.proposed_by.email]),
        name="outcome_returned",
        subject=_("Moderation outcome sent back: %(unit)s, centre %(number)s"),
        link=reverse(
            "moderation:moderate",
            args=[outcome.centre.number, outcome.unit.public_id],
        ),
    )


def outcome_corrected(*, outcome_id: int) -> int:
    """A released outcome was corrected by a new, board-approved version."""
    outcome = _outcome(outcome_id)
    if outcome is None:
        return 0
    return _outcome_notice(
        outcome,
        kind=Kind.OUTCOME_CORRECTED,
        recipients=_for_centre(outcome.centre),
        name="outcome_corrected",
        subject=_("Moderation outcome corrected: %(unit)s"),
        link=reverse("moderation_centre:centre_report", args=[outcome.unit.public_id]),
    )


def moderator_report(*, report_id: int, today: date | None = None) -> int:
    """The report can be read: published, and the series' results day has come."""
    from moderation.models import ModeratorReport
    from moderation.selectors import report_visible_to_centre

    today = today or timezone.localdate()
    report: ModeratorReport | None = (
        ModeratorReport.objects.select_related("centre", "unit__series")
        .filter(pk=report_id)
        .first()
    )
    if report is None or not report_visible_to_centre(report, report.unit, today):
        return 0
    unit = report.unit
    return deliver(
        kind=Kind.MODERATOR_REPORT,
        about=f"report-{report.pk}",
        recipients=_for_centre(report.centre),
        template="notifications/email/moderator_report",
        subject=_("Moderator's report available: %(code)s"),
        subject_values={"code": unit.code},
        context={
            "report": report,
            "unit": unit,
            "centre": report.centre,
            "link": absolute_url(
                reverse("moderation_centre:centre_report", args=[unit.public_id])
            ),
        },
        centre=report.centre,
    )


def reminder_recipients(centre: Centre, unit: Unit) -> list[Recipient]:
    """The exams officer and the teachers who may open the unit in IAMIS (User accounts
    with the IAMIS grant, within any unit limit), except those who switched reminders
    off. Admin accounts are not reminded: the exams officer speaks for the office."""
    may_open = [
        membership.user
        for membership in iamis_users(centre=centre)
        if units_for_member(membership=membership).filter(pk=unit.pk).exists()
    ]
    everyone = merge(exams_officer(centre), people(may_open))
    return [r for r in everyone if r.user is None or r.user.deadline_reminders]


def deadline_reminder(
    *, centre_id: int, unit_id: int, days: int, today: date | None = None
) -> int:
    """`days` (7 or 1) before the unit's deadline, for a sheet not yet submitted."""
    today = today or timezone.localdate()
    centre = Centre.objects.filter(pk=centre_id).first()
    unit = Unit.objects.select_related("series").filter(pk=unit_id).first()
    if centre is None or unit is None or unit.sample_deadline is None:
        return 0
    progress = sheet_progress(centre=centre, unit=unit)
    if not progress.to_submit:
        return 0
    return deliver(
        kind=Kind.DEADLINE_REMINDER,
        about=f"reminder-{centre.pk}-{unit.pk}-{unit.sample_deadline}-{days}",
        recipients=reminder_recipients(centre, unit),
        template="notifications/email/deadline_reminder",
        subject=_("Reminder: %(code)s marks not yet submitted, deadline %(date)s"),
        subject_values={
            "code": unit.code,
            "date": unit.sample_deadline.strftime("%d/%m/%Y"),
        },
        context={
            "unit": unit,
            "centre": centre,
            "deadline": unit.sample_deadline,
            "days_left": (unit.sample_deadline - today).days,
            "left_to_submit": progress.to_submit,
            "unmarked": progress.left,
            "link": absolute_url(reverse("iamis:marksheet", args=[unit.public_id])),
        },
        centre=centre,
    )


@sensitive_variables()
def password_reset(*, reset_id: str, email: str, site: str) -> int:
    """A link to choose a new password, for each active account with this address and a
    usable password (none for an unknown address: the page said the same either way).

    Sent from a task, so the request that asked takes as long whether or not the
    address has an account. `reset_id` names the request: a rerun sends nothing twice.
    """
    from django.contrib.auth.forms import PasswordResetForm
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    sent = 0
    for user in PasswordResetForm().get_users(email):
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        sent += deliver(
            kind=Kind.PASSWORD_RESET,
            about=f"password-reset-{reset_id}",
            recipients=people([user]),
            template="accounts/password_reset/email",
            subject=_("Reset your Internal Assessment Portal password"),
            context={"user": user, "link": f"{site.rstrip('/')}{path}"},
            centre=None,
        )
    return sent


def change_request_receipt(*, change_request_id: int) -> int:
    """A mark change request reached the board: the person who made it and the exams
    officer (who answers for the centre's marks, as with the submission receipt)."""
    from iamis.models import MarkChangeRequest
    from iamis.services.marks import value_display

    change = (
        MarkChangeRequest.objects.select_related(
            "centre", "entry__unit__series", "entry__candidate", "requested_by"
        )
        .filter(pk=change_request_id)
        .first()
    )
    if change is None:
        return 0
    unit = change.entry.unit
    candidate = change.entry.candidate
    return deliver(
        kind=Kind.CHANGE_REQUEST_RECEIPT,
        about=f"change-request-{change.pk}",
        recipients=merge(people([change.requested_by]), exams_officer(change.centre)),
        template="iamis/email/change_request_received",
        subject=_("Mark change request received: %(unit)s, candidate %(candidate)s"),
        subject_values={"unit": unit.code, "candidate": candidate.display_number},
        context={
            "change": change,
            "centre": change.centre,
            "unit": unit,
            "candidate_number": candidate.display_number,
            "current": value_display(change.current),
            "requested": value_display(change.requested),
            "requested_at": timezone.localtime(change.requested_at),
            "link": absolute_url(
                reverse("iamis:change_request_detail", args=[change.public_id])
            ),
        },
        centre=change.centre,
    )


def change_request_decided(*, change_request_id: int, link: str) -> int:
    """The board approved or rejected a mark change request: the centre's results
    address (or its exams officer's) and the person who made the request."""
    from iamis.models import MarkChangeRequest
    from iamis.services.marks import value_display

    change = (
        MarkChangeRequest.objects.select_related(
            "centre", "entry__unit", "entry__candidate", "requested_by"
        )
        .filter(pk=change_request_id)
        .first()
    )
    if change is None or change.status == MarkChangeRequest.Status.PENDING:
        return 0
    centre = change.centre
    unit = change.entry.unit
    candidate = change.entry.candidate
    approved = change.status == MarkChangeRequest.Status.APPROVED
    subject = (
        _("Mark change request approved: %(unit)s, candidate %(candidate)s")
        if approved
        else _("Mark change request rejected: %(unit)s, candidate %(candidate)s")
    )
    return deliver(
        kind=Kind.CHANGE_REQUEST_DECIDED,
        about=f"change-request-{change.pk}",
        # One message, in the language of the person who asked.
        recipients=[
            replace(recipient, language=change.requested_by.language)
            for recipient in recipients_for(
                [
                    centre.post_results_email or centre.exams_officer_email,
                    change.requested_by.email,
                ]
            )
        ],
        template="iamis/email/change_request_decided",
        subject=subject,
        subject_values={"unit": unit.code, "candidate": candidate.display_number},
        context={
            "change": change,
            "centre": centre,
            "unit": unit,
            "candidate_number": candidate.display_number,
            "approved": approved,
            "current": value_display(change.current),
            "requested": value_display(change.requested),
            "link": link,
        },
        centre=centre,
    )


def eo_change_receipt(*, change_id: int, language: str = "en") -> int:
    """A change of exams officer reached the board.

    From Manage Centre: the person who asked and the current exams officer, who learns
    that someone asked to replace them. From the public form: only the address the
    sender gave, in the language of the form, and it repeats nothing they typed but the
    centre number (a bounded number), so the form cannot carry someone else's text to an
    inbox; whether the centre exists is not said either (views.centre.eo_change_public).
    """
    from portal.models import ExamsOfficerChange

    change = (
        ExamsOfficerChange.objects.select_related("centre", "requested_by")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    public = change.source == ExamsOfficerChange.Source.PUBLIC_FORM
    if public:
        recipients = recipients_for([change.sender_email], language=language)
    else:
        requester = [change.requested_by] if change.requested_by else []
        recipients = merge(
            people(requester),
            exams_officer(change.centre) if change.centre else [],
        )
    return deliver(
        kind=Kind.EO_CHANGE_RECEIPT,
        about=f"eo-change-{change.pk}",
        recipients=recipients,
        template="portal/email/eo_change_received",
        subject=_("Change of exams officer received: centre %(number)s"),
        subject_values={"number": f"{change.centre_number:05d}"},
        context={
            "change": change,
            "public": public,
            "centre_number": f"{change.centre_number:05d}",
            "received_at": timezone.localtime(change.created_at),
            "link": absolute_url(
                reverse("portal:eo_change_status", args=[change.public_id])
            ),
        },
        centre=None if public else change.centre,
    )


def eo_change_confirmed(
    *, change_id: int, previous_exams_officer: str, invited: bool
) -> int:
    """The board confirmed a change of exams officer (the guides: "WJEC will confirm the
    changes via email and send a Portal invite to the new Exams Officer's email
    address"): the exams officer being replaced, the new one and whoever asked. The
    invite itself is its own e-mail (accounts.services.invites)."""
    from portal.models import ExamsOfficerChange

    change = (
        ExamsOfficerChange.objects.select_related("centre", "requested_by")
        .filter(pk=change_id, status=ExamsOfficerChange.Status.CONFIRMED)
        .first()
    )
    if change is None or change.centre is None:
        return 0
    asked_by = change.requested_by.email if change.requested_by else change.sender_email
    return deliver(
        kind=Kind.EO_CHANGE_CONFIRMED,
        about=f"eo-change-{change.pk}",
        recipients=recipients_for([previous_exams_officer, change.new_email, asked_by]),
        template="portal/email/eo_change_confirmed",
        subject=_("Change of exams officer confirmed: centre %(number)s"),
        subject_values={"number": change.centre.display_number},
        context={
            "change": change,
            "centre": change.centre,
            "invited": invited,
            "link": absolute_url(
                reverse("portal:eo_change_status", args=[change.public_id])
            ),
        },
        centre=change.centre,
    )


# --- What the daily run sends ------------------------------------------------------


def reminder_threshold(days_left: int) -> int | None:
    """Which reminder a sheet is due: the 1-day one from 1 day before (and on the day),
    the 7-day one from 7 days before; a missed daily run is caught up the next day."""
    if 0 <= days_left <= REMINDER_DAYS[1]:
        return REMINDER_DAYS[1]
    if REMINDER_DAYS[1] < days_left <= REMINDER_DAYS[0]:
        return REMINDER_DAYS[0]
    return None


def due_reminders(*, today: date) -> list[tuple[int, int, int]]:
    """(centre id, unit id, days) for every sheet not yet submitted whose unit's
    deadline is within 7 days (across every centre: the board's daily run)."""
    sheets = (
        Entry.objects.filter(
            unit__sample_deadline__gte=today,
            unit__sample_deadline__lte=today + timedelta(days=REMINDER_DAYS[0]),
        )
        .exclude(mark__is_locked=True)
        .values_list("centre_id", "unit_id", "unit__sample_deadline")
        .distinct()
        .order_by("centre_id", "unit_id")
    )
    due = []
    for centre_id, unit_id, deadline in sheets:
        days = reminder_threshold((deadline - today).days) if deadline else None
        if days is not None:
            due.append((centre_id, unit_id, days))
    return due


def due_reports(*, today: date) -> list[int]:
    """Published reports whose series' results day came within the catch-up window."""
    from moderation.models import ModeratorReport

    return list(
        ModeratorReport.objects.filter(
            status=ModeratorReport.Status.PUBLISHED,
            unit__series__results_day__lte=today,
            unit__series__results_day__gte=today - timedelta(days=REPORT_CATCH_UP_DAYS),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
