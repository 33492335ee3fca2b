"""A moderated sheet: SAMPLING.md's worked example, submitted and sampled on an
e-submission unit of Alice's centre, with a moderator allocated to it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from centres.models import Centre, ModeratorAllocation
from iamis.models import Entry, Unit
from sampling.models import Sample
from tests.factories import UserFactory
from tests.uploads.helpers import sampled_number, upload_sample
from uploads.models import EvidenceFile, Kind, ScanStatus


@dataclass
class Moderated:
    sample: Sample
    unit: Unit
    centre: Centre
    moderator: User
    allocation: ModeratorAllocation

    def url(self, name: str, *extra: object) -> str:
        return reverse(
            name if ":" in name else f"moderation:{name}",
            args=[self.centre.number, self.unit.public_id, *extra],
        )

    def entry(self, number: int) -> Entry:
        return Entry.objects.get(
            centre=self.centre, unit=self.unit, candidate__number=number
        )

    def client(self) -> Client:
        client = Client()
        client.force_login(self.moderator)
        return client


def make_moderator(**fields) -> User:
    return UserFactory(is_moderator=True, **fields)


def moderated_sheet(two_centres, **unit_fields) -> Moderated:
    sample = upload_sample(two_centres, **unit_fields)
    moderator = make_moderator(email="mo@board.example", first_name="Mo")
    allocation = ModeratorAllocation.objects.create(
        moderator=moderator, centre=sample.centre, unit=sample.unit
    )
    return Moderated(
        sample=sample,
        unit=sample.unit,
        centre=sample.centre,
        moderator=moderator,
        allocation=allocation,
    )


def stored_file(
    moderated: Moderated,
    *,
    content: bytes,
    name: str,
    scan: str = ScanStatus.CLEAN,
    signature: str = "",
) -> EvidenceFile:
    """An evidence file for the first sampled candidate, stored as an upload leaves it
    and, unless `scan` says otherwise, found clean by its virus scan."""
    number = sampled_number(moderated.sample)
    entry = moderated.entry(number)
    key = default_storage.save(
        f"evidence/test/{moderated.unit.public_id}/{name}", ContentFile(content)
    )
    return EvidenceFile.objects.create(
        centre=moderated.centre,
        unit=moderated.unit,
        entry=entry,
        kind=Kind.CANDIDATE,
        original_name=name,
        size=len(content),
        sha256="a" * 64,
        storage_key=key,
        uploaded_by=moderated.sample.submission.submitted_by,
        scan_status=scan,
        scan_detail=signature,
        scanned_at=None if scan == ScanStatus.PENDING else timezone.now(),
    )
