from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from centres.models import AccessGrant, Membership
from tests.factories import (
    AccessGrantFactory,
    CentreFactory,
    MembershipFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_an_email_address_belongs_to_one_user_whatever_its_case():
    UserFactory(email="pat@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="PAT@example.org")


@pytest.mark.django_db
def test_a_centre_has_one_active_exams_officer():
    centre = CentreFactory()
    MembershipFactory(centre=centre, account_type=Membership.AccountType.EXAMS_OFFICER)

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(
            centre=centre, account_type=Membership.AccountType.EXAMS_OFFICER
        )
    MembershipFactory(
        centre=centre,
        account_type=Membership.AccountType.EXAMS_OFFICER,
        is_active=False,
    )


@pytest.mark.django_db
def test_admins_have_every_area_and_users_only_their_grants():
    admin = MembershipFactory(account_type=Membership.AccountType.ADMIN)
    user = MembershipFactory(account_type=Membership.AccountType.USER)
    AccessGrantFactory(membership=user, area=AccessGrant.Area.TRAINING)

    assert all(admin.has_access(area) for area in AccessGrant.Area)
    assert user.has_access(AccessGrant.Area.TRAINING)
    assert not user.has_access(AccessGrant.Area.IAMIS)
