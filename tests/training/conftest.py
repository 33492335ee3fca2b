from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from centres.models import AccessGrant, Membership
from tests.factories import MembershipFactory, UserFactory
from training.content import DEFAULT_CONTENT, content_load_file
from training.models import AcademicYear, Assessment
from training.services import roles_assign, terms_accept


@pytest.fixture(autouse=True)
def _files_in_a_fresh_folder(media):
    return media


@dataclass
class Staff:
    user: User
    membership: Membership
    client: Client


def staff_member(centre, *, role: str = "new-invigilator", accept_terms=True) -> Staff:
    user = UserFactory(first_name="Iolo", last_name="Invigilator")
    membership = MembershipFactory(
        user=user, centre=centre, account_type=Membership.AccountType.USER
    )
    AccessGrant.objects.create(membership=membership, area=AccessGrant.Area.TRAINING)
    roles_assign(membership=membership, role_codes=[role])
    if accept_terms:
        terms_accept(user=user)
    client = Client()
    client.force_login(user)
    return Staff(user=user, membership=membership, client=client)


@pytest.fixture
def year(db) -> AcademicYear:
    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    return content_load_file(DEFAULT_CONTENT, publish=True, year_label=label)


@pytest.fixture
def unit1(year) -> Assessment:
    return year.assessments.get(code="new-invigilators-ice")


@pytest.fixture
def invigilator(two_centres, year) -> Staff:
    return staff_member(two_centres.alice_centre)
