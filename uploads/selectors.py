"""Scoped reads for evidence files.

Centre members reach a unit through `iamis.selectors.access_unit`; the allocated moderator
will reach the same (centre, unit) pair through their allocation and then use the same
helpers below, which take the centre and unit rather than a membership.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.models import Centre
from iamis.models import Unit
from sampling.models import Sample, SampleMember

from .models import EvidenceFile, Kind, ScanStatus, UploadSession
from .services.rules import Cutoff, deletion_cutoff, max_bytes, upload_refusal


def unit_files(*, centre: Centre, unit: Unit) -> QuerySet[EvidenceFile]:
    return (
        EvidenceFile.objects.filter(centre=centre, unit=unit, deleted_at__isnull=True)
        .select_related("uploaded_by", "entry__candidate")
        .order_by("uploaded_at", "id")
    )


def access_file(*, centre: Centre, unit: Unit, file_id: UUID) -> EvidenceFile:
    return get_object_or_404(
        EvidenceFile.objects.select_related("unit", "centre", "entry__candidate"),
        centre=centre,
        unit=unit,
        public_id=file_id,
        deleted_at__isnull=True,
    )


def download_refusal(evidence: EvidenceFile, *, by_centre: bool) -> str | None:
    """Why this file cannot be downloaded now, or None. Outside the centre (moderators)
    only a file scanned clean; the centre its own files too, except one with a virus."""
    if evidence.scan_status == ScanStatus.CLEAN:
        return None
    if evidence.scan_status == ScanStatus.INFECTED:
        if by_centre:
            return _(
                "A virus was found in this file, so it cannot be downloaded and the "
                "moderator cannot see it. Delete it and upload a clean copy."
            )
        return _("This file is withheld: a virus was found in it.")
    if by_centre:
        return None
    if evidence.scan_status == ScanStatus.PENDING:
        return _(
            "This file is still being checked for viruses. It can be downloaded once "
            "the check has finished."
        )
    return _("This file is withheld: it could not be checked for viruses.")


def access_upload(*, centre: Centre, unit: Unit, upload_id: UUID) -> UploadSession:
    return get_object_or_404(
        UploadSession.objects.select_related("unit", "centre", "entry__candidate"),
        centre=centre,
        unit=unit,
        public_id=upload_id,
    )


@dataclass
class UploadPanel:
    """What the View samples page needs about uploads, loaded in a fixed number of
    queries whatever the number of candidates."""

    unit: Unit
    takes_uploads: bool
    refusal: str | None = None
    cutoff: Cutoff | None = None
    can_delete: bool = False
    by_entry: dict[int, list[EvidenceFile]] = field(default_factory=dict)
    group: list[EvidenceFile] = field(default_factory=list)
    notes: list[EvidenceFile] = field(default_factory=list)

    @property
    def max_bytes(self) -> int:
        return max_bytes()

    @property
    def is_open(self) -> bool:
        return self.takes_uploads and self.refusal is None

    def files_for(self, entry_id: int) -> list[EvidenceFile]:
        return self.by_entry.get(entry_id, [])


def upload_panel(
    *, centre: Centre, unit: Unit, sample: Sample | None = None
) -> UploadPanel:
    """`sample`: the centre's sample of the unit, when the page has read it already
    (with its submission)."""
    panel = UploadPanel(unit=unit, takes_uploads=unit.has_uploads)
    if not unit.has_uploads:
        return panel
    if sample is None:
        sample = (
            Sample.objects.filter(centre=centre, unit=unit)
            .select_related("submission")
            .first()
        )
    panel.refusal = upload_refusal(
        centre=centre, unit=unit, kind=Kind.NOTE, entry=None, known_sample=sample
    )
    if sample is None:
        return panel
    panel.cutoff = deletion_cutoff(unit, sample.submission.submitted_at)
    panel.can_delete = not panel.cutoff.passed(timezone.now())
    by_entry: defaultdict[int, list[EvidenceFile]] = defaultdict(list)
    for evidence in unit_files(centre=centre, unit=unit):
        if evidence.locked_at is not None:
            panel.can_delete = False
        if evidence.kind == Kind.CANDIDATE and evidence.entry_id is not None:
            by_entry[evidence.entry_id].append(evidence)
        elif evidence.kind == Kind.GROUP:
            panel.group.append(evidence)
        else:
            panel.notes.append(evidence)
    panel.by_entry = dict(by_entry)
    return panel


@dataclass
class SampleEvidence:
    """The files of a ready sample, for the whole-sample zip: its members whose work is
    available (candidate-number order) with their candidate files, and the unit's
    explanatory notes and group files. Every file not deleted, cleared or not: the zip
    decides what it can send."""

    members: list[SampleMember]
    by_entry: dict[int, list[EvidenceFile]]
    notes: list[EvidenceFile]
    group: list[EvidenceFile]


def sample_evidence(*, sample: Sample) -> SampleEvidence:
    """Two queries whatever the number of members and files."""
    members = list(
        SampleMember.objects.filter(
            sample=sample, centre_id=sample.centre_id, work_unavailable=False
        )
        .select_related("entry__candidate")
        .order_by("entry__candidate__number")
    )
    wanted = {member.entry_id for member in members}
    found = SampleEvidence(members=members, by_entry={}, notes=[], group=[])
    files = EvidenceFile.objects.filter(
        centre_id=sample.centre_id, unit_id=sample.unit_id, deleted_at__isnull=True
    ).order_by("uploaded_at", "id")
    for evidence in files:
        if evidence.kind == Kind.CANDIDATE:
            if evidence.entry_id in wanted:
                found.by_entry.setdefault(evidence.entry_id, []).append(evidence)
        elif evidence.kind == Kind.GROUP:
            found.group.append(evidence)
        else:
            found.notes.append(evidence)
    return found
