"""Manage access: a User account's Portal areas and IAMIS limit, confirmed by password."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.services.centre_users import member_access_change
from audit.models import AuditEvent
from centres.models import AccessGrant, Membership
from iamis.models import Unit
from tests.factories import (
    PASSWORD,
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    QualificationFactory,
    SeriesFactory,
    UnitFactory,
)

Area = AccessGrant.Area


def _url(membership: Membership) -> str:
    return reverse("accounts:member_access", args=[membership.public_id])


def _areas(membership: Membership) -> set[str]:
    return set(membership.grants.values_list("area", flat=True))


def _post(client: Client, membership: Membership, follow: bool = False, **data):
    return client.post(_url(membership), {"password": PASSWORD, **data}, follow=follow)


def _unit_at(centre, **unit_fields) -> Unit:
    unit = UnitFactory(**unit_fields)
    EntryFactory(candidate=CandidateFactory(centre=centre), unit=unit)
    return unit


def test_page_has_a_labelled_switch_for_every_area_with_the_guides_description(
    alice_client, two_centres
):
    AccessGrantFactory(membership=two_centres.alice_teacher, area=Area.RESOURCES)

    response = alice_client.get(_url(two_centres.alice_teacher))

    text = response.text
    assert response.status_code == 200
    assert "Manage access for <strong>" in text
    assert "teacher@alice.example" in text
    for area in Area:
        assert f'value="{area.value}"' in text
        assert str(area.label) in text
    assert "Grants access to WJEC Resources." in text
    assert 'value="resources" id="id_areas_3" checked' in text
    assert 'value="iamis" id="id_areas_2" checked' not in text
    assert '<label for="id_password">' in text


def test_the_iamis_limit_offers_only_this_centres_units_and_qualifications(
    alice_client, two_centres
):
    response = alice_client.get(_url(two_centres.alice_teacher))

    text = response.text
    assert f'value="{two_centres.alice_unit.pk}"' in text
    assert "3700U1 Alicespecific Oracy" in text
    assert "Charliespecific" not in text
    assert "GCSE: all units" in text


def test_an_admin_account_has_every_area_without_switches(alice_client, two_centres):
    admin = MembershipFactory(
        centre=two_centres.alice_centre, account_type=Membership.AccountType.ADMIN
    )

    response = alice_client.get(_url(admin))

    assert "has access to every area of Portal" in response.text
    assert 'type="checkbox"' not in response.text
    assert 'type="password"' not in response.text


def test_posting_for_an_admin_account_changes_nothing(alice_client, two_centres):
    admin = MembershipFactory(
        centre=two_centres.alice_centre, account_type=Membership.AccountType.ADMIN
    )

    response = _post(alice_client, admin, areas=[Area.IAMIS])

    assert response.status_code == 200
    assert _areas(admin) == set()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_CHANGED)


def test_granting_areas_with_the_right_password_saves_and_audits_them(
    alice_client, two_centres
):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=Area.RESOURCES)

    response = _post(alice_client, teacher, areas=[Area.IAMIS, Area.TRAINING])

    assert response.status_code == 302
    assert response.url == reverse("accounts:centre_users")
    assert _areas(teacher) == {Area.IAMIS, Area.TRAINING}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_CHANGED)
    assert event.actor == two_centres.alice
    assert event.centre == two_centres.alice_centre
    assert event.target == "teacher@alice.example"
    assert event.ip_address == "127.0.0.1"
    assert event.detail["before"]["areas"] == ["resources"]
    assert event.detail["after"]["areas"] == ["iamis", "training"]
    assert PASSWORD not in str(event.detail)


def test_a_wrong_password_saves_nothing(alice_client, two_centres):
    teacher = two_centres.alice_teacher

    response = alice_client.post(
        _url(teacher), {"password": "not-my-password", "areas": [Area.IAMIS]}
    )

    assert response.status_code == 200
    assert "Your password is not right." in response.text
    assert 'href="#id_password"' in response.text
    assert _areas(teacher) == set()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_CHANGED)


def test_the_password_is_required(alice_client, two_centres):
    response = alice_client.post(
        _url(two_centres.alice_teacher), {"areas": [Area.IAMIS]}
    )

    assert response.status_code == 200
    assert 'href="#id_password"' in response.text
    assert _areas(two_centres.alice_teacher) == set()


def test_another_members_password_does_not_confirm(alice_client, two_centres):
    # Everyone in the suite has the same password except this admin.
    alice = two_centres.alice
    alice.set_password("alices-own-long-password")
    alice.save(update_fields=["password"])
    alice_client.force_login(alice)

    response = _post(alice_client, two_centres.alice_teacher, areas=[Area.IAMIS])

    assert response.status_code == 200
    assert _areas(two_centres.alice_teacher) == set()


def test_repeated_wrong_passwords_lock_the_admin_out(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    for _ in range(settings.AXES_FAILURE_LIMIT):
        alice_client.post(_url(teacher), {"password": "guess", "areas": [Area.IAMIS]})

    response = _post(alice_client, teacher, areas=[Area.IAMIS])

    assert response.status_code == 200
    assert "Too many wrong passwords" in response.text
    assert _areas(teacher) == set()


def test_iamis_can_be_limited_to_units_and_qualifications(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    centre = two_centres.alice_centre
    gce = QualificationFactory(code="gce", name="GCE")
    gce_unit = _unit_at(centre, series=SeriesFactory(qualification=gce))

    _post(
        alice_client,
        teacher,
        areas=[Area.IAMIS],
        iamis_units=[two_centres.alice_unit.pk],
        iamis_qualifications=[gce.pk],
    )

    assert list(teacher.iamis_units.all()) == [two_centres.alice_unit]
    assert list(teacher.iamis_qualifications.all()) == [gce]
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_CHANGED)
    assert event.detail["after"]["iamis_qualifications"] == ["gce"]
    assert event.detail["after"]["iamis_units"] == [
        f"{two_centres.alice_unit.series.slug}/3700U1"
    ]
    assert gce_unit not in teacher.iamis_units.all()


def test_unticking_every_unit_gives_iamis_for_all_units_again(
    alice_client, two_centres
):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=Area.IAMIS)
    teacher.iamis_units.add(two_centres.alice_unit)

    _post(alice_client, teacher, areas=[Area.IAMIS])

    assert list(teacher.iamis_units.all()) == []


def test_a_chosen_unit_that_lost_its_entries_is_still_offered(
    alice_client, two_centres
):
    teacher = two_centres.alice_teacher
    old_unit = UnitFactory(code="1001U1", title="Withdrawn Unit")
    teacher.iamis_units.add(old_unit)

    response = alice_client.get(_url(teacher))

    assert re.search(
        rf'value="{old_unit.pk}" id="id_iamis_units_\d+" checked', response.text
    )


def test_another_centres_unit_cannot_be_chosen(alice_client, two_centres):
    teacher = two_centres.alice_teacher

    response = _post(
        alice_client,
        teacher,
        areas=[Area.IAMIS],
        iamis_units=[two_centres.charlie_unit.pk],
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert _areas(teacher) == set()
    assert list(teacher.iamis_units.all()) == []


def test_an_unknown_area_is_refused(alice_client, two_centres):
    response = _post(alice_client, two_centres.alice_teacher, areas=["superuser"])

    assert response.status_code == 200
    assert _areas(two_centres.alice_teacher) == set()


def test_saving_without_a_change_writes_no_audit_row(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    AccessGrantFactory(membership=teacher, area=Area.IAMIS)

    response = _post(alice_client, teacher, areas=[Area.IAMIS], follow=True)

    assert "was already as chosen" in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_CHANGED)


def test_another_centres_member_is_not_found(charlie_client, two_centres):
    teacher = two_centres.alice_teacher

    assert charlie_client.get(_url(teacher)).status_code == 404
    assert _post(charlie_client, teacher, areas=[Area.IAMIS]).status_code == 404
    assert _areas(teacher) == set()


def test_a_removed_member_is_not_found(alice_client, two_centres):
    teacher = two_centres.alice_teacher
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    assert alice_client.get(_url(teacher)).status_code == 404


def test_a_user_account_cannot_change_its_own_access(two_centres):
    teacher = two_centres.alice_teacher
    client = Client()
    client.force_login(teacher.user)

    response = _post(client, teacher, areas=list(Area))

    assert response.status_code == 403
    assert _areas(teacher) == set()


def test_manage_access_refuses_other_methods(alice_client, two_centres):
    assert alice_client.delete(_url(two_centres.alice_teacher)).status_code == 405


def test_an_admin_who_lost_their_role_meanwhile_cannot_change_access(two_centres):
    from django.core.exceptions import ValidationError

    acting = Membership.objects.get(user=two_centres.alice)
    Membership.objects.filter(pk=acting.pk).update(
        account_type=Membership.AccountType.USER
    )

    with pytest.raises(ValidationError):
        member_access_change(
            centre=two_centres.alice_centre,
            membership=two_centres.alice_teacher,
            areas=[Area.IAMIS],
            iamis_qualifications=[],
            iamis_units=[],
            acting_user=two_centres.alice,
        )
    assert _areas(two_centres.alice_teacher) == set()
