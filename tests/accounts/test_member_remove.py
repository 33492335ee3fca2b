"""Remove user: the account leaves the centre, loses its access and its sessions there."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.services.centre_users import member_remove
from audit.models import AuditEvent
from centres.models import AccessGrant, Membership
from centres.tenancy import SESSION_KEY
from tests.factories import (
    PASSWORD,
    AccessGrantFactory,
    MembershipFactory,
    UserFactory,
)

# The admin's own password, asked for again before anyone is removed.
CONFIRMED = {"password": PASSWORD}


def _url(membership: Membership) -> str:
    return reverse("accounts:member_remove", args=[membership.public_id])


def _signed_in_at(membership: Membership) -> Client:
    """A browser session of the member's person, working for the member's centre."""
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    return client


def _admin_at(centre, **user_fields) -> Membership:
    return MembershipFactory(
        centre=centre,
        account_type=Membership.AccountType.ADMIN,
        user=UserFactory(**user_fields),
    )


def test_removal_asks_for_confirmation_first(alice_client, two_centres):
    response = alice_client.get(_url(two_centres.alice_teacher))

    assert response.status_code == 200
    assert "teacher@alice.example" in response.text
    assert "from centre 68999?" in response.text
    assert '<button type="submit" class="button">Remove user</button>' in response.text
    assert 'autocomplete="current-password"' in response.text
    assert Membership.objects.get(pk=two_centres.alice_teacher.pk).is_active


@pytest.mark.parametrize("password", ["", "not-my-password"])
def test_removal_needs_the_admins_own_password(alice_client, two_centres, password):
    teacher = two_centres.alice_teacher

    response = alice_client.post(_url(teacher), {"password": password})

    assert response.status_code == 200
    assert "Remove user" in response.text
    assert 'class="error"' in response.text
    assert Membership.objects.get(pk=teacher.pk).is_active
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.USER_REMOVED).exists()


def test_removing_a_user_deactivates_them_here_and_drops_their_access(
    alice_client, two_centres
):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=AccessGrant.Area.IAMIS)
    teacher.iamis_units.add(two_centres.alice_unit)

    response = alice_client.post(_url(teacher), CONFIRMED, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:centre_users")
    assert "can no longer use this centre" in response.text
    assert "teacher@alice.example</td>" not in response.text
    teacher.refresh_from_db()
    assert teacher.is_active is False
    assert not AccessGrant.objects.filter(membership=teacher).exists()
    assert list(teacher.iamis_units.all()) == []
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_REMOVED)
    assert event.actor == two_centres.alice
    assert event.centre == two_centres.alice_centre
    assert event.target == "teacher@alice.example"
    assert event.detail["access"]["areas"] == ["iamis"]


def test_removal_ends_their_sessions_at_this_centre_only(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    at_charlies = MembershipFactory(
        user=teacher.user, centre=two_centres.charlie_centre
    )
    here = _signed_in_at(teacher)
    elsewhere = _signed_in_at(at_charlies)
    here_key = here.session.session_key

    alice_client.post(_url(teacher), CONFIRMED)

    assert not Session.objects.filter(session_key=here_key).exists()
    response = here.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))
    still = elsewhere.get(reverse("portal:home"))
    assert still.status_code == 200
    assert "Charlie College" in still.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_REMOVED)
    assert event.detail["sessions_ended"] == 1


def test_the_admins_own_session_survives_a_removal(alice_client, two_centres):
    alice_client.post(_url(two_centres.alice_teacher), CONFIRMED)

    assert alice_client.get(reverse("accounts:centre_users")).status_code == 200


def test_a_removed_person_signing_in_again_has_no_centre(two_centres):
    teacher = two_centres.alice_teacher
    member_remove(
        centre=two_centres.alice_centre,
        membership=teacher,
        acting_user=two_centres.alice,
    )
    client = Client()
    client.force_login(teacher.user)

    response = client.get(reverse("iamis:index"))

    assert response.status_code == 403


def test_you_cannot_remove_yourself(alice_client, two_centres):
    own = Membership.objects.get(user=two_centres.alice)

    page = alice_client.get(_url(own))
    response = alice_client.post(_url(own), CONFIRMED, follow=True)

    assert "You cannot remove your own account." in page.text
    assert "<button" not in page.text.split("<main")[1]
    assert "You cannot remove your own account." in response.text
    own.refresh_from_db()
    assert own.is_active


def test_an_admin_cannot_remove_the_exams_officer(two_centres):
    admin = _admin_at(two_centres.alice_centre)
    client = Client()
    client.force_login(admin.user)
    officer = Membership.objects.get(user=two_centres.alice)

    response = client.post(_url(officer), CONFIRMED, follow=True)

    assert (
        "account cannot be removed. Request a change of exams officer" in response.text
    )
    officer.refresh_from_db()
    assert officer.is_active
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.USER_REMOVED)


def test_an_admin_account_can_be_removed_by_the_exams_officer(
    alice_client, two_centres
):
    admin = _admin_at(two_centres.alice_centre)

    alice_client.post(_url(admin), CONFIRMED)

    admin.refresh_from_db()
    assert admin.is_active is False


def test_another_centres_member_cannot_be_removed(charlie_client, two_centres):
    teacher = two_centres.alice_teacher

    assert charlie_client.get(_url(teacher)).status_code == 404
    assert charlie_client.post(_url(teacher), CONFIRMED).status_code == 404
    teacher.refresh_from_db()
    assert teacher.is_active


def test_a_user_account_cannot_remove_anyone(two_centres):
    other = MembershipFactory(centre=two_centres.alice_centre)
    client = _signed_in_at(two_centres.alice_teacher)

    assert client.post(_url(other), CONFIRMED).status_code == 403
    other.refresh_from_db()
    assert other.is_active


def test_an_already_removed_member_is_not_found(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    alice_client.post(_url(teacher), CONFIRMED)

    assert alice_client.post(_url(teacher), CONFIRMED).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_REMOVED).count() == 1


def test_remove_refuses_other_methods(alice_client, two_centres):
    assert alice_client.put(_url(two_centres.alice_teacher)).status_code == 405


def test_an_admin_removed_meanwhile_cannot_remove_anyone(two_centres):
    admin = _admin_at(two_centres.alice_centre)
    Membership.objects.filter(pk=admin.pk).update(is_active=False)

    with pytest.raises(ValidationError):
        member_remove(
            centre=two_centres.alice_centre,
            membership=two_centres.alice_teacher,
            acting_user=admin.user,
        )
    assert Membership.objects.get(pk=two_centres.alice_teacher.pk).is_active


def test_a_member_of_another_centre_cannot_be_removed_through_the_service(
    two_centres,
):
    charlies = Membership.objects.get(user=two_centres.charlie)
    teacher_at_charlies = MembershipFactory(centre=two_centres.charlie_centre)

    with pytest.raises(ValidationError):
        member_remove(
            centre=two_centres.alice_centre,
            membership=teacher_at_charlies,
            acting_user=two_centres.alice,
        )
    assert Membership.objects.get(pk=teacher_at_charlies.pk).is_active
    assert charlies.is_active
