from __future__ import annotations

from accounts.services.centre_users import member_remove
from accounts.services.invites import invite_accept, invite_send
from audit.models import AuditEvent
from audit.selectors import centre_events
from audit.services import audit_record
from centres.models import Membership
from tests.conftest import make_member
from tests.factories import MembershipFactory, UserFactory


def test_a_centre_sees_its_events_and_its_members_sign_ins_only(two_centres):
    audit_record(
        action=AuditEvent.Action.CENTRE_CHANGED,
        actor=two_centres.alice,
        centre=two_centres.alice_centre,
    )
    audit_record(action=AuditEvent.Action.SIGN_IN, actor=two_centres.alice)
    audit_record(
        action=AuditEvent.Action.SIGN_IN_FAILED, actor_email="teacher@alice.example"
    )
    audit_record(action=AuditEvent.Action.SIGN_IN, actor=two_centres.charlie)
    audit_record(
        action=AuditEvent.Action.CENTRE_CHANGED,
        actor=two_centres.charlie,
        centre=two_centres.charlie_centre,
    )

    seen = {
        (e.action, e.actor_email)
        for e in centre_events(centre=two_centres.alice_centre)
    }

    assert seen == {
        ("centre_changed", "alice@alice.example"),
        ("sign_in", "alice@alice.example"),
        ("sign_in_failed", "teacher@alice.example"),
    }


def test_audit_events_record_the_address_they_came_from(rf, two_centres):
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")

    event = audit_record(
        action=AuditEvent.Action.SIGN_IN, actor=two_centres.alice, request=request
    )

    assert event.ip_address == "203.0.113.7"


def test_a_refused_page_is_audited_with_who_and_where(client, two_centres):
    client.force_login(two_centres.alice_teacher.user)

    response = client.get("/accounts/users/")

    assert response.status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_REFUSED)
    assert event.actor == two_centres.alice_teacher.user
    assert event.centre == two_centres.alice_centre
    assert event.target == "/accounts/users/"


def _seen(centre) -> set[int]:
    return set(centre_events(centre=centre).values_list("pk", flat=True))


def test_a_former_members_sign_ins_from_after_they_left_are_not_shown(two_centres):
    teacher = two_centres.alice_teacher
    while_member = audit_record(
        action=AuditEvent.Action.SIGN_IN, actor=teacher.user, request=None
    )
    member_remove(
        centre=two_centres.alice_centre,
        membership=teacher,
        acting_user=two_centres.alice,
    )
    MembershipFactory(user=teacher.user, centre=two_centres.charlie_centre)

    after_leaving = audit_record(action=AuditEvent.Action.SIGN_IN, actor=teacher.user)
    failed = audit_record(
        action=AuditEvent.Action.SIGN_IN_FAILED, actor_email=teacher.user.email
    )

    seen = _seen(two_centres.alice_centre)
    assert while_member.pk in seen
    assert after_leaving.pk not in seen
    assert failed.pk not in seen
    assert after_leaving.pk in _seen(two_centres.charlie_centre)


def test_a_newcomers_events_from_before_they_joined_are_not_shown(two_centres):
    newcomer = UserFactory(email="newcomer@example.org")
    before = audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=newcomer)
    MembershipFactory(user=newcomer, centre=two_centres.alice_centre)

    after = audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=newcomer)

    seen = _seen(two_centres.alice_centre)
    assert before.pk not in seen
    assert after.pk in seen


def test_sign_ins_of_a_member_of_two_centres_are_shown_to_neither(two_centres):
    both = make_member(
        two_centres.alice_centre, Membership.AccountType.ADMIN, email="both@example.org"
    )
    MembershipFactory(user=both, centre=two_centres.charlie_centre)

    sign_in = audit_record(action=AuditEvent.Action.SIGN_IN, actor=both)
    profile = audit_record(action=AuditEvent.Action.PROFILE_CHANGED, actor=both)

    for centre in (two_centres.alice_centre, two_centres.charlie_centre):
        assert sign_in.pk not in _seen(centre)
        assert profile.pk in _seen(centre)


def test_coming_back_after_being_removed_shows_nothing_from_the_time_away(
    two_centres,
):
    teacher = two_centres.alice_teacher
    member_remove(
        centre=two_centres.alice_centre,
        membership=teacher,
        acting_user=two_centres.alice,
    )
    away = audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=teacher.user)
    sent = invite_send(
        centre=two_centres.alice_centre,
        email=teacher.user.email,
        first_name="Tom",
        last_name="Back",
        language="en",
        account_type=Membership.AccountType.USER,
        invited_by=two_centres.alice,
    )
    invite_accept(token=sent.link.rstrip("/").rsplit("/", 1)[-1], password=None)

    back = audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=teacher.user)

    seen = _seen(two_centres.alice_centre)
    assert away.pk not in seen
    assert back.pk in seen
