"""Demo data for trying the portal: a board, two centres, their staff and a series of units.

Running it again changes nothing (every row is found by its natural key first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import TOTPDevice, User
from accounts.services import mfa
from centres.models import AccessGrant, Centre, Membership, ModeratorAllocation
from iamis.models import Candidate, Entry, Qualification, Series, Task, Unit

DEMO_PASSWORD = "Demo-Portal-2027"  # noqa: S105 - printed on purpose for the demo
# Every demo account's authenticator shares this published key, so a tester can add it to
# any authenticator app (or run `manage.py demo_code`). Never used outside the demo data.
DEMO_TOTP_SECRET = "IAMISDEMOPORTALKEYFORTRYINGITOUT"  # noqa: S105
# The accounts README.md publishes; `check --deploy` fails while any of them exists.
DEMO_EMAILS = (
    "board@example.org",
    "moderator@example.org",
    "eo@bryn-glas.example",
    "admin@bryn-glas.example",
    "teacher.ab@bryn-glas.example",
    "teacher.cd@bryn-glas.example",
    "eo@riverside.example",
    "invigilator@bryn-glas.example",
)

_SURNAMES = [
    "Jones", "Williams", "Davies", "Evans", "Thomas", "Roberts", "Hughes", "Lewis",
    "Morgan", "Griffiths", "Edwards", "Price", "Owen", "Rees", "Jenkins", "Powell",
    "Phillips", "Parry", "Pritchard", "Howells", "Bowen", "Vaughan", "Lloyd", "Rowlands",
]  # fmt: skip
_FORENAMES = [
    "Megan", "Dylan", "Ffion", "Osian", "Cerys", "Rhys", "Seren", "Gethin", "Alys",
    "Tomos", "Elin", "Ioan", "Lowri", "Macsen", "Nia", "Owain", "Efa", "Harri", "Mali",
    "Iestyn", "Sioned", "Cai", "Gwen", "Jac", "Anwen", "Steffan", "Catrin", "Emyr",
]  # fmt: skip


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str


@dataclass(frozen=True)
class _UnitSpec:
    series: str
    code: str
    title: str
    tasks: tuple[tuple[str, int], ...] = ()
    entries: int = 30
    grades: tuple[str, ...] = ()
    initials: bool = False
    carry_forward: bool = False
    evidence: str = Unit.Evidence.POSTAL
    deadline: date = date(2027, 5, 5)


_SERIES = [
    # (qualification code, qualification name, series name, slug, year, month, results day)
    ("gcse", "GCSE", "GCSE JUNE 2027", "gcse-june-2027", 2027, 6, date(2027, 8, 26)),
    (
        "applied-level-3",
        "Applied Level 3",
        "APPLIED LEVEL 3 JUNE 2027",
        "applied-level-3-june-2027",
        2027,
        6,
        date(2027, 8, 12),
    ),
    (
        "welsh-bacc",
        "Welsh Baccalaureate",
        "WELSH BACCALAUREATE JUNE 2027",
        "welsh-baccalaureate-june-2027",
        2027,
        6,
        date(2027, 8, 12),
    ),
]

_UNITS = [
    _UnitSpec("gcse-june-2027", "3720U4", "English Literature Unit 4 Non-Examined Assessment",
              tasks=(("Mark", 40),)),
    _UnitSpec("gcse-june-2027", "3700U1", "English Language Unit 1 Oracy",
              tasks=(("Task 1", 40), ("Task 2", 40))),
    _UnitSpec("gcse-june-2027", "3690U1", "Drama Component 1 Devising Theatre",
              tasks=(("Mark", 60),), entries=25, initials=True),
    _UnitSpec("gcse-june-2027", "3500UA", "Computer Science Unit 3 Software Development",
              tasks=(("Mark", 100),), entries=20, evidence=Unit.Evidence.E_SUBMISSION),
    _UnitSpec("gcse-june-2027", "3400U4", "Geography Non-Examination Assessment",
              tasks=(("Mark", 60),), entries=350),
    _UnitSpec("applied-level-3-june-2027", "9613/L3",
              "Social Control Policy & Practice Controlled Assessment",
              grades=("Distinction", "Merit", "Pass"), entries=40,
              evidence=Unit.Evidence.UPLOAD_ONLY, deadline=date(2027, 5, 14)),
    _UnitSpec("welsh-baccalaureate-june-2027", "6990U4", "Individual Project",
              tasks=(("Mark", 60),), carry_forward=True),
]  # fmt: skip


def _person(index: int) -> tuple[str, str]:
    return _SURNAMES[index % len(_SURNAMES)], _FORENAMES[(index * 7) % len(_FORENAMES)]


def _user(
    email: str, first: str, last: str, *, staff: bool = False, moderator: bool = False
) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            is_staff=staff,
            is_superuser=staff,
            is_moderator=moderator,
        )
        TOTPDevice.objects.create(
            user=user,
            encrypted_secret=mfa.seal(DEMO_TOTP_SECRET),
            confirmed_at=timezone.now(),
        )
    return user


def _member(
    user: User, centre: Centre, account_type: str, grants: Sequence[str]
) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        user=user, centre=centre, defaults={"account_type": account_type}
    )
    for area in grants:
        AccessGrant.objects.get_or_create(membership=membership, area=area)
    return membership


def _centre(number: int, name: str, eo_name: str, eo_email: str) -> Centre:
    centre, _created = Centre.objects.get_or_create(
        number=number,
        defaults={
            "name": name,
            "exams_officer_name": eo_name,
            "exams_officer_email": eo_email,
            "head_of_centre": "Dr Siân Harries",
            "telephone": "029 2026 5000",
        },
    )
    return centre


def _candidates(centre: Centre, count: int, offset: int) -> list[Candidate]:
    existing = set(centre.candidates.values_list("number", flat=True))
    new = []
    for index in range(count):
        number = 1001 + index
        if number in existing:
            continue
        surname, forename = _person(index + offset)
        new.append(
            Candidate(
                centre=centre,
                number=number,
                surname=surname,
                forename=forename,
                date_of_birth=date(2010 + index % 2, 1 + index % 12, 1 + index % 28),
            )
        )
    Candidate.objects.bulk_create(new)
    return list(centre.candidates.order_by("number")[:count])


def _units() -> dict[str, Unit]:
    series_by_slug = {}
    for code, qual_name, name, slug, year, month, results_day in _SERIES:
        qualification, _created = Qualification.objects.get_or_create(
            code=code, defaults={"name": qual_name}
        )
        series_by_slug[slug], _created = Series.objects.get_or_create(
            slug=slug,
            defaults={
                "qualification": qualification,
                "name": name,
                "year": year,
                "month": month,
                "results_day": results_day,
            },
        )
    units = {}
    for spec in _UNITS:
        unit, created = Unit.objects.get_or_create(
            series=series_by_slug[spec.series],
            code=spec.code,
            defaults={
                "title": spec.title,
                "assessment": Unit.Assessment.OUTCOMES
                if spec.grades
                else Unit.Assessment.MARKS,
                "grade_scale": list(spec.grades),
                "initials_required": spec.initials,
                "carry_forward_allowed": spec.carry_forward,
                "evidence": spec.evidence,
                "sample_deadline": spec.deadline,
            },
        )
        if created:
            Task.objects.bulk_create(
                Task(unit=unit, number=number, name=task_name, max_mark=max_mark)
                for number, (task_name, max_mark) in enumerate(spec.tasks, start=1)
            )
        units[spec.code] = unit
    return units


def _enter(centre: Centre, candidates: list[Candidate], unit: Unit, count: int) -> None:
    present = set(
        Entry.objects.filter(centre=centre, unit=unit).values_list(
            "candidate_id", flat=True
        )
    )
    Entry.objects.bulk_create(
        Entry(centre=centre, candidate=candidate, unit=unit)
        for candidate in candidates[:count]
        if candidate.pk not in present
    )


@transaction.atomic
def load_demo_data() -> list[DemoAccount]:
    """Create (or find) the demo board, centres, people and entries; return who can sign in."""
    all_areas = list(AccessGrant.Area.values)
    teacher_areas = [AccessGrant.Area.IAMIS, AccessGrant.Area.TRAINING]

    _user("board@example.org", "Bethan", "Board", staff=True)
    moderator = _user("moderator@example.org", "Morgan", "Moderator", moderator=True)

    bryn_glas = _centre(68999, "Ysgol Bryn Glas", "Eleri Owen", "eo@bryn-glas.example")
    riverside = _centre(
        68123, "Riverside Academy", "Rhys Morgan", "eo@riverside.example"
    )
    _member(
        _user("eo@bryn-glas.example", "Eleri", "Owen"),
        bryn_glas,
        Membership.AccountType.EXAMS_OFFICER,
        all_areas,
    )
    admin = _user("admin@bryn-glas.example", "Aled", "Price")
    _member(admin, bryn_glas, Membership.AccountType.ADMIN, all_areas)
    # Aled also helps at Riverside, so he picks a centre after signing in.
    _member(admin, riverside, Membership.AccountType.USER, teacher_areas)
    _member(
        _user("teacher.ab@bryn-glas.example", "Anna", "Bevan"),
        bryn_glas,
        Membership.AccountType.USER,
        teacher_areas,
    )
    _member(
        _user("teacher.cd@bryn-glas.example", "Carys", "Davies"),
        bryn_glas,
        Membership.AccountType.USER,
        teacher_areas,
    )
    _member(
        _user("eo@riverside.example", "Rhys", "Morgan"),
        riverside,
        Membership.AccountType.EXAMS_OFFICER,
        all_areas,
    )

    invigilator = _member(
        _user("invigilator@bryn-glas.example", "Iolo", "Jenkins"),
        bryn_glas,
        Membership.AccountType.USER,
        [AccessGrant.Area.TRAINING],
    )
    # The shipped training content, published for the academic year running today.
    from training.content import DEFAULT_CONTENT, content_load_file
    from training.models import AcademicYear
    from training.services import roles_assign

    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    content_load_file(DEFAULT_CONTENT, publish=True, year_label=label)
    roles_assign(membership=invigilator, role_codes=["new-invigilator"])

    units = _units()
    bryn_glas_candidates = _candidates(bryn_glas, 350, offset=0)
    for spec in _UNITS:
        _enter(bryn_glas, bryn_glas_candidates, units[spec.code], spec.entries)
    riverside_candidates = _candidates(riverside, 12, offset=5)
    for code in ("3700U1", "3400U4", "9613/L3"):
        _enter(riverside, riverside_candidates, units[code], 12)
    # The demo moderator has an e-submission unit, a two-task unit and an outcome unit.
    for centre, code in (
        (bryn_glas, "3500UA"),
        (bryn_glas, "3700U1"),
        (bryn_glas, "9613/L3"),
        (riverside, "3700U1"),
    ):
        ModeratorAllocation.objects.get_or_create(
            centre=centre, unit=units[code], defaults={"moderator": moderator}
        )

    return [
        DemoAccount("eo@bryn-glas.example", "Exams officer, Ysgol Bryn Glas (68999)"),
        DemoAccount(
            "admin@bryn-glas.example", "Admin at 68999, User at Riverside (68123)"
        ),
        DemoAccount("teacher.ab@bryn-glas.example", "Teacher (IAMIS), 68999"),
        DemoAccount("teacher.cd@bryn-glas.example", "Teacher (IAMIS), 68999"),
        DemoAccount("eo@riverside.example", "Exams officer, Riverside Academy (68123)"),
        DemoAccount(
            "invigilator@bryn-glas.example",
            "New invigilator (staff training only), 68999",
        ),
        DemoAccount("moderator@example.org", "Moderator"),
        DemoAccount(
            "board@example.org",
            "Board staff (moderation console at /console/, back office at /board/)",
        ),
    ]
