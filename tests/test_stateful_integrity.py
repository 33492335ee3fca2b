"""A stateful property test over the whole centre-facing path (issue 9, item 8).

Hypothesis drives random sequences of what people at two centres do through the real
views (the Django test client): teachers save marks cell by cell, exams officers submit,
add candidates to samples, upload and delete evidence files, and grant or take away a
teacher's IAMIS access; people at the other centre try the same URLs on this centre's
objects. After every step it checks that:

- a submitted mark never changes;
- a mark the server accepted is the one stored (nothing accepted is lost), and a refused
  save changes nothing;
- no page answered to one centre shows the other centre's candidates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from centres.models import AccessGrant, Centre, Membership
from iamis.models import Entry, Mark, Submission, Unit
from sampling.models import Sample, SampleMember
from sampling.services import sample_generate
from tests.factories import (
    PASSWORD,
    AccessGrantFactory,
    CandidateFactory,
    CentreFactory,
    EntryFactory,
    MembershipFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.uploads.helpers import upload
from uploads.models import EvidenceFile

CANDIDATES = 4
MAX_MARK = 40
SIDES = ("a", "b")
_worlds = itertools.count(1)
# What the runs reached, so the test fails if the random walks never got to the steps
# that matter (a submission, an upload, a deletion, access taken away).
REACHED: dict[str, int] = {}


def _reached(what: str) -> None:
    REACHED[what] = REACHED.get(what, 0) + 1


@dataclass
class Side:
    """One centre as the machine knows it."""

    centre: Centre
    unit: Unit
    numbers: list[int]
    surnames: list[str]
    officer: Client
    teacher: Client
    teacher_membership: Membership
    teacher_has_iamis: bool = True
    accepted: dict[int, str] = field(default_factory=dict)
    submitted_marks: dict[int, tuple[int | None, str]] | None = None


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stored(side: Side) -> dict[int, tuple[int | None, str]]:
    marks = Mark.objects.filter(entry__centre=side.centre, entry__unit=side.unit)
    return {
        number: (total, status)
        for number, total, status in marks.values_list(
            "entry__candidate__number", "total", "status"
        )
    }


def _as_stored(value: str) -> tuple[int | None, str]:
    if value == "A":
        return (None, Mark.Status.ABSENT)
    return (int(value), Mark.Status.MARKED)


class CentresMachine(RuleBasedStateMachine):
    @initialize()
    def two_centres(self) -> None:
        world = next(_worlds)
        self.sides: dict[str, Side] = {}
        for index, name in enumerate(SIDES):
            centre = CentreFactory(
                number=60000 + world * 2 + index, name=f"Centre {name}{world}"
            )
            # Each centre has its own e-submission unit, so "another centre's unit" is
            # always foreign, as in the tenancy walker.
            unit = UnitFactory(
                code=f"{world % 1000:03d}{index}U1",
                title=f"Unit {name}{world}",
                evidence=Unit.Evidence.E_SUBMISSION,
                sample_size_table=[[2, "ALL"], ["inf", 2]],
            )
            TaskFactory(unit=unit, number=1, max_mark=MAX_MARK)
            numbers, surnames = [], []
            for n in range(CANDIDATES):
                number = 1000 * (index + 1) + n + 1
                surname = f"Zq{name}{world}x{n}surname"
                EntryFactory(
                    candidate=CandidateFactory(
                        centre=centre, number=number, surname=surname
                    ),
                    unit=unit,
                )
                numbers.append(number)
                surnames.append(surname)
            officer = UserFactory()
            MembershipFactory(
                user=officer,
                centre=centre,
                account_type=Membership.AccountType.EXAMS_OFFICER,
            )
            teacher = MembershipFactory(
                centre=centre,
                user=UserFactory(),
                account_type=Membership.AccountType.USER,
            )
            AccessGrantFactory(membership=teacher, area=AccessGrant.Area.IAMIS)
            self.sides[name] = Side(
                centre=centre,
                unit=unit,
                numbers=numbers,
                surnames=surnames,
                officer=_client(officer),
                teacher=_client(teacher.user),
                teacher_membership=teacher,
            )

    def _other(self, name: str) -> Side:
        return self.sides["b" if name == "a" else "a"]

    def _see(self, viewer: str, response) -> None:
        """Whatever a centre's people are shown, the other centre's names are not in it."""
        # Pages show names in capitals ("SURNAME: FORENAME").
        text = response.content.decode(errors="replace").lower()
        leaked = [s for s in self._other(viewer).surnames if s.lower() in text]
        assert leaked == [], f"centre {viewer} was shown {leaked}"

    # --- Marks ---------------------------------------------------------------------

    @rule(
        name=st.sampled_from(SIDES),
        who=st.sampled_from(["teacher", "officer"]),
        index=st.integers(0, CANDIDATES - 1),
        # Mostly good marks, so sheets fill up and get submitted.
        value=st.one_of(
            st.integers(0, MAX_MARK).map(str),
            st.integers(0, MAX_MARK).map(str),
            st.sampled_from(["-1", str(MAX_MARK + 1), "A", "x", ""]),
        ),
        confirm=st.booleans(),
    )
    def save_a_mark(self, name, who, index, value, confirm) -> None:
        side = self.sides[name]
        number = side.numbers[index]
        mark = Mark.objects.filter(
            entry__centre=side.centre,
            entry__unit=side.unit,
            entry__candidate__number=number,
        ).first()
        before = _stored(side)
        response = getattr(side, who).post(
            reverse("iamis:mark_cell", args=[side.unit.public_id, number]),
            {
                "field": "task-1",
                "value": value,
                f"v-{number}": str(mark.version if mark else 0),
                "confirm": "1" if confirm else "",
            },
            headers={"HX-Request": "true"},
        )
        self._see(name, response)
        allowed = who == "officer" or side.teacher_has_iamis
        if not allowed:
            assert response.status_code == 403
            assert _stored(side) == before
            _reached("refused without access")
            return
        assert response.status_code == 200
        after = _stored(side)
        valid_number = value.lstrip("-").isdigit() and 0 <= int(value) <= MAX_MARK
        if side.submitted_marks is not None:
            assert after == before
        elif valid_number or (value == "A" and confirm):
            assert after[number] == _as_stored(value)
            side.accepted[number] = value
        elif value == "":
            side.accepted.pop(number, None)
        else:
            assert after == before

    @rule(name=st.sampled_from(SIDES), value=st.integers(0, MAX_MARK))
    def fill_the_empty_cells(self, name, value) -> None:
        """The teacher types a mark into every cell still empty (as from a paste)."""
        side = self.sides[name]
        for index, number in enumerate(side.numbers):
            if number not in side.accepted:
                self.save_a_mark(name, "teacher", index, str(value), False)

    @rule(name=st.sampled_from(SIDES))
    def submit(self, name) -> None:
        side = self.sides[name]
        complete = len(side.accepted) == CANDIDATES
        response = side.officer.post(
            reverse("iamis:submit", args=[side.unit.public_id])
        )
        self._see(name, response)
        submission = Submission.objects.filter(
            centre=side.centre, unit=side.unit
        ).first()
        if side.submitted_marks is not None:
            assert (
                Submission.objects.filter(centre=side.centre, unit=side.unit).count()
                == 1
            )
            return
        if not complete:
            assert submission is None
            return
        assert response.status_code == 302
        assert submission is not None
        side.submitted_marks = _stored(side)
        _reached("submitted")
        # The worker's job, done here: the test transaction never commits, so the
        # on_commit enqueue does not fire.
        sample_generate(submission_id=submission.pk)

    # --- Samples and files -----------------------------------------------------------

    def _sample(self, side: Side) -> Sample | None:
        return Sample.objects.filter(
            centre=side.centre, unit=side.unit, status=Sample.Status.READY
        ).first()

    @precondition(lambda self: any(s.submitted_marks for s in self.sides.values()))
    @rule(name=st.sampled_from(SIDES), index=st.integers(0, CANDIDATES - 1))
    def add_to_the_sample(self, name, index) -> None:
        side = self.sides[name]
        sample = self._sample(side)
        members_before = set(
            SampleMember.objects.filter(sample__centre=side.centre).values_list(
                "entry_id", flat=True
            )
        )
        response = side.officer.post(
            reverse(
                "sampling:member_add", args=[side.unit.public_id, side.numbers[index]]
            )
        )
        if sample is None:
            assert response.status_code in (302, 404)
            return
        self._see(name, response)
        members_after = set(
            SampleMember.objects.filter(sample__centre=side.centre).values_list(
                "entry_id", flat=True
            )
        )
        # Centres may add, never remove.
        assert members_before <= members_after

    @precondition(lambda self: any(s.submitted_marks for s in self.sides.values()))
    @rule(data=st.binary(min_size=1, max_size=64))
    def upload_a_file(self, data) -> None:
        side = next(s for s in self.sides.values() if s.submitted_marks)
        sample = self._sample(side)
        assert sample is not None
        member = sample.members.select_related("entry__candidate").first()
        before = EvidenceFile.objects.filter(centre=side.centre).count()
        upload(side.officer, side.unit, data, candidate=member.entry.candidate.number)
        stored = EvidenceFile.objects.filter(centre=side.centre)
        assert stored.count() == before + 1
        assert stored.order_by("-pk").first().size == len(data)
        _reached("uploaded")

    @precondition(
        lambda self: EvidenceFile.objects.filter(
            centre__in=[s.centre for s in self.sides.values()],
            deleted_at__isnull=True,
        ).exists()
    )
    @rule(by_the_other_centre=st.booleans())
    def delete_a_file(self, by_the_other_centre) -> None:
        evidence = (
            EvidenceFile.objects.filter(
                centre__in=[s.centre for s in self.sides.values()],
                deleted_at__isnull=True,
            )
            .order_by("?")
            .first()
        )
        name = next(n for n, s in self.sides.items() if s.centre == evidence.centre)
        side = self.sides[name]
        actor = self._other(name).officer if by_the_other_centre else side.officer
        response = actor.post(
            reverse(
                "uploads:file_delete", args=[side.unit.public_id, evidence.public_id]
            )
        )
        evidence.refresh_from_db()
        if by_the_other_centre:
            assert response.status_code == 404
            assert evidence.deleted_at is None
        else:
            assert evidence.deleted_at is not None
            _reached("deleted")

    # --- Access ------------------------------------------------------------------------

    @rule(name=st.sampled_from(SIDES), give=st.booleans())
    def change_the_teachers_access(self, name, give) -> None:
        side = self.sides[name]
        areas = [AccessGrant.Area.IAMIS] if give else []
        response = side.officer.post(
            reverse("accounts:member_access", args=[side.teacher_membership.public_id]),
            {"password": PASSWORD, "areas": areas},
        )
        assert response.status_code in (200, 302)
        side.teacher_has_iamis = side.teacher_membership.grants.filter(
            area=AccessGrant.Area.IAMIS
        ).exists()
        assert side.teacher_has_iamis == give

    # --- The other centre --------------------------------------------------------------

    @rule(
        name=st.sampled_from(SIDES),
        index=st.integers(0, CANDIDATES - 1),
        page=st.sampled_from(["marksheet", "cell", "samples", "candidate", "save"]),
    )
    def the_other_centre_tries_this_centres_urls(self, name, index, page) -> None:
        side, other = self.sides[name], self._other(name)
        number = side.numbers[index]
        before = _stored(side)
        urls = {
            "marksheet": reverse("iamis:marksheet", args=[side.unit.public_id]),
            "cell": reverse("iamis:mark_cell", args=[side.unit.public_id, number]),
            "samples": reverse("sampling:samples", args=[side.unit.public_id]),
            "candidate": reverse("iamis:candidate_detail", args=[number]),
        }
        if page == "save":
            response = other.officer.post(
                urls["cell"],
                {"field": "task-1", "value": "1", f"v-{number}": "0"},
                headers={"HX-Request": "true"},
            )
        else:
            response = other.officer.get(urls[page])
        assert response.status_code == 404
        self._see("b" if name == "a" else "a", response)
        assert _stored(side) == before

    # --- What must always hold ------------------------------------------------------

    @invariant()
    def submitted_marks_never_change(self) -> None:
        for side in getattr(self, "sides", {}).values():
            if side.submitted_marks is not None:
                assert _stored(side) == side.submitted_marks

    @invariant()
    def accepted_marks_are_never_lost(self) -> None:
        for side in getattr(self, "sides", {}).values():
            stored = _stored(side)
            for number, value in side.accepted.items():
                assert stored[number] == _as_stored(value)

    @invariant()
    def each_centres_pages_show_only_its_own_candidates(self) -> None:
        for name, side in getattr(self, "sides", {}).items():
            response = side.officer.get(
                reverse("iamis:marksheet", args=[side.unit.public_id])
            )
            assert response.status_code == 200
            self._see(name, response)


def test_random_work_at_two_centres_keeps_marks_and_centres_apart(db, media):
    REACHED.clear()

    run_state_machine_as_test(
        CentresMachine,
        settings=settings(
            max_examples=8,
            stateful_step_count=40,
            deadline=None,
            # The same walks on every run, so what they reach (checked below) is too.
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

    assert set(REACHED) >= {
        "submitted",
        "uploaded",
        "deleted",
        "refused without access",
    }, REACHED


def test_the_machine_sees_a_leak_when_one_is_planted(db, media, monkeypatch):
    """The leak check is not vacuous: a marksheet that also lists the other centre's
    candidates is caught."""
    from marksheets import selectors

    real = selectors.marksheet_rows

    def leaky(*, centre, unit, **kwargs):
        rows = real(centre=centre, unit=unit, **kwargs)
        # The base manager: the default one is scoped to the request's centre
        # (common/scoping.py) and would hide this very leak from the check.
        return rows | Entry._base_manager.exclude(centre=centre).filter(
            unit__code__endswith="U1"
        ).select_related("candidate", "mark", "unit")

    monkeypatch.setattr(selectors, "marksheet_rows", leaky)

    with pytest.raises(AssertionError, match="was shown"):
        run_state_machine_as_test(
            CentresMachine,
            settings=settings(max_examples=3, stateful_step_count=2, deadline=None),
        )
