"""The fixed cost of a signed-in request: the user and the membership (with its centre,
training profile and granted areas) in one query each, the session from the cache and
written only when it changed; and nothing cached so long that a change waits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessGrant
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

    # The first request reads the membership with its areas in one query; later ones
    # take it from the cache, and the session from the cache too.
    assert len(first) == 2, first
    assert '"accounts_accessgrant"' in first[1]
    assert len(again) == 1, again
    assert '"accounts_user"' in again[0]


def test_a_changed_centre_shows_on_the_very_next_request(alice_client, two_centres):
    home = reverse("portal:home")
    alice_client.get(home)

    centre = two_centres.alice_centre
    centre.name = "Alice Renamed Academy"
    centre.save()
    response = alice_client.get(home)

    assert response.context["request"].centre.name == "Alice Renamed Academy"


def test_a_membership_read_before_a_change_is_never_served_after_it(two_centres):
    from accounts.models import Membership
    from common.membership_cache import cached_membership, memberships_changed

    membership = two_centres.alice_teacher
    stale = Membership.objects.get(pk=membership.pk)

    def read_then_changed_meanwhile():
        memberships_changed([membership.pk])  # the change lands during the read
        return stale

    cached_membership(membership.pk, read_then_changed_meanwhile)
    loads = []

    def read_again():
        loads.append(membership.pk)
        return stale

    cached_membership(membership.pk, read_again)

    assert loads == [
        membership.pk
    ]  # read afresh, not the one stored under the old token


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
