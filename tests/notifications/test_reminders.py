"""Deadline reminders: 7 days and 1 day before, for sheets not submitted, once each."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centres.models import AccessGrant, Membership
from notifications import emails
from sampling.services import marks_submit
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    UserFactory,
)
from tests.iamis.marking import fill
from tests.sampling.sheets import worked_sheet

from .helpers import language_of

pytestmark = pytest.mark.django_db

DEADLINE = date(2027, 5, 5)  # the factories' sample deadline


def _teacher(centre, email, *, iamis=True, **fields):
    membership = MembershipFactory(
        centre=centre, user=UserFactory(email=email, **fields)
    )
    if iamis:
        AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    return membership


def _remind(two_centres, days, *, on: date | None = None):
    return emails.deadline_reminder(
        centre_id=two_centres.alice_centre.pk,
        unit_id=two_centres.alice_unit.pk,
        days=days,
        today=on or DEADLINE - timedelta(days=days),
    )


@pytest.mark.parametrize(
    ("days_left", "due"),
    [(8, None), (7, 7), (3, 7), (2, 7), (1, 1), (0, 1), (-1, None)],
)
def test_which_reminder_is_due_from_the_days_left(days_left, due):
    assert emails.reminder_threshold(days_left) == due


def test_sheets_not_submitted_are_due_a_reminder_7_days_before(two_centres):
    due = emails.due_reminders(today=DEADLINE - timedelta(days=7))

    assert due == [
        (two_centres.alice_centre.pk, two_centres.alice_unit.pk, 7),
        (two_centres.charlie_centre.pk, two_centres.charlie_unit.pk, 7),
    ]
    assert emails.due_reminders(today=DEADLINE - timedelta(days=8)) == []


def test_a_submitted_sheet_is_not_reminded_about(two_centres):
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    due = emails.due_reminders(today=DEADLINE - timedelta(days=1))

    assert (two_centres.alice_centre.pk, unit.pk, 1) not in due
    assert (two_centres.alice_centre.pk, two_centres.alice_unit.pk, 1) in due


def test_the_exams_officer_and_teachers_who_may_open_the_unit_are_reminded(
    two_centres,
):
    centre = two_centres.alice_centre
    _teacher(centre, "ab@alice.example")
    _teacher(centre, "noiamis@alice.example", iamis=False)
    elsewhere = _teacher(centre, "other-unit@alice.example")
    elsewhere.iamis_units.add(worked_sheet(two_centres))
    MembershipFactory(
        centre=centre,
        user=UserFactory(email="admin@alice.example"),
        account_type=Membership.AccountType.ADMIN,
    )

    assert _remind(two_centres, 7) == 2

    [message] = mail.outbox
    assert set(message.to) == {"alice@alice.example", "ab@alice.example"}
    assert (
        message.subject
        == "Reminder: 3700U1 marks not yet submitted, deadline 05/05/2027"
    )
    assert "is 05/05/2027, in 7 days, and its marks have not all been submitted" in (
        message.body
    )
    assert "Candidates not yet submitted: 1." in message.body
    assert reverse("iamis:marksheet", args=[two_centres.alice_unit.public_id]) in (
        message.body
    )
    assert language_of(message) == "en"


def test_each_reminder_is_sent_once_and_the_1_day_one_is_another(two_centres):
    assert _remind(two_centres, 7) == 1
    assert _remind(two_centres, 7) == 0
    assert _remind(two_centres, 1) == 1

    assert [m.subject for m in mail.outbox] == [
        "Reminder: 3700U1 marks not yet submitted, deadline 05/05/2027"
    ] * 2
    assert "in 1 day," in mail.outbox[1].body


def test_someone_who_switched_reminders_off_is_not_reminded(two_centres):
    teacher = _teacher(two_centres.alice_centre, "ab@alice.example")
    teacher.user.deadline_reminders = False
    teacher.user.save(update_fields=["deadline_reminders"])

    _remind(two_centres, 7)

    assert [m.to for m in mail.outbox] == [["alice@alice.example"]]


def test_a_welsh_speaking_teacher_is_reminded_in_welsh(two_centres):
    _teacher(two_centres.alice_centre, "ab@alice.example", language="cy")

    _remind(two_centres, 1)

    [welsh] = [m for m in mail.outbox if m.to == ["ab@alice.example"]]
    assert language_of(welsh) == "cy"


def test_a_sheet_submitted_since_it_was_queued_is_not_reminded_about(two_centres):
    entry = two_centres.alice_candidate.entries.get()
    fill(entry, "30")
    marks_submit(
        centre=two_centres.alice_centre,
        unit=two_centres.alice_unit,
        acting_user=two_centres.alice,
    )
    mail.outbox.clear()

    assert _remind(two_centres, 1) == 0
    assert mail.outbox == []


def test_the_daily_run_queues_what_is_due_and_a_second_run_sends_nothing(
    two_centres,
):
    from notifications import tasks

    other = CandidateFactory(centre=two_centres.alice_centre, number=1002)
    EntryFactory(candidate=other, unit=two_centres.alice_unit)
    unit = two_centres.alice_unit
    unit.sample_deadline = timezone.localdate() + timedelta(days=7)
    unit.save()

    tasks.send_due.apply()
    tasks.send_due.apply()

    [message] = mail.outbox
    assert "in 7 days" in message.body
    assert "Candidates not yet submitted: 2." in message.body


# --- The switch on the profile page -------------------------------------------------

REMINDERS = reverse("accounts:reminders")


def test_the_profile_page_has_the_reminders_switch_on_by_default(alice_client):
    response = alice_client.get(reverse("accounts:profile"))

    assert f'action="{REMINDERS}"' in response.text
    [checkbox] = re.findall(
        r'<input type="checkbox" name="deadline_reminders"[^>]*>', response.text
    )
    assert " checked" in checkbox


def test_switching_reminders_off_and_on_is_saved_and_audited(alice_client, two_centres):
    from audit.models import AuditEvent

    off = alice_client.post(REMINDERS, {})
    two_centres.alice.refresh_from_db()
    assert (off.status_code, two_centres.alice.deadline_reminders) == (302, False)

    alice_client.post(REMINDERS, {"deadline_reminders": "on"})
    two_centres.alice.refresh_from_db()
    assert two_centres.alice.deadline_reminders is True
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PROFILE_CHANGED)
    assert [e.detail["after"] for e in events.order_by("pk")] == [
        {"deadline_reminders": False},
        {"deadline_reminders": True},
    ]


def test_the_switch_answers_post_only_and_needs_sign_in(alice_client, db):
    assert alice_client.get(REMINDERS).status_code == 405
    assert Client().post(REMINDERS).status_code == 302
