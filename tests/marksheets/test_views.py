from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres.models import AccessGrant, Membership
from tests.factories import (
    AccessGrantFactory,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    UnitFactory,
    UserFactory,
)


def test_index_lists_the_centres_units_grouped_by_series(alice_client, two_centres):
    response = alice_client.get(reverse("iamis:index"))

    assert response.status_code == 200
    assert "ALICESPECIFIC ORACY (3700U1)" in response.text
    assert "ENTER MARKS (0 DONE, 1 LEFT)" in response.text
    assert "NO MARKS TO SUBMIT (0 SUBMITTED)" in response.text
    assert (
        "Deadline for submission of samples and cover sheets to moderator: 05/05/2027"
        in response.text
    )
    assert "CHARLIESPECIFIC" not in response.text


def test_unit_page_lists_entered_candidates_in_number_order(alice_client, two_centres):
    unit = two_centres.alice_unit
    for number in (1003, 1002):
        EntryFactory(
            candidate=CandidateFactory(centre=two_centres.alice_centre, number=number),
            unit=unit,
        )

    response = alice_client.get(reverse("iamis:marksheet", args=[unit.public_id]))

    text = response.text
    assert text.index("1001") < text.index("1002") < text.index("1003")
    assert "ALICESURNAME: ANN" in text


def test_unit_page_makes_the_same_queries_for_5_and_50_candidates(
    alice_client, two_centres
):
    unit = UnitFactory()
    centre = two_centres.alice_centre

    def queries_with(count: int) -> int:
        existing = unit.entries.count()
        for index in range(existing, count):
            EntryFactory(
                candidate=CandidateFactory(centre=centre, number=3000 + index),
                unit=unit,
            )
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.get(
                reverse("iamis:marksheet", args=[unit.public_id])
            )
        assert response.status_code == 200
        return len(captured)

    assert queries_with(5) == queries_with(50)


def test_index_makes_the_same_queries_for_one_and_many_units(alice_client, two_centres):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            alice_client.get(reverse("iamis:index"))
        return len(captured)

    one = queries()
    for _ in range(5):
        EntryFactory(candidate=two_centres.alice_candidate, unit=UnitFactory())
    assert queries() == one


def test_teacher_without_the_iamis_grant_is_refused(client, two_centres):
    teacher = UserFactory()
    MembershipFactory(user=teacher, centre=two_centres.alice_centre)
    client.force_login(teacher)

    assert client.get(reverse("iamis:index")).status_code == 403


def test_teacher_with_the_iamis_grant_gets_in(client, two_centres):
    teacher = UserFactory()
    membership = MembershipFactory(
        user=teacher,
        centre=two_centres.alice_centre,
        account_type=Membership.AccountType.USER,
    )
    AccessGrantFactory(membership=membership, area=AccessGrant.Area.IAMIS)
    client.force_login(teacher)

    assert client.get(reverse("iamis:index")).status_code == 200


def test_candidate_page_shows_their_entries(alice_client, two_centres):
    response = alice_client.get(reverse("iamis:candidate_detail", args=[1001]))

    assert response.status_code == 200
    assert "1001 ALICESURNAME: ANN" in response.text
    assert "(3700U1)" in response.text


def test_pages_refuse_other_methods(alice_client, two_centres):
    assert alice_client.post(reverse("iamis:index")).status_code == 405


def test_pages_send_a_content_security_policy(alice_client, two_centres):
    response = alice_client.get(reverse("iamis:index"))

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy


def test_the_step_by_step_guide_is_linked_from_the_index(alice_client, two_centres):
    index = alice_client.get(reverse("iamis:index"))
    link = reverse("guides:topic", args=["marks"])
    guide = alice_client.get(link)

    assert link in index.text
    assert "SUBMIT MARKS AND GENERATE SAMPLES" in guide.text
