"""Staff accounts: invited with a centre role; the Terms of Use before the training."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import invites
from centres.models import AccessGrant, Membership
from training.models import TermsAcceptance, TrainingProfile

from .conftest import staff_member

pytestmark = pytest.mark.django_db


def test_the_terms_are_asked_for_on_training_pages(two_centres, unit1):
    staff = staff_member(two_centres.alice_centre, accept_terms=False)

    page = staff.client.get(reverse("training:assessments"))
    post = staff.client.post(
        reverse("training:sections", args=[unit1.public_id]), {"confirm": "1"}
    )
    htmx = staff.client.get(
        reverse("training:assessments"), headers={"HX-Request": "true"}
    )

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("training:terms"))
    assert post["Location"].startswith(reverse("training:terms"))
    assert htmx["HX-Redirect"].startswith(reverse("training:terms"))


def test_a_teacher_with_a_training_role_uses_iamis_without_accepting_the_terms(
    two_centres, year
):
    staff = staff_member(two_centres.alice_centre, accept_terms=False)
    AccessGrant.objects.create(membership=staff.membership, area=AccessGrant.Area.IAMIS)

    for path in ("/", "/iamis/", reverse("accounts:profile")):
        response = staff.client.get(path)
        assert response.status_code == 200, path
    htmx = staff.client.get("/", headers={"HX-Request": "true"})
    assert "HX-Redirect" not in htmx
    assert not TermsAcceptance.objects.filter(user=staff.user).exists()


def test_accepting_the_terms_records_when_and_urges_a_new_password(two_centres, year):
    staff = staff_member(two_centres.alice_centre, accept_terms=False)

    refused = staff.client.post(reverse("training:terms"), {})
    accepted = staff.client.post(reverse("training:terms"), {"agree": "1"}, follow=True)

    assert refused.status_code == 400
    acceptance = TermsAcceptance.objects.get(user=staff.user)
    assert acceptance.accepted_at is not None
    assert acceptance.version == TermsAcceptance.VERSION
    body = accepted.content.decode()
    assert "strongly advised to change your password" in body
    assert staff.client.get("/").status_code == 200


def test_the_exams_officer_invites_an_invigilator_with_a_centre_role(
    two_centres, year, alice_client
):
    alice_client.post(
        reverse("accounts:invite_user"),
        {
            "first_name": "Iolo",
            "last_name": "Jenkins",
            "email": "iolo@alice.example",
            "language": "en",
            "account_type": "user",
            "staff_roles": ["new-invigilator"],
        },
    )
    invite = two_centres.alice_centre.invites.get(email="iolo@alice.example")
    token = "t0ken-for-the-test"
    invite.token_hash = invites._hash(token)
    invite.save()

    user = invites.invite_accept(token=token, password="A-long-pass-phrase-2027")

    membership = Membership.objects.get(user=user, centre=two_centres.alice_centre)
    assert membership.account_type == "user"
    assert membership.grants.filter(area=AccessGrant.Area.TRAINING).exists()
    profile = TrainingProfile.objects.get(membership=membership)
    assert [r.code for r in profile.roles.all()] == ["new-invigilator"]
