"""The fixed cost of a signed-in request: the user and the membership (with its centre,
training profile and granted areas) in one query each, the session from the cache and
written only when it changed; and nothing cached so long that a change waits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import AccessGrant
from tests.factories import AccessGrantFactory


@pytest.fixture
def teacher_client(two_centres) -> Client:
    client = Client()
    client.force_login(two_centres.alice_teacher.user)
    return client


def _queries(client, method: str, url: str, **data) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        getattr(client, method)(url, data)
    return [query["sql"] for query in captured.captured_queries]


def test_a_signed_in_trivial_view_reads_only_the_user(alice_client):
    first = _queries(alice_client, "post", "/i18n/setlang/", language="en", next="/")
    again = _queries(alice_client, "post", "/i18n/setlang/", language="en", next="/")

    # Sign-in put the membership (with its areas) in the cache; the session is read
    # from the cache too, and not rewritten.
    assert len(first) == 1, first
    assert first == again
    assert '"accounts_user"' in again[0]


def test_a_membership_not_in_the_cache_is_read_with_its_areas_in_one_query(
    alice_client, two_centres
):
    from centres.membership_cache import memberships_changed

    alice_client.get(reverse("portal:home"))
    memberships_changed(_alices(two_centres))

    queries = _queries(alice_client, "get", reverse("portal:home"))

    reads = [q for q in queries if 'FROM "accounts_membership"' in q]
    assert len(reads) == 1, queries
    assert '"accounts_accessgrant"' in reads[0]


def _alices(two_centres) -> list[int]:
    from centres.models import Membership

    return list(
        Membership.objects.filter(user=two_centres.alice).values_list("pk", flat=True)
    )


def test_a_removed_grant_stops_working_on_the_very_next_request(
    teacher_client, two_centres
):
    index = reverse("iamis:index")
    membership = two_centres.alice_teacher
    grant = AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    allowed = teacher_client.get(index)

    grant.delete()
    refused = teacher_client.get(index)

    assert allowed.status_code == 200
    assert refused.status_code == 403


def test_a_grant_given_works_on_the_very_next_request(teacher_client, two_centres):
    index = reverse("iamis:index")
    refused = teacher_client.get(index)

    AccessGrantFactory(
        membership=two_centres.alice_teacher, area=AccessGrant.Area.IAMIS
    )
    allowed = teacher_client.get(index)

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_a_removed_membership_is_signed_out_of_the_centre_on_the_next_request(
    teacher_client, two_centres
):
    AccessGrantFactory(
        membership=two_centres.alice_teacher, area=AccessGrant.Area.IAMIS
    )
    teacher_client.get(reverse("iamis:index"))

    two_centres.alice_teacher.is_active = False
    two_centres.alice_teacher.save(update_fields=["is_active"])
    response = teacher_client.get(reverse("iamis:index"))

    assert response.status_code == 403


def test_access_given_on_manage_access_works_on_the_very_next_request(
    teacher_client, two_centres
):
    from accounts.services.centre_users import member_access_change

    index = reverse("iamis:index")
    refused = teacher_client.get(index)

    member_access_change(
        centre=two_centres.alice_centre,
        membership=two_centres.alice_teacher,
        areas=[AccessGrant.Area.IAMIS],
        iamis_qualifications=[],
        iamis_units=[],
        acting_user=two_centres.alice,
    )
    allowed = teacher_client.get(index)

    assert refused.status_code == 403
    assert allowed.status_code == 200


def _teacher_on_iamis(two_centres):
    AccessGrantFactory(
        membership=two_centres.alice_teacher, area=AccessGrant.Area.IAMIS
    )
    return reverse("iamis:marksheet", args=[two_centres.alice_unit.public_id])


def test_a_unit_limit_set_works_on_the_very_next_request(teacher_client, two_centres):
    from tests.factories import UnitFactory

    sheet = _teacher_on_iamis(two_centres)
    allowed = teacher_client.get(sheet)

    two_centres.alice_teacher.iamis_units.add(UnitFactory())  # another unit only
    refused = teacher_client.get(sheet)
    two_centres.alice_teacher.iamis_units.clear()
    allowed_again = teacher_client.get(sheet)

    assert [allowed.status_code, refused.status_code, allowed_again.status_code] == [
        200,
        404,
        200,
    ]


def test_deleting_the_only_unit_a_member_was_limited_to_works_on_the_very_next_request(
    teacher_client, two_centres
):
    from tests.factories import UnitFactory

    sheet = _teacher_on_iamis(two_centres)
    other = UnitFactory()
    two_centres.alice_teacher.iamis_units.add(other)
    refused = teacher_client.get(sheet)

    other.delete()  # its limit row goes with it: nothing chosen, so every unit again
    allowed = teacher_client.get(sheet)

    assert (refused.status_code, allowed.status_code) == (404, 200)
