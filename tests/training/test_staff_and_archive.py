"""The exams officer's view of the staff, tenancy, and the yearly archive."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from training import services
from training.models import AcademicYear, Certificate, Progress, SectionProgress

from .conftest import staff_member
from .flow import answer_all, declare, do_steps_1_and_2

pytestmark = pytest.mark.django_db


def _pass_all(staff, assessment):
    declare(staff.client, assessment)
    for section in assessment.sections.all():
        do_steps_1_and_2(staff.client, assessment, section.number)
        answer_all(staff.client, assessment, section.number, wrong=set())


def test_the_exams_officer_sees_each_staff_members_status_and_certificate(
    two_centres, invigilator, unit1, alice_client
):
    _pass_all(invigilator, unit1)
    certificate = Certificate.objects.get()

    page = alice_client.get(reverse("training:staff"))
    detail = alice_client.get(
        reverse("training:staff_member", args=[invigilator.membership.public_id])
    )
    own_view = alice_client.get(
        reverse("training:certificate", args=[certificate.public_id])
    )

    assert "Iolo Invigilator" in page.content.decode()
    assert "Passed" in page.content.decode()
    assert "3/3" in detail.content.decode()
    assert own_view.status_code == 200


def test_another_centres_staff_and_certificates_are_404(
    two_centres, invigilator, unit1, charlie_client
):
    _pass_all(invigilator, unit1)
    certificate = Certificate.objects.get()
    charlie_staff = staff_member(two_centres.charlie_centre)

    detail = charlie_client.get(
        reverse("training:staff_member", args=[invigilator.membership.public_id])
    )
    cert = charlie_client.get(
        reverse("training:certificate", args=[certificate.public_id])
    )
    by_colleague = charlie_staff.client.get(
        reverse("training:certificate", args=[certificate.public_id])
    )
    listing = charlie_client.get(reverse("training:staff")).content.decode()

    assert detail.status_code == 404
    assert cert.status_code == 404
    assert by_colleague.status_code == 404
    assert "Iolo" in listing  # Charlie's own invigilator is listed...
    assert invigilator.user.email not in listing  # ...Alice's is not


def test_a_colleague_cannot_open_another_staff_members_certificate(
    two_centres, invigilator, unit1
):
    _pass_all(invigilator, unit1)
    colleague = staff_member(two_centres.alice_centre)

    response = colleague.client.get(
        reverse("training:certificate", args=[Certificate.objects.get().public_id])
    )

    assert response.status_code == 404


def test_the_archive_task_is_idempotent_and_leaves_attempts_read_only(
    invigilator, unit1, year
):
    declare(invigilator.client, unit1)
    do_steps_1_and_2(invigilator.client, unit1, 1)
    answer_all(invigilator.client, unit1, 1, wrong={1})
    august_first = timezone.make_aware(
        timezone.datetime.combine(
            year.ends_on + timedelta(days=1), timezone.datetime.min.time()
        )
    )

    before = services.years_archive(now=august_first - timedelta(days=1))
    first = services.years_archive(now=august_first)
    second = services.years_archive(now=august_first)

    assert (before, first, second) == (0, 1, 0)
    progress = Progress.objects.get()
    assert progress.archived_at == august_first
    year.refresh_from_db()
    assert year.archived_at == august_first
    item = SectionProgress.objects.get(progress=progress, section__number=1)
    with pytest.raises(ValidationError):
        services.attempt_current(section_progress=item)
    with pytest.raises(ValidationError):
        services.training_mark_read(
            section_progress=SectionProgress.objects.get(
                progress=progress, section__number=2
            )
        )
    # The archived results stay visible, read-only.
    page = invigilator.client.get(reverse("training:sections", args=[unit1.public_id]))
    assert "has been archived" in page.content.decode()


def test_a_new_years_assessments_open_only_once_published(two_centres):
    from training.content import DEFAULT_CONTENT, content_load_file

    _start, _end, label = services.AcademicYear.bounds_for(date.today())
    content_load_file(DEFAULT_CONTENT, publish=False, year_label=label)
    staff = staff_member(two_centres.alice_centre)

    before = staff.client.get(reverse("training:assessments")).content.decode()
    content_load_file(DEFAULT_CONTENT, publish=True, year_label=label)
    after = staff.client.get(reverse("training:assessments")).content.decode()

    assert "will be available once the board publishes them" in before
    assert "NEW INVIGILATORS" in after


def _archive(year) -> None:
    services.years_archive(
        now=timezone.make_aware(
            timezone.datetime.combine(
                year.ends_on + timedelta(days=1), timezone.datetime.min.time()
            )
        )
    )


def test_after_the_archive_the_exams_officer_still_sees_last_years_results(
    two_centres, invigilator, unit1, year, alice_client
):
    client = invigilator.client
    declare(client, unit1)
    do_steps_1_and_2(client, unit1, 1)
    failed = answer_all(client, unit1, 1, wrong={1})
    client.post(failed["Location"])  # Re-attempt
    answer_all(client, unit1, 1, wrong=set())
    for number in (2, 3):
        do_steps_1_and_2(client, unit1, number)
        answer_all(client, unit1, number, wrong=set())
    certificate = Certificate.objects.get()
    _archive(year)

    overview = alice_client.get(reverse("training:staff")).content.decode()
    member = alice_client.get(
        reverse("training:staff_member", args=[invigilator.membership.public_id])
    ).content.decode()

    assert year.label in overview
    assert "Iolo Invigilator" in overview
    assert reverse("training:certificate", args=[certificate.public_id]) in overview
    assert "3/3" in overview
    assert "4 attempts" in overview  # two at section 1, one at each of the others
    assert "(Section 1)" in member
    assert "4/4" in member
    assert "2 attempts" in member
    first = SectionProgress.objects.get(section__number=1).attempts.get(number=1)
    assert reverse("training:staff_attempt", args=[first.public_id]) in member


def test_the_exams_officer_sees_the_questions_answered_in_an_attempt(
    two_centres, invigilator, unit1, year, alice_client, charlie_client
):
    declare(invigilator.client, unit1)
    do_steps_1_and_2(invigilator.client, unit1, 1)
    answer_all(invigilator.client, unit1, 1, wrong={1})
    attempt = SectionProgress.objects.get(section__number=1).attempts.get()
    section = unit1.sections.get(number=1)
    _archive(year)

    page = alice_client.get(reverse("training:staff_attempt", args=[attempt.public_id]))
    foreign = charlie_client.get(
        reverse("training:staff_attempt", args=[attempt.public_id])
    )
    by_the_person = invigilator.client.get(
        reverse("training:staff_attempt", args=[attempt.public_id])
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert "Your Mark" not in body
    assert "3 out of 4" in body
    for question in section.questions.all():
        assert escape(question.text) in body
    wrong = section.questions.get(number=1)
    chosen = attempt.answers.get(question=wrong).option
    row = body[body.index(escape(wrong.text)) :].split("</tr>")[0]
    assert escape(chosen.text) in row
    assert "Incorrect" in row
    assert foreign.status_code == 404
    assert by_the_person.status_code == 403


def test_the_overview_takes_the_same_queries_with_more_earlier_results(
    two_centres, unit1, year, alice_client
):
    def passed_last_year() -> None:
        # Reopened for the arrangement only; the archive closes it again.
        AcademicYear.objects.filter(pk=year.pk).update(archived_at=None)
        _pass_all(staff_member(two_centres.alice_centre), unit1)
        _archive(year)

    passed_last_year()
    alice_client.get(reverse("training:staff"))
    with CaptureQueriesContext(connection) as one:
        alice_client.get(reverse("training:staff"))
    passed_last_year()
    with CaptureQueriesContext(connection) as two:
        page = alice_client.get(reverse("training:staff"))

    assert len(two) == len(one)
    assert page.content.decode().count("training/certificates/") == 2
