"""Walks every URL pattern as a member of another centre and reports anything that leaks.

For each pattern the walker builds a URL naming Alice's objects and requests it, GET and POST,
signed in as Charlie (an exams officer at another centre):

- a pattern whose URL names a centre-owned object must answer Charlie exactly as it answers
  for an object that does not exist (404, or 405 for a method the view never takes), while
  Alice herself is not refused with 404 for the same URL (so the 404 comes from scoping);
- no response to Charlie may contain Alice's data (her centre's name, her candidates' names,
  her unit's title);
- back-office (admin) URLs never answer a non-staff person with a page;
- Alice's rows are unchanged afterwards.

A URL keyword the walker does not know fails the walk: whoever adds a URL names its keywords
below, saying whether they point at centre-owned data.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invite
from centres.models import AccessGrant, Centre, Membership
from iamis.models import Candidate, Entry, Mark, MarkChangeRequest, Submission
from portal.models import ExamsOfficerChange

# keyword -> (value naming Alice's object, value naming nothing)
CentreOwned = dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]
CENTRE_OWNED_KWARGS: CentreOwned = {
    "unit_id": (lambda w: w.alice_unit.public_id, lambda w: uuid.uuid4()),
    "candidate_no": (lambda w: w.alice_candidate.number, lambda w: 9998),
    # Centre Users: a membership or an invite of Alice's centre, by public id.
    "member_id": (lambda w: w.alice_teacher.public_id, lambda w: uuid.uuid4()),
    "invite_id": (lambda w: w.alice_invite.public_id, lambda w: uuid.uuid4()),
    "submission_id": (lambda w: w.alice_submission.public_id, lambda w: uuid.uuid4()),
    "change_request_id": (
        lambda w: w.alice_change_request.public_id,
        lambda w: uuid.uuid4(),
    ),
    # Uploads: an evidence file and an upload session of Alice's, made on first use.
    "file_id": (lambda w: _alice_upload(w)[0].public_id, lambda w: uuid.uuid4()),
    "upload_id": (lambda w: _alice_upload(w)[1].public_id, lambda w: uuid.uuid4()),
    # Moderation URLs name the centre by number (reached through an allocation).
    "centre_number": (
        lambda w: _alice_moderator(w) and w.alice_centre.number,
        lambda w: 79998,
    ),
    # Training: Alice's own attempt and certificate, made on first use.
    "attempt_id": (
        lambda w: _alice_training(w)["attempt"].public_id,
        lambda w: uuid.uuid4(),
    ),
    "certificate_id": (
        lambda w: _alice_training(w)["certificate"].public_id,
        lambda w: uuid.uuid4(),
    ),
    # A PDF render of Alice's, made on first use.
    "render_id": (lambda w: _alice_render(w).public_id, lambda w: uuid.uuid4()),
}


def _force_login(client: Client, user: Any) -> None:
    # A probe of sign-out ends the person's sessions everywhere (a new session epoch);
    # sign in with the user as the database has them now.
    user.refresh_from_db()
    client.force_login(user)


def _alice_training(w: Any) -> dict[str, Any]:
    # The access matrix's builder: a finished attempt at section 1 and a certificate.
    from tests.access_world import finished_training

    if not hasattr(w, "_alice_training"):
        membership = w.alice.memberships.get(centre=w.alice_centre)
        assessment, [(attempt, certificate)] = finished_training([membership])
        w._alice_training = {
            "assessment": assessment,
            "attempt": attempt,
            "certificate": certificate,
        }
    return w._alice_training


# Namespaces (and routes) whose objects are reached through a moderator's allocation:
# the owner who must not get 404 there is the moderator allocated to Alice's unit, not
# Alice. The moderator's report PDF is made and served by `reports`.
MODERATOR_NAMESPACES = {"moderation"}
MODERATOR_ROUTES = {
    "reports:moderator_report_pdf",
    "reports:moderator_render",
    "reports:moderator_render_download",
}


def _alice_moderator(w: Any) -> Any:
    from centres.models import ModeratorAllocation
    from tests.factories import UserFactory

    if not hasattr(w, "_alice_moderator"):
        moderator = UserFactory(email="mo@alice-moderator.example", is_moderator=True)
        ModeratorAllocation.objects.create(
            moderator=moderator, centre=w.alice_centre, unit=w.alice_unit
        )
        w._alice_moderator = moderator
        _alice_sample(w)
    return w._alice_moderator


def _alice_outcome(w: Any) -> Any:
    from moderation.models import ModerationOutcome

    return ModerationOutcome.objects.get_or_create(
        centre=w.alice_centre,
        unit=w.alice_unit,
        version=1,
        defaults={
            "kind": ModerationOutcome.Kind.WITHIN,
            "reason": "Alicereason",
            "proposed_by": _alice_moderator(w),
        },
    )[0]


def _alice_sample(w: Any) -> None:
    """A ready sample with Alice's candidate in it, marked: the moderator's marking
    pages open for a sample member."""
    from sampling.models import Sample, SampleMember

    sample, _created = Sample.objects.get_or_create(
        centre=w.alice_centre,
        unit=w.alice_unit,
        defaults={"submission": w.alice_submission, "status": Sample.Status.READY},
    )
    from tests.iamis.marking import fill

    entry = w.alice_candidate.entries.get(unit=w.alice_unit)
    if not hasattr(entry, "mark"):
        fill(entry, "20")
    SampleMember.objects.get_or_create(
        sample=sample,
        entry=entry,
        defaults={"centre": w.alice_centre, "origin": SampleMember.Origin.SYSTEM},
    )


def _alice_render(w: Any) -> Any:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from reports.models import ReportRender

    if not hasattr(w, "_alice_render"):
        key = "reports/walker/alice.pdf"
        default_storage.delete(key)
        default_storage.save(key, ContentFile(b"%PDF-1.7 Alice's report"))
        w._alice_render = ReportRender.objects.create(
            centre=w.alice_centre,
            unit=w.alice_unit,
            kind=ReportRender.Kind.CANDIDATE_DETAILS,
            language="en",
            fingerprint="0" * 64,
            status=ReportRender.Status.READY,
            storage_key=key,
            size=23,
            pages=1,
            requested_by=w.alice,
        )
    return w._alice_render


def _alice_upload(w: Any) -> tuple[Any, Any]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from uploads.models import EvidenceFile, Kind, UploadSession

    if not hasattr(w, "_alice_upload"):
        key = "evidence/walker/alice-note"
        default_storage.delete(key)
        default_storage.save(key, ContentFile(b"Alice's note"))
        evidence = EvidenceFile.objects.create(
            centre=w.alice_centre,
            unit=w.alice_unit,
            kind=Kind.NOTE,
            original_name="alice-note.txt",
            size=12,
            sha256="0" * 64,
            storage_key=key,
            uploaded_by=w.alice,
        )
        session = UploadSession.objects.create(
            centre=w.alice_centre,
            unit=w.alice_unit,
            kind=Kind.NOTE,
            declared_name="alice-note.txt",
            declared_size=12,
            parts_prefix="upload-parts/walker/",
            created_by=w.alice,
        )
        w._alice_upload = (evidence, session)
    return w._alice_upload


# Keywords that do not name centre-owned data, with a value to put in the URL.
OTHER_KWARGS: dict[str, Callable[[Any], Any]] = {
    # Django admin: board staff only; pointed at Alice's candidate to be sure.
    "app_label": lambda w: "iamis",
    "model_name": lambda w: "candidate",
    "object_id": lambda w: w.alice_candidate.pk,
    "content_type_id": lambda w: 1,
    "url": lambda w: "iamis/candidate/",
    "id": lambda w: w.alice.pk,
    # The status page of a change-of-exams-officer request is reached by its unguessable
    # id (the public form's sender has no account), so it must show no centre details.
    "change_id": lambda w: w.alice_eo_change.public_id,
    # Invite and password-reset links carry secret tokens; a guessed one shows nothing.
    "token": lambda w: "not-a-real-token",
    "uidb64": lambda w: "MQ",
    # Training content is the board's, the same for every centre.
    "assessment_id": lambda w: _alice_training(w)["assessment"].public_id,
    "section_no": lambda w: 1,
    "question_no": lambda w: 1,
    # The step-by-step guide's topics are the same for everybody.
    "topic": lambda w: "marks",
    # The board's console (staff only) sees every centre's moderation outcomes.
    "outcome_id": lambda w: _alice_outcome(w).public_id,
    "request_id": lambda w: w.alice_change_request.public_id,
}
# The back-office sign-in page is the one admin page anybody may see.
ADMIN_PUBLIC = {"login"}

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"(?<!P)<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Probe:
    route: str
    name: str
    namespace: str
    keywords: tuple[str, ...]

    def build(self, values: dict[str, Any]) -> str:
        path = _GROUP.sub(lambda m: str(values[m.group(1)]), self.route)
        path = _CONVERTER.sub(lambda m: str(values[m.group(1)]), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
        return "/" + path


def iter_probes(urlconf: str | None = None) -> Iterator[Probe]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Probe]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                child_namespace = entry.namespace or namespace
                yield from walk(entry.url_patterns, route, child_namespace)
            elif isinstance(entry, URLPattern):
                keywords = tuple(_CONVERTER.findall(route)) + tuple(
                    _GROUP.findall(route)
                )
                yield Probe(route, entry.name or "", namespace, keywords)

    yield from walk(get_resolver(urlconf).url_patterns, "", "")


def _alice_markers(world: Any) -> list[str]:
    return [
        world.alice_centre.name,
        world.alice_candidate.surname,
        world.alice_candidate.surname.upper(),
        world.alice_unit.title,
        world.alice_unit.title.upper(),
        world.alice_teacher.user.email,
        world.alice_teacher.user.last_name,
        world.alice_invite.email,
        world.alice_invite.last_name,
        world.alice_eo_change.new_name,
        world.alice_eo_change.new_email,
        world.alice_change_request.reason,
    ]


def _alice_fingerprint(world: Any) -> tuple[Any, ...]:
    centre = world.alice_centre
    return (
        list(Candidate.objects.filter(centre=centre).order_by("pk").values()),
        list(Entry.objects.filter(centre=centre).order_by("pk").values()),
        list(Membership.objects.filter(centre=centre).order_by("pk").values()),
        list(
            AccessGrant.objects.filter(membership__centre=centre)
            .order_by("pk")
            .values()
        ),
        list(Invite.objects.filter(centre=centre).order_by("pk").values()),
        list(ExamsOfficerChange.objects.filter(centre=centre).order_by("pk").values()),
        list(Centre.objects.filter(pk=centre.pk).values()),
        list(Mark.objects.filter(centre=centre).order_by("pk").values()),
        list(Submission.objects.filter(centre=centre).order_by("pk").values()),
        list(MarkChangeRequest.objects.filter(centre=centre).order_by("pk").values()),
    )


@dataclass
class WalkReport:
    probed: list[Probe]
    problems: list[str]


def walk_as_foreign_member(world: Any, urlconf: str | None = None) -> WalkReport:
    charlie, alice = Client(), Client()
    markers = _alice_markers(world)
    _alice_moderator(world)  # with its sample and mark: part of what must not change
    before = _alice_fingerprint(world)
    probed, problems = [], []

    for probe in iter_probes(urlconf):
        label = f"{probe.route} ({probe.namespace}:{probe.name})"
        if not probe.name and probe.namespace != "admin":
            problems.append(f"{label}: every URL pattern needs a name")
        unknown = [
            k
            for k in probe.keywords
            if k not in CENTRE_OWNED_KWARGS and k not in OTHER_KWARGS
        ]
        if unknown:
            problems.append(
                f"{label}: unknown URL keyword(s) {unknown}; declare them in "
                "tests/tenancy_walker.py"
            )
            continue
        owned = [k for k in probe.keywords if k in CENTRE_OWNED_KWARGS]
        foreign_values = {
            k: (
                CENTRE_OWNED_KWARGS[k][0](world)
                if k in owned
                else OTHER_KWARGS[k](world)
            )
            for k in probe.keywords
        }
        missing_values = {
            **foreign_values,
            **{k: CENTRE_OWNED_KWARGS[k][1](world) for k in owned},
        }
        url = probe.build(foreign_values)
        probed.append(probe)

        for method in ("get", "post"):
            _force_login(charlie, world.charlie)
            response = getattr(charlie, method)(url)
            body = response.content.decode(errors="replace")
            leaked = [m for m in markers if m in body]
            if leaked:
                problems.append(
                    f"{label} {method.upper()}: shows Alice's data {leaked}"
                )
            if probe.namespace == "admin":
                if response.status_code == 200 and probe.name not in ADMIN_PUBLIC:
                    problems.append(
                        f"{label} {method.upper()}: admin page for non-staff"
                    )
                continue
            if owned:
                _force_login(charlie, world.charlie)
                missing = getattr(charlie, method)(probe.build(missing_values))
                if response.status_code != missing.status_code or (
                    response.status_code not in (404, 405)
                ):
                    problems.append(
                        f"{label} {method.upper()}: foreign object gave "
                        f"{response.status_code}, missing object gave "
                        f"{missing.status_code} (both must be 404)"
                    )
                if method == "get":
                    owner = (
                        _alice_moderator(world)
                        if probe.namespace in MODERATOR_NAMESPACES
                        or f"{probe.namespace}:{probe.name}" in MODERATOR_ROUTES
                        else world.alice
                    )
                    _force_login(alice, owner)
                    own = alice.get(url)
                    if own.status_code == 404:
                        problems.append(
                            f"{label}: Alice gets 404 for her own object, so the walk "
                            "proves nothing; fix the keyword values"
                        )

    if _alice_fingerprint(world) != before:
        problems.append("Alice's rows changed during the walk")
    return WalkReport(probed=probed, problems=problems)
