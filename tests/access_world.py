"""The people and objects the access matrix (tests/access_matrix.py) walks with.

Built on the `two_centres` fixture: Alice's centre is every member role's own centre and
Charlie's is the other centre. Each role has one person and one signed-in client, made
once per walk. Every object a URL names exists at both centres, so a URL can be built
for "own" (Alice's centre, or the allocated moderator's allocation) and for "foreign"
(Charlie's centre) from the keyword tables at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from accounts.models import Invite, User
from centres.models import AccessGrant, Centre, Membership, ModeratorAllocation
from iamis.models import Candidate, MarkChangeRequest, Submission, Unit
from moderation.models import ClericalCorrection, ModerationOutcome, ModeratorReport
from reports.models import ReportRender
from sampling.models import Sample, SampleMember
from tests.access_matrix import Role
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import (
    PASSWORD,
    EntryFactory,
    MembershipFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.iamis.marking import fill
from uploads.models import EvidenceFile, Kind, ScanStatus, UploadSession


@dataclass
class Side:
    """One centre's objects, by the URL keyword that names them."""

    centre: Centre
    unit: Unit
    candidate: Candidate
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    people: dict[Role, User | None]
    own: Side
    foreign: Side
    # Keywords that name no centre-owned object: one value for every request.
    shared: dict[str, Any]
    # One object of every model registered in the back office, for its change page.
    admin_objects: dict[str, Any]
    clients: dict[Role, Client] = field(default_factory=dict)

    def client(self, role: Role) -> Client:
        if role not in self.clients:
            self.clients[role] = _client_for(role, self.people[role])
        return self.clients[role]


def _client_for(role: Role, person: User | None) -> Client:
    # A view that raises is reported as a 500 in the walk, not a stop.
    client = Client(raise_request_exception=False)
    if role is Role.HALF_SIGNED_IN:
        assert person is not None
        # The real first two steps: the session now holds a pending sign-in only.
        client.post("/accounts/sign-in/", {"email": person.email})
        response = client.post("/accounts/sign-in/password/", {"password": PASSWORD})
        assert response["Location"] == "/accounts/sign-in/code/", response
    elif person is not None:
        client.force_login(person)
    return client


def _stored(key: str, content: bytes) -> str:
    default_storage.delete(key)
    default_storage.save(key, ContentFile(content))
    return key


def _evidence(centre: Centre, unit: Unit, owner: User, tag: str) -> EvidenceFile:
    return EvidenceFile.objects.create(
        centre=centre,
        unit=unit,
        kind=Kind.NOTE,
        original_name=f"{tag}-note.txt",
        size=12,
        sha256="0" * 64,
        storage_key=_stored(f"evidence/matrix/{tag}-note", b"a note 12 by"),
        uploaded_by=owner,
        # Scanned, so the allocated moderator may download it (uploads.services.scans).
        scan_status=ScanStatus.CLEAN,
    )


def _upload(centre: Centre, unit: Unit, owner: User, tag: str) -> UploadSession:
    return UploadSession.objects.create(
        centre=centre,
        unit=unit,
        kind=Kind.NOTE,
        declared_name=f"{tag}-note.txt",
        declared_size=12,
        parts_prefix=f"upload-parts/matrix/{tag}/",
        created_by=owner,
    )


def _render(centre: Centre, unit: Unit, owner: User, tag: str) -> ReportRender:
    return ReportRender.objects.create(
        centre=centre,
        unit=unit,
        kind=ReportRender.Kind.CANDIDATE_DETAILS,
        language="en",
        fingerprint="0" * 64,
        status=ReportRender.Status.READY,
        storage_key=_stored(f"reports/matrix/{tag}.pdf", b"%PDF-1.7 report"),
        size=15,
        pages=1,
        requested_by=owner,
    )


def finished_training(
    memberships: list[Membership],
) -> tuple[Any, list[tuple[Any, Any]]]:
    """The board's assessment, and for each membership a finished attempt at its first
    section and a certificate."""
    from training.content import DEFAULT_CONTENT, content_load_file
    from training.models import AcademicYear, Attempt, Certificate
    from training.services import progress_start

    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    year = content_load_file(DEFAULT_CONTENT, publish=True, year_label=label)
    assessment = year.assessments.order_by("position").first()
    made = []
    for membership in memberships:
        progress = progress_start(membership=membership, assessment=assessment)
        progress.declaration_accepted_at = timezone.now()
        progress.passed_at = timezone.now()
        progress.save()
        item = progress.sections.get(section__number=1)
        attempt = Attempt.objects.create(
            section_progress=item,
            number=1,
            question_ids=list(item.section.questions.values_list("pk", flat=True)),
            finished_at=timezone.now(),
            correct=0,
        )
        certificate = Certificate.objects.create(
            progress=progress,
            centre=membership.centre,
            person_name=membership.user.get_full_name(),
            issued_on=timezone.localdate(),
            status=Certificate.Status.READY,
            storage_key=_stored(
                f"certificates/matrix/{membership.public_id}.pdf", b"%PDF-1.7 cert"
            ),
        )
        made.append((attempt, certificate))
    return assessment, made


def _side_values(side: Side, **objects: Any) -> None:
    side.values = {
        "unit_id": side.unit.public_id,
        "candidate_no": side.candidate.number,
        "centre_number": side.centre.number,
        "member_id": objects["member"].public_id,
        "invite_id": objects["invite"].public_id,
        "submission_id": objects["submission"].public_id,
        "change_request_id": objects["change_request"].public_id,
        "file_id": objects["evidence"].public_id,
        "upload_id": objects["upload"].public_id,
        "render_id": objects["render"].public_id,
        "attempt_id": objects["attempt"].public_id,
        "certificate_id": objects["certificate"].public_id,
    }


def _user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


def build_world(two_centres: Any) -> World:
    tc = two_centres
    alice_centre, charlie_centre = tc.alice_centre, tc.charlie_centre
    now = timezone.now()

    # Alice's centre: the teacher of the fixture gets IAMIS; one without it; an Admin.
    teacher = tc.alice_teacher
    AccessGrant.objects.create(membership=teacher, area=AccessGrant.Area.IAMIS)
    no_iamis = _user(email="noiamis@alice.example")
    MembershipFactory(centre=alice_centre, user=no_iamis)
    admin = _user(email="admin@alice.example")
    MembershipFactory(
        centre=alice_centre, account_type=Membership.AccountType.ADMIN, user=admin
    )
    # The unallocated moderator has an allocation, at Alice's centre but another unit:
    # what is refused is the (centre, unit) pair, not moderators as such.
    other_unit = UnitFactory(code="3700U9", title="Other unit")
    TaskFactory(unit=other_unit, number=1, max_mark=20)
    EntryFactory(candidate=tc.alice_candidate, unit=other_unit)
    moderator = _user(email="mo@moderators.example", is_moderator=True)
    ModeratorAllocation.objects.create(
        moderator=moderator, centre=alice_centre, unit=tc.alice_unit
    )
    unallocated = _user(email="mx@moderators.example", is_moderator=True)
    ModeratorAllocation.objects.create(
        moderator=unallocated, centre=alice_centre, unit=other_unit
    )
    board = _user(email="staff@board.example", is_staff=True, is_superuser=True)
    give_authenticator(tc.alice)

    # Charlie's centre gets the same objects Alice's has (see the two_centres fixture).
    charlie_teacher = MembershipFactory(
        centre=charlie_centre, user=UserFactory(email="teacher@charlie.example")
    )
    charlie_entry = tc.charlie_candidate.entries.get(unit=tc.charlie_unit)
    charlie_invite = Invite.objects.create(
        centre=charlie_centre,
        email="invitee@charlie.example",
        first_name="Ivo",
        last_name="Charlieinvitee",
        account_type=Membership.AccountType.USER,
        invited_by=tc.charlie,
        token_hash="1" * 64,
        sent_at=now,
        expires_at=now + timedelta(days=7),
    )
    charlie_submission = Submission.objects.create(
        centre=charlie_centre,
        unit=tc.charlie_unit,
        submitted_by=tc.charlie,
        mark_count=0,
    )
    charlie_change = MarkChangeRequest.objects.create(
        centre=charlie_centre,
        entry=charlie_entry,
        centre_number=charlie_centre.number,
        centre_name=charlie_centre.name,
        current={"total": 30},
        requested={"total": 35},
        reason="Charliereason: a slip",
        requested_by=tc.charlie,
    )
    charlie_moderator = _user(email="mc@moderators.example", is_moderator=True)
    ModeratorAllocation.objects.create(
        moderator=charlie_moderator,
        centre=charlie_centre,
        unit=tc.charlie_unit,
    )
    # Marks on both sheets; Charlie's moderator has corrected Charlie's.
    fill(tc.alice_candidate.entries.get(unit=tc.alice_unit), "20")
    charlie_mark = fill(charlie_entry, "30").mark
    ClericalCorrection.objects.create(
        centre=charlie_centre,
        unit=tc.charlie_unit,
        entry=charlie_entry,
        mark=charlie_mark,
        total=31,
        original={"total": 30},
        made_by=charlie_moderator,
    )
    # Each centre's sample is ready, its candidate in it: the moderator marks it.
    for centre, unit, submission, candidate in (
        (alice_centre, tc.alice_unit, tc.alice_submission, tc.alice_candidate),
        (charlie_centre, tc.charlie_unit, charlie_submission, tc.charlie_candidate),
    ):
        sample = Sample.objects.create(
            centre=centre,
            unit=unit,
            submission=submission,
            status=Sample.Status.READY,
            generated_at=now,
        )
        SampleMember.objects.create(
            sample=sample,
            centre=centre,
            entry=candidate.entries.get(unit=unit),
            origin=SampleMember.Origin.SYSTEM,
        )
    # Both units' results day has come and each has a published moderator report, so
    # the centre's report pages answer the centre (and only that centre).
    for centre, unit, by in (
        (alice_centre, tc.alice_unit, moderator),
        (charlie_centre, tc.charlie_unit, charlie_moderator),
    ):
        unit.series.results_day = timezone.localdate() - timedelta(days=1)
        unit.series.save(update_fields=["results_day"])
        ModeratorReport.objects.create(
            centre=centre,
            unit=unit,
            moderator=by,
            status=ModeratorReport.Status.PUBLISHED,
            published_at=now,
        )
    assessment, ((alice_attempt, alice_cert), (charlie_attempt, charlie_cert)) = (
        finished_training(
            [
                tc.alice.memberships.get(centre=alice_centre),
                tc.charlie.memberships.get(centre=charlie_centre),
            ]
        )
    )

    own = Side(alice_centre, tc.alice_unit, tc.alice_candidate)
    _side_values(
        own,
        member=teacher,
        invite=tc.alice_invite,
        submission=tc.alice_submission,
        change_request=tc.alice_change_request,
        evidence=_evidence(alice_centre, tc.alice_unit, tc.alice, "alice"),
        upload=_upload(alice_centre, tc.alice_unit, tc.alice, "alice"),
        render=_render(alice_centre, tc.alice_unit, tc.alice, "alice"),
        attempt=alice_attempt,
        certificate=alice_cert,
    )
    foreign = Side(charlie_centre, tc.charlie_unit, tc.charlie_candidate)
    _side_values(
        foreign,
        member=charlie_teacher,
        invite=charlie_invite,
        submission=charlie_submission,
        change_request=charlie_change,
        evidence=_evidence(charlie_centre, tc.charlie_unit, tc.charlie, "charlie"),
        upload=_upload(charlie_centre, tc.charlie_unit, tc.charlie, "charlie"),
        render=_render(charlie_centre, tc.charlie_unit, tc.charlie, "charlie"),
        attempt=charlie_attempt,
        certificate=charlie_cert,
    )
    shared = {
        # A change-of-exams-officer request's status page: reached by its unguessable
        # id by a sender who has no account.
        "change_id": tc.alice_eo_change.public_id,
        # Invite and password-reset links carry secret tokens; these are not real.
        "token": "not-a-real-token",
        # The step-by-step guide's topics are the same for everybody.
        "topic": "marks",
        "uidb64": "MQ",
        # Training content is the board's, the same for every centre.
        "assessment_id": assessment.public_id,
        "section_no": 1,
        "question_no": 1,
        # The board's console sees every centre's mark change requests: Alice's.
        "request_id": tc.alice_change_request.public_id,
        # ...and every centre's outcomes: Alice's proposal.
        "outcome_id": ModerationOutcome.objects.create(
            centre=alice_centre,
            unit=tc.alice_unit,
            kind=ModerationOutcome.Kind.WITHIN,
            reason="Alicereason: the marking is in line.",
            proposed_by=moderator,
        ).public_id,
    }
    return World(
        people={
            Role.ANONYMOUS: None,
            Role.HALF_SIGNED_IN: tc.alice,
            Role.TEACHER: cast(User, teacher.user),
            Role.TEACHER_NO_IAMIS: no_iamis,
            Role.ADMIN: admin,
            Role.EXAMS_OFFICER: tc.alice,
            Role.MODERATOR: moderator,
            Role.MODERATOR_UNALLOCATED: unallocated,
            Role.BOARD: board,
        },
        own=own,
        foreign=foreign,
        shared=shared,
        admin_objects=_admin_objects(),
    )


def _admin_objects() -> dict[str, Any]:
    """The first row of every model registered in the back office (all exist by now,
    except those made here)."""
    from django.contrib import admin
    from django.contrib.auth.models import Group

    Group.objects.get_or_create(name="Board office")
    _audit_and_axes_rows()
    _retention_run()
    _outbox_message()
    objects = {}
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        objects[model._meta.label_lower] = row
    return objects


def _outbox_message() -> None:
    from outbox.models import Message

    # An e-mail still to send, as the back office lists it when a broker was away.
    Message.objects.create(kind="submission_receipt", arguments={"submission_id": 0})


def _retention_run() -> None:
    from portal.retention import retention_apply

    # Nothing is due in the world (its series' results are years ahead): a logged run.
    retention_apply(today=date(2000, 1, 1), triggered_by="test")


def _audit_and_axes_rows() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from audit.models import AuditEvent
    from audit.services import audit_record

    if not AuditEvent.objects.exists():
        audit_record(action=AuditEvent.Action.SIGN_IN, actor_email="x@example.org")
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        if not model.objects.exists():
            fields: dict[str, Any] = {
                "ip_address": "127.0.0.1",
                "username": "nobody@example.org",
                "user_agent": "matrix",
                "path_info": "/accounts/sign-in/password/",
            }
            if model is AccessAttempt:
                fields["failures_since_start"] = 1
            model.objects.create(**fields)


# URL keywords naming centre-owned objects: the value comes from the side (own or
# foreign). Whoever adds a URL keyword adds it here or to `World.shared`; an unknown
# keyword fails the meta-test.
CENTRE_OWNED = frozenset(
    {
        "unit_id",
        "candidate_no",
        "centre_number",
        "member_id",
        "invite_id",
        "submission_id",
        "change_request_id",
        "file_id",
        "upload_id",
        "render_id",
        "attempt_id",
        "certificate_id",
    }
)
SHARED = frozenset(
    {
        "change_id",
        "token",
        "uidb64",
        "assessment_id",
        "section_no",
        "question_no",
        "topic",
        "outcome_id",
        "request_id",
    }
)
