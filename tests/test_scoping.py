"""The fail-closed centre scope (common/scoping.py): centre-owned data is never read
without knowing whose it is, and a forgotten filter cannot show another centre's rows."""

from __future__ import annotations

import io
from typing import cast

import pytest
from celery import shared_task
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client, RequestFactory

from accounts.models import User
from centres.models import Centre, ModeratorAllocation
from centres.tenancy import scope_for_request
from common import scoping
from common.scoping import CentreScopedManager, ScopeError
from iamis.models import Candidate
from portal.celery import app as celery_app
from sampling.models import Sample
from sampling.tasks import generate_sample

from .factories import UserFactory

# Models with a centre that are deliberately not scoped, and why.
NOT_SCOPED = {
    "centres.Membership": "who belongs where: read to work out the scope itself",
    "accounts.Invite": "read by the invitee before they belong to any centre",
    "centres.ModeratorAllocation": "the board's allocation: read to work out a "
    "moderator's scope",
    "audit.AuditEvent": "append-only; sign-in events have no centre",
    "portal.ExamsOfficerChange": "written by the public change form before anyone "
    "signs in; decided by the board",
    "notifications.SentNotification": "the send-once log, read by its unique key: "
    "its centre may be empty, and a scoped read that missed a row would send twice",
}


def _centre_models() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if any(
            getattr(field, "related_model", None) is Centre and field.name == "centre"
            for field in model._meta.get_fields()
            if field.concrete
        )
    ]


SCOPED = [m for m in _centre_models() if m._meta.label not in NOT_SCOPED]


def test_every_model_with_a_centre_is_scoped_unless_exempt_with_a_reason():
    labels = {model._meta.label for model in _centre_models()}
    for model in _centre_models():
        scoped = isinstance(model._default_manager, CentreScopedManager)
        if model._meta.label in NOT_SCOPED:
            assert not scoped, f"{model._meta.label} is scoped: drop its exemption"
        else:
            assert scoped, (
                f"{model._meta.label} has a centre but no CentreScopedManager: add "
                "`objects = CentreScopedManager()` or exempt it here with a reason"
            )
    assert set(NOT_SCOPED) <= labels, "an exemption names a model that has no centre"
    assert len(SCOPED) >= 17


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_reading_centre_owned_data_outside_any_scope_fails(db, model):
    with scoping.unscoped(), pytest.raises(ScopeError):
        model.objects.exists()


def test_reverse_relations_are_scoped_too(two_centres):
    centre = two_centres.alice_centre
    with scoping.unscoped(), pytest.raises(ScopeError):
        list(two_centres.alice_unit.entries.all())
    with scoping.centres("test", two_centres.charlie_centre.pk):
        assert not two_centres.alice_unit.entries.filter(centre=centre).exists()


def test_a_scope_reads_only_its_own_centres_rows(two_centres):
    alice, charlie = two_centres.alice_centre, two_centres.charlie_centre

    with scoping.centres("test", charlie.pk):
        seen = set(Candidate.objects.values_list("centre_id", flat=True))

    assert seen == {charlie.pk}
    with scoping.every_centre("test"):
        assert {alice.pk, charlie.pk} <= set(
            Candidate.objects.values_list("centre_id", flat=True)
        )


def test_signed_out_requests_read_no_centre_data_and_ask_no_query(
    two_centres, django_assert_num_queries
):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with (
        scoping.entered(scope_for_request(request)),
        django_assert_num_queries(0),
    ):
        assert list(Candidate.objects.all()) == []


def test_a_moderator_reads_only_the_allocated_centres(two_centres):
    moderator = cast(User, UserFactory(is_moderator=True))
    ModeratorAllocation.objects.create(
        moderator=moderator,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )
    request = RequestFactory().get("/")
    request.user = moderator
    request.centre = None

    with scoping.entered(scope_for_request(request)):
        seen = set(Candidate.objects.values_list("centre_id", flat=True))

    assert seen == {two_centres.charlie_centre.pk}


def test_board_staff_read_every_centre(two_centres):
    request = RequestFactory().get("/")
    staff = cast(User, UserFactory(is_staff=True))
    request.user = staff

    assert scope_for_request(request).is_every_centre


def test_a_view_that_forgets_its_centre_filter_shows_only_the_signed_in_centre(
    two_centres, settings
):
    # tests/leaky_urls.py: `forgetful_candidate` filters by number only.
    settings.ROOT_URLCONF = "tests.leaky_urls"
    number = two_centres.alice_candidate.number
    alice, charlie = Client(), Client()
    alice.force_login(two_centres.alice)
    charlie.force_login(two_centres.charlie)

    own = alice.get(f"/forgetful/{number}/")
    foreign = charlie.get(f"/forgetful/{number}/")

    assert own.status_code == 200
    assert own.content.decode() == two_centres.alice_candidate.surname
    assert foreign.status_code == 404


@shared_task(name="tests.forgets_its_scope")
def forgets_its_scope() -> int:
    return Candidate.objects.count()


def test_a_task_that_forgets_its_scope_fails_even_when_its_caller_had_one(db):
    # The test itself runs with every centre in scope; the task must not inherit it.
    assert scoping.current_scope().is_every_centre
    with pytest.raises(ScopeError):
        forgets_its_scope.apply().get()


def test_every_beat_task_sets_its_own_scope(db):
    celery_app.autodiscover_tasks(force=True)
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        with scoping.unscoped():
            celery_app.tasks[str(entry["task"])].apply().get()


def test_the_sample_task_works_in_its_submissions_centre_only(two_centres):
    submission = two_centres.alice_submission

    with scoping.unscoped():
        generate_sample.apply(args=[submission.pk]).get()

    assert Sample.objects.filter(submission=submission).count() == 1


def test_every_command_sets_its_own_scope(db, tmp_path):
    entries = tmp_path / "entries.csv"
    entries.write_text(
        "centre_number,candidate_number,surname,forename,date_of_birth,unit_code\n"
        "68999,4321,Pugh,Nia,02/03/2010,3700U1\n"
    )
    commands = [
        ["demo_data", "--allow-debug-off"],
        ["import_entries", str(entries), "--series", "gcse-june-2027"],
        ["load_training"],
        ["apply_retention", "--dry-run"],
        ["apply_retention"],
    ]

    with scoping.unscoped():
        for command in commands:
            call_command(*command, stdout=io.StringIO())
        with pytest.raises(ScopeError):
            Candidate.objects.exists()

    assert Candidate.objects.filter(number=4321, surname="Pugh").exists()
