from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation
from hypothesis import settings as hypothesis_settings

from accounts.models import Invite, User
from centres.models import Centre, Membership
from common import scoping
from iamis.models import Candidate, MarkChangeRequest, Submission, Unit
from portal.models import ExamsOfficerChange

from .factories import (
    CandidateFactory,
    CentreFactory,
    EntryFactory,
    MembershipFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)

# A shared 2-core machine has slow moments; timing is not what the properties test.
hypothesis_settings.register_profile("suite", deadline=None, print_blob=True)
hypothesis_settings.load_profile("suite")


@pytest.fixture(autouse=True)
def board_wide_scope():
    # Arrange and assert steps read every centre's rows, as the board may. What is under
    # test sets its own scope: requests (TenancyMiddleware), tasks (ScopeFreshTask starts
    # them with none) and commands (common/scoping.py).
    with scoping.every_centre("tests"):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    # The suite's cache is a real Redis database: start every test from nothing.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_to_start_with():
    # The test client leaves the last request's language active in this thread (a
    # server's next request sets its own): a test that calls a service after one in
    # Welsh would otherwise get Welsh messages.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing strength is Django's concern, not these tests'; MD5 keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def notifications_in_process(request, monkeypatch):
    """No worker runs in most tests, so notification tasks run in-process when queued,
    through Celery's own `Task.apply` (the same task code and arguments). A test marked
    `notifications_through_redis` sends them to Redis for a real worker instead."""
    if request.node.get_closest_marker("notifications_through_redis"):
        return
    import notifications.tasks  # noqa: F401 (registers the tasks before the loop)
    import outbox.tasks  # noqa: F401
    from portal.celery import app

    sweeps = {"notifications.send_due", "outbox.sweep"}
    for name, task in list(app.tasks.items()):
        if name.startswith(("notifications.", "outbox.")) and name not in sweeps:

            def apply_now(args=None, kwargs=None, _task=task, **options):
                return _task.apply(args, kwargs)

            monkeypatch.setattr(task, "apply_async", apply_now)


@dataclass
class TwoCentres:
    """Alice's centre and Charlie's centre, each with an exams officer and entries.

    Alice's unit has no entries at Charlie's centre and her candidate numbers are not used
    there, so every object of Alice's is foreign to Charlie.
    """

    alice: User
    alice_centre: Centre
    alice_unit: Unit
    alice_candidate: Candidate
    alice_teacher: Membership
    alice_invite: Invite
    alice_eo_change: ExamsOfficerChange
    alice_submission: Submission
    alice_change_request: MarkChangeRequest
    charlie: User
    charlie_centre: Centre
    charlie_unit: Unit
    charlie_candidate: Candidate


def make_member(
    centre: Centre,
    account_type: str = Membership.AccountType.EXAMS_OFFICER,
    **user_fields,
) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, centre=centre, account_type=account_type)
    return user


@pytest.fixture
def two_centres(db) -> TwoCentres:
    alice_centre = CentreFactory(number=68999, name="Alice Academy")
    charlie_centre = CentreFactory(number=12345, name="Charlie College")
    alice = make_member(alice_centre, email="alice@alice.example", first_name="Alice")
    charlie = make_member(
        charlie_centre, email="charlie@charlie.example", first_name="Charlie"
    )
    alice_unit = UnitFactory(code="3700U1", title="Alicespecific Oracy")
    TaskFactory(unit=alice_unit, number=1, max_mark=40)
    charlie_unit = UnitFactory(code="3720U4", title="Charliespecific Literature")
    TaskFactory(unit=charlie_unit, number=1, max_mark=60)
    alice_candidate = CandidateFactory(
        centre=alice_centre, number=1001, surname="Alicesurname", forename="Ann"
    )
    charlie_candidate = CandidateFactory(
        centre=charlie_centre, number=2001, surname="Charliesurname", forename="Cai"
    )
    EntryFactory(candidate=alice_candidate, unit=alice_unit)
    EntryFactory(candidate=charlie_candidate, unit=charlie_unit)
    alice_teacher = MembershipFactory(
        centre=alice_centre,
        user=UserFactory(email="teacher@alice.example", last_name="Aliceteacher"),
    )
    now = timezone.now()
    alice_invite = Invite.objects.create(
        centre=alice_centre,
        email="invitee@alice.example",
        first_name="Ivy",
        last_name="Aliceinvitee",
        account_type=Membership.AccountType.USER,
        invited_by=alice,
        token_hash="0" * 64,
        sent_at=now,
        expires_at=now + timedelta(days=7),
    )
    alice_eo_change = ExamsOfficerChange.objects.create(
        source=ExamsOfficerChange.Source.PORTAL,
        centre=alice_centre,
        centre_number=alice_centre.number,
        centre_name=alice_centre.name,
        new_name="Eve Alicenewofficer",
        new_email="eve@alice.example",
        requested_by=alice,
    )
    alice_entry = alice_candidate.entries.get(unit=alice_unit)
    alice_submission = Submission.objects.create(
        centre=alice_centre, unit=alice_unit, submitted_by=alice, mark_count=0
    )
    alice_change_request = MarkChangeRequest.objects.create(
        centre=alice_centre,
        entry=alice_entry,
        centre_number=alice_centre.number,
        centre_name=alice_centre.name,
        current={"total": 20},
        requested={"total": 25},
        reason="Alicereason: added up wrongly",
        requested_by=alice,
    )
    return TwoCentres(
        alice=alice,
        alice_centre=alice_centre,
        alice_unit=alice_unit,
        alice_candidate=alice_candidate,
        alice_teacher=alice_teacher,
        alice_invite=alice_invite,
        alice_eo_change=alice_eo_change,
        alice_submission=alice_submission,
        alice_change_request=alice_change_request,
        charlie=charlie,
        charlie_centre=charlie_centre,
        charlie_unit=charlie_unit,
        charlie_candidate=charlie_candidate,
    )


@pytest.fixture
def alice_client(two_centres: TwoCentres) -> Client:
    client = Client()
    client.force_login(two_centres.alice)
    return client


@pytest.fixture
def charlie_client(two_centres: TwoCentres) -> Client:
    client = Client()
    client.force_login(two_centres.charlie)
    return client


@pytest.fixture
def media(settings, tmp_path):
    """Stored files go to a fresh folder; small chunks keep chunked uploads quick.
    The app folders that store files use it for every test (their conftest.py)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    settings.UPLOAD_CHUNK_BYTES = 64 * 1024
    return tmp_path / "media"


def pytest_terminal_summary(terminalreporter):
    # The access matrix's size, to quote (tests/test_access_matrix.py).
    walk = sys.modules.get("tests.access_walk")
    summary = walk.matrix_summary() if walk is not None else ""
    if summary:
        terminalreporter.write_line(summary)
