"""factory_boy factories for the domain; every centre-owned factory takes its centre."""

from __future__ import annotations

from datetime import date

import factory

from accounts.models import User
from centres.models import AccessGrant, Centre, Membership
from iamis.models import Candidate, Entry, Qualification, Series, Task, Unit

PASSWORD = "correct-horse-battery-staple"


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: 60000 + n)
    name = factory.Sequence(lambda n: f"Centre {n}")
    exams_officer_name = "Pat Officer"
    exams_officer_email = factory.Sequence(lambda n: f"eo{n}@centre.example")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    account_type = Membership.AccountType.USER


class AccessGrantFactory(factory.django.DjangoModelFactory[AccessGrant]):
    class Meta:
        model = AccessGrant

    membership = factory.SubFactory(MembershipFactory)
    area = AccessGrant.Area.IAMIS


class QualificationFactory(factory.django.DjangoModelFactory[Qualification]):
    class Meta:
        model = Qualification
        django_get_or_create = ("code",)

    code = "gcse"
    name = "GCSE"


class SeriesFactory(factory.django.DjangoModelFactory[Series]):
    class Meta:
        model = Series
        django_get_or_create = ("slug",)

    qualification = factory.SubFactory(QualificationFactory)
    name = factory.Sequence(lambda n: f"GCSE JUNE {2027 + n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    year = 2027
    month = 6
    results_day = date(2027, 8, 26)


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    series = factory.SubFactory(SeriesFactory)
    code = factory.Sequence(lambda n: f"{3700 + n}U1")
    title = factory.Sequence(lambda n: f"Subject {n} Unit 1")
    sample_deadline = date(2027, 5, 5)


class TaskFactory(factory.django.DjangoModelFactory[Task]):
    class Meta:
        model = Task

    unit = factory.SubFactory(UnitFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Task {o.number}")
    max_mark = 40


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    centre = factory.SubFactory(CentreFactory)
    number = factory.Sequence(lambda n: 1001 + n)
    surname = factory.Sequence(lambda n: f"Surname{n}")
    forename = "Sam"
    date_of_birth = date(2010, 9, 1)


class EntryFactory(factory.django.DjangoModelFactory[Entry]):
    class Meta:
        model = Entry

    candidate = factory.SubFactory(CandidateFactory)
    centre = factory.SelfAttribute("candidate.centre")
    unit = factory.SubFactory(UnitFactory)
