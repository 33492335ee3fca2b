"""Each event e-mails the right people once, in their language, with a plain-text part."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.services.invites import invite_resend, invite_send
from centres.models import AccessGrant, Membership
from moderation.services.corrections import correction_make
from moderation.services.reports import report_save
from notifications import tasks
from notifications.models import SentNotification
from portal.celery import app
from sampling.services import (
    marks_submit,
    sample_generate,
    sample_request_further,
    sample_substitute,
)
from tests.factories import AccessGrantFactory, MembershipFactory, UserFactory
from tests.iamis.marking import fill
from tests.moderation.helpers import moderated_sheet
from tests.sampling.sheets import entry_of, ready_sample, worked_sheet

from .helpers import html_of, language_of, sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(two_centres):
    user = UserFactory(email="ab@alice.example", first_name="Aled", last_name="Bevan")
    membership = MembershipFactory(centre=two_centres.alice_centre, user=user)
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    return user


def _submit(two_centres, user, django_capture_on_commit_callbacks):
    unit = worked_sheet(two_centres)
    with django_capture_on_commit_callbacks(execute=True):
        submission = marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=user
        )
    return submission


# --- Submission receipt -------------------------------------------------------------


def test_a_receipt_for_one_candidate_says_so_in_the_singular(
    two_centres, django_capture_on_commit_callbacks
):
    unit = two_centres.alice_unit
    entry = two_centres.alice_candidate.entries.get(unit=unit)
    fill(entry, "20")
    with django_capture_on_commit_callbacks(execute=True):
        marks_submit(centre=entry.centre, unit=unit, acting_user=two_centres.alice)

    receipt = next(m for m in mail.outbox if m.subject.startswith("Marks submitted"))
    assert receipt.subject == f"Marks submitted: {unit.code}, 1 candidate"
    assert "1 mark has been submitted for" in receipt.body


def test_a_submission_receipt_goes_to_the_submitter_and_the_exams_officer(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    submission = _submit(two_centres, teacher, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert set(message.to) == {"ab@alice.example", "alice@alice.example"}
    assert message.subject == f"Marks submitted: {submission.unit.code}, 12 candidates"
    when = timezone.localtime(submission.submitted_at).strftime("%d/%m/%Y %H:%M")
    assert "12 marks have been submitted for" in message.body
    assert f"Submitted by Aled Bevan (ab@alice.example) on {when}." in message.body
    assert submission.unit.code in message.body
    assert "Submitted by Aled Bevan" in html_of(message)
    assert language_of(message) == "en"


def test_a_welsh_speaking_exams_officer_gets_the_receipt_rendered_in_welsh(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    two_centres.alice.language = "cy"
    two_centres.alice.save(update_fields=["language"])

    _submit(two_centres, teacher, django_capture_on_commit_callbacks)

    [english] = sent_to("ab@alice.example")
    [welsh] = sent_to("alice@alice.example")
    assert english is not welsh
    assert (language_of(english), language_of(welsh)) == ("en", "cy")
    assert welsh.to == ["alice@alice.example"]


def test_the_exams_officer_submitting_gets_one_receipt(
    two_centres, django_capture_on_commit_callbacks
):
    _submit(two_centres, two_centres.alice, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [["alice@alice.example"]]


def test_without_an_exams_officer_account_the_centre_records_address_is_used(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=two_centres.alice).update(
        account_type=Membership.AccountType.ADMIN
    )
    two_centres.alice_centre.exams_officer_email = "office@alice.example"
    two_centres.alice_centre.save()

    _submit(two_centres, teacher, django_capture_on_commit_callbacks)

    assert set(mail.outbox[0].to) == {"ab@alice.example", "office@alice.example"}


def test_running_the_receipt_task_again_sends_nothing_more(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    submission = _submit(two_centres, teacher, django_capture_on_commit_callbacks)

    again = tasks.submission_receipt.apply(kwargs={"submission_id": submission.pk})

    assert again.get() == 0
    assert len(mail.outbox) == 1
    assert (
        SentNotification.objects.filter(
            kind="submission_receipt", about=f"submission-{submission.pk}"
        ).count()
        == 2
    )


def test_a_failed_send_records_nothing_so_the_retry_sends_it(
    two_centres, teacher, monkeypatch
):
    unit = worked_sheet(two_centres)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=teacher
    )

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", refused)
        with pytest.raises(ConnectionRefusedError):
            tasks.submission_receipt.apply(
                kwargs={"submission_id": submission.pk}, throw=True, retries=8
            )
    assert not SentNotification.objects.exists()

    tasks.submission_receipt.apply(kwargs={"submission_id": submission.pk})

    assert len(mail.outbox) == 1


def test_nothing_is_sent_when_the_submission_is_rolled_back(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    unit = worked_sheet(two_centres)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        marks_submit(centre=two_centres.alice_centre, unit=unit, acting_user=teacher)

    # Queued on commit only (the sample and the receipt): none has run yet.
    assert len(callbacks) == 2
    assert mail.outbox == []


# --- Sample ready -------------------------------------------------------------------


def test_the_submitter_and_exams_officer_hear_that_the_sample_is_ready(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    submission = _submit(two_centres, teacher, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sample_generate(submission_id=submission.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sample_generate(submission_id=submission.pk)  # a redelivered task

    [message] = mail.outbox
    assert set(message.to) == {"ab@alice.example", "alice@alice.example"}
    assert message.subject == f"Sample ready: {submission.unit.code}"
    assert "is ready: 5 candidates." in message.body
    assert "Send the work of each sampled candidate to the moderator." in message.body
    assert f"/iamis/units/{submission.unit.public_id}/samples/" in message.body
    assert language_of(message) == "en"


def test_a_sample_ready_email_sent_after_a_substitution_counts_the_work_to_be_seen(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    # The worker picks the e-mail up late (the mail server was away): by then the
    # centre has replaced lost work. The lost member is not counted; its substitute is.
    submission = _submit(two_centres, teacher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        sample = sample_generate(submission_id=submission.pk)
        lost = sample.members.get(entry=entry_of(sample, 1006))
        sample_substitute(
            sample=sample,
            member=lost,
            replacement=entry_of(sample, 1005),
            note="Lost in the post.",
            acting_user=teacher,
        )
    mail.outbox.clear()

    tasks.sample_ready.apply(kwargs={"sample_id": sample.pk})

    [message] = mail.outbox
    assert sample.members.count() == 6
    assert "is ready: 5 candidates." in message.body


@pytest.mark.django_db(transaction=True)
def test_with_tasks_run_in_process_the_receipt_arrives_before_the_sample_ready_email(
    two_centres, teacher, monkeypatch
):
    # bin/run's embedded default: every task runs in-process as its commit hook fires.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    unit = worked_sheet(two_centres)

    marks_submit(centre=two_centres.alice_centre, unit=unit, acting_user=teacher)

    assert [m.subject for m in mail.outbox] == [
        f"Marks submitted: {unit.code}, 12 candidates",
        f"Sample ready: {unit.code}",
    ]


def test_a_sample_ready_email_sent_before_the_receipt_task_ran_sends_the_receipt_first(
    two_centres, teacher, django_capture_on_commit_callbacks
):
    # A worker may pick the sample's e-mail before the receipt (a quick sample, a
    # receipt waiting to retry while the mail server is away).
    unit = worked_sheet(two_centres)
    with django_capture_on_commit_callbacks(execute=False):
        submission = marks_submit(
            centre=two_centres.alice_centre, unit=unit, acting_user=teacher
        )
    with django_capture_on_commit_callbacks(execute=False):
        sample = sample_generate(submission_id=submission.pk)

    tasks.sample_ready.apply(kwargs={"sample_id": sample.pk})
    late_receipt = tasks.submission_receipt.apply(
        kwargs={"submission_id": submission.pk}
    )

    assert [m.subject for m in mail.outbox] == [
        f"Marks submitted: {unit.code}, 12 candidates",
        f"Sample ready: {unit.code}",
    ]
    assert late_receipt.get() == 0


# --- Further samples, clerical corrections -----------------------------------------


def test_further_samples_reach_the_centres_addresses_each_in_its_language(
    two_centres, django_capture_on_commit_callbacks
):
    sample = ready_sample(two_centres)
    centre = two_centres.alice_centre
    centre.post_results_email = "results@alice.example"
    centre.exams_officer_email = "alice@alice.example"
    centre.save()
    two_centres.alice.language = "cy"
    two_centres.alice.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        sample_request_further(
            sample=sample, acting_user=two_centres.charlie, candidate_numbers=[2002]
        )

    [results] = sent_to("results@alice.example")
    [officer] = sent_to("alice@alice.example")
    assert (language_of(results), language_of(officer)) == ("en", "cy")
    assert "2002" in results.body and "2002" in html_of(results)


def test_a_second_further_sample_request_is_a_second_email(
    two_centres, django_capture_on_commit_callbacks
):
    sample = ready_sample(two_centres)
    two_centres.alice_centre.exams_officer_email = "alice@alice.example"
    two_centres.alice_centre.save()

    for number in (2002, 2004):
        with django_capture_on_commit_callbacks(execute=True):
            sample_request_further(
                sample=sample,
                acting_user=two_centres.charlie,
                candidate_numbers=[number],
            )

    assert len(mail.outbox) == 2


def test_a_clerical_correction_is_sent_once_in_the_officers_language(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.exams_officer_email = "alice@alice.example"
    two_centres.alice_centre.save()
    two_centres.alice.language = "cy"
    two_centres.alice.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        correction = correction_make(
            allocation=moderated.allocation,
            entry=moderated.entry(2003),
            typed={"task-1": "31"},
            acting_user=moderated.moderator,
        )
    tasks.clerical_correction.apply(kwargs={"correction_id": correction.pk})

    [message] = mail.outbox
    assert message.to == ["alice@alice.example"]
    assert language_of(message) == "cy"
    assert "2003" in message.body


# --- Moderator report ---------------------------------------------------------------


def _publish(moderated, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return report_save(
            allocation=moderated.allocation,
            data={"outcome": "accepted", "comments": "Well organised."},
            publish=True,
            acting_user=moderated.moderator,
        )


def test_a_report_published_before_results_day_is_announced_on_the_day(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.exams_officer_email = "alice@alice.example"
    two_centres.alice_centre.save()
    series = moderated.unit.series
    series.results_day = timezone.localdate() + timedelta(days=1)
    series.save()

    _publish(moderated, django_capture_on_commit_callbacks)
    assert mail.outbox == []

    series.results_day = timezone.localdate()
    series.save()
    tasks.send_due.apply()
    tasks.send_due.apply()

    [message] = mail.outbox
    assert message.subject == f"Moderator's report available: {moderated.unit.code}"
    report_url = reverse(
        "moderation_centre:centre_report", args=[moderated.unit.public_id]
    )
    assert report_url in message.body


def test_a_report_published_after_results_day_is_announced_at_once(
    two_centres, django_capture_on_commit_callbacks
):
    moderated = moderated_sheet(two_centres)
    two_centres.alice_centre.exams_officer_email = "alice@alice.example"
    two_centres.alice_centre.save()
    series = moderated.unit.series
    series.results_day = timezone.localdate() - timedelta(days=30)
    series.save()

    report = _publish(moderated, django_capture_on_commit_callbacks)
    # From results day the published report is the centre's: it cannot be saved again.
    with pytest.raises(ValidationError, match="can no longer be changed"):
        _publish(moderated, django_capture_on_commit_callbacks)
    tasks.moderator_report.apply(kwargs={"report_id": report.pk})

    assert [m.to for m in mail.outbox] == [["alice@alice.example"]]


# --- Invite -------------------------------------------------------------------------


def _invite(two_centres, **fields):
    return invite_send(
        centre=two_centres.alice_centre,
        email="nia@alice.example",
        first_name="Nia",
        last_name="Newteacher",
        language=fields.pop("language", "en"),
        account_type=Membership.AccountType.USER,
        invited_by=two_centres.alice,
        **fields,
    )


def test_an_invite_is_sent_in_the_chosen_language_with_a_plain_text_part(
    two_centres, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(two_centres, language="cy")

    [message] = mail.outbox
    assert message.to == ["nia@alice.example"]
    assert sent.link in message.body and sent.link in html_of(message)
    assert language_of(message) == "cy"


def test_an_invite_task_for_a_replaced_link_sends_nothing(two_centres):
    sent = _invite(two_centres)
    invite_resend(invite=sent.invite, acting_user=two_centres.alice)

    result = tasks.invite.apply(kwargs={"invite_id": sent.invite.pk, "link": sent.link})

    assert result.get() == 0
    assert mail.outbox == []


def test_the_invite_link_is_kept_out_of_the_task_logs(
    two_centres, django_capture_on_commit_callbacks, monkeypatch
):
    from outbox.models import Message
    from outbox.tasks import deliver

    queued = []
    monkeypatch.setattr(
        deliver, "apply_async", lambda args=None, **options: queued.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(two_centres)

    # Only the outbox message's id goes to the broker (and into the worker's logs).
    [message] = Message.objects.filter(kind="invite")
    assert queued == [(message.pk,)]
    assert sent.link not in repr(message.arguments)
    assert message.secrets == {"link": sent.link}

    deliver.apply(args=(message.pk,))

    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.secrets == {}, "the link is not kept once the e-mail is sent"
