from __future__ import annotations

from audit.models import AuditEvent
from audit.selectors import centre_events
from audit.services import audit_record


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
