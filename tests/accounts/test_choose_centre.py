from __future__ import annotations

from django.urls import reverse

from centres.models import Membership
from tests.factories import CentreFactory, MembershipFactory, UserFactory


def _join(user, centre, account_type=Membership.AccountType.USER):
    return MembershipFactory(user=user, centre=centre, account_type=account_type)


def test_one_centre_is_chosen_without_asking(alice_client):
    response = alice_client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert response.context["request"].centre.name == "Alice Academy"


def test_a_person_in_two_centres_picks_one_first(client, two_centres):
    _join(two_centres.alice, two_centres.charlie_centre)
    client.force_login(two_centres.alice)

    response = client.get(reverse("iamis:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:choose_centre"))


def test_choosing_a_centre_scopes_every_page_to_it(alice_client, two_centres):
    membership = _join(
        two_centres.alice, two_centres.charlie_centre, Membership.AccountType.ADMIN
    )

    response = alice_client.post(
        reverse("accounts:choose_centre"),
        {"membership": membership.pk, "next": reverse("iamis:index")},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("iamis:index")
    assert "Charliespecific Literature".upper() in response.text
    assert "Alicespecific Oracy".upper() not in response.text


def test_a_centre_that_is_not_yours_cannot_be_chosen(alice_client, two_centres):
    _join(two_centres.alice, CentreFactory(number=1, name="Third Centre"))
    charlie_membership = Membership.objects.get(user=two_centres.charlie)

    response = alice_client.post(
        reverse("accounts:choose_centre"), {"membership": charlie_membership.pk}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text


def test_choose_centre_ignores_an_offsite_next_address(alice_client, two_centres):
    membership = _join(two_centres.alice, two_centres.charlie_centre)

    response = alice_client.post(
        reverse("accounts:choose_centre"),
        {"membership": membership.pk, "next": "https://evil.example/"},
    )

    assert response.url == reverse("portal:home")


def test_accounts_without_a_centre_are_told_so(client, db):
    moderator = UserFactory(is_moderator=True)
    client.force_login(moderator)

    response = client.get(reverse("iamis:index"))

    assert response.status_code == 403
    assert "not linked to a centre" in response.text


def test_the_header_offers_change_centre_only_to_people_in_several(
    alice_client, two_centres
):
    single = alice_client.get(reverse("portal:home"))
    membership = _join(two_centres.alice, two_centres.charlie_centre)
    alice_client.post(reverse("accounts:choose_centre"), {"membership": membership.pk})

    several = alice_client.get(reverse("portal:home"))

    assert "Change centre" not in single.text
    assert "Change centre" in several.text
