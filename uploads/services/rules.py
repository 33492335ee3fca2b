"""The upload rules: when an upload is open, how large a file may be, and the cutoff
after which files can no longer be deleted. The upload protocol (uploads.py), direct
uploads (uploads/direct.py), deleting and locking (files.py) and the upload panel
(uploads/selectors.py) all ask here.

Rules (DESIGN.md rule 5 and the guide's "IAMIS Upload"):
- Uploads open when the unit's work is uploaded (e-submission or upload only), its marks
  are submitted and its sample is ready. Any file type; at most UPLOAD_MAX_BYTES a file,
  checked on the declared size at the start and on the bytes that actually arrive.
- A candidate's file is for a sample member of any origin (system, centre, substitute,
  moderator-requested). A member whose work was recorded as unavailable takes no new
  files: a substitute's work replaces it (files uploaded before stay, and can be deleted
  until the cutoff). Group/admin files only where the unit uses group upload; the
  explanatory note to the moderator whenever uploads are open.
- A file can be deleted until the unit's cutoff (`deletion_cutoff`); after it, or once
  the beat task has locked the file, deleting is refused. Uploading stays open after the
  cutoff (a moderator may ask for further samples), but such files cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.models import Centre
from iamis.models import Entry, Unit
from sampling.models import Sample, SampleMember

from ..models import Kind

LONDON = ZoneInfo("Europe/London")


# --- Sizes -----------------------------------------------------------------------------


class TooLarge(ValidationError):
    """The file (or the bytes received so far) would pass the size limit."""


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def chunk_bytes() -> int:
    return int(settings.UPLOAD_CHUNK_BYTES)


def too_large_message(size: int) -> str:
    return _(
        "The file is too large (%(size)s bytes): each file can be at most %(max)s."
    ) % {"size": f"{size:,}", "max": filesizeformat(max_bytes())}


# --- The cutoff ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cutoff:
    at: datetime  # deleting is allowed strictly before this instant
    last_day: date  # the day shown to people ("the deadline ... was 12/06/2027")

    def passed(self, now: datetime) -> bool:
        return now >= self.at

    @property
    def message(self) -> str:
        return _(
            "Files can no longer be deleted: the deadline for changes to uploads "
            "was %(date)s."
        ) % {"date": self.last_day.strftime("%d/%m/%Y")}


def deletion_cutoff(unit: Unit, submitted_at: datetime) -> Cutoff:
    """By default `deletion_days` after the marks were submitted; a unit may instead use
    its sample deadline, up to the end of that day in Wales. A unit set to the deadline
    without a deadline date falls back to the days."""
    if (
        unit.deletion_policy == Unit.DeletionPolicy.SERIES_DEADLINE
        and unit.sample_deadline is not None
    ):
        end = datetime.combine(
            unit.sample_deadline + timedelta(days=1), time.min, tzinfo=LONDON
        )
        return Cutoff(at=end, last_day=unit.sample_deadline)
    at = submitted_at + timedelta(days=unit.deletion_days)
    return Cutoff(at=at, last_day=timezone.localtime(at, LONDON).date())


def cutoff_for(*, centre: Centre, unit: Unit) -> Cutoff | None:
    """The cutoff of the centre's sheet, counted from its first submission (the one that
    made the sample); None before there is a sample."""
    sample = (
        Sample.objects.filter(centre=centre, unit=unit)
        .select_related("submission")
        .first()
    )
    if sample is None:
        return None
    return deletion_cutoff(unit, sample.submission.submitted_at)


# --- When uploads are open -------------------------------------------------------------


def upload_refusal(
    *,
    centre: Centre,
    unit: Unit,
    kind: str,
    entry: Entry | None,
    known_sample: Sample | None = None,
) -> str | None:
    """Why this upload is refused, or None when it is allowed. `known_sample`: the
    centre's sample of the unit when the caller has read it already."""
    if not unit.has_uploads:
        return _("Work for this unit is sent to the moderator, not uploaded.")
    sample = known_sample or Sample.objects.filter(centre=centre, unit=unit).first()
    if sample is None or sample.status != Sample.Status.READY:
        return _(
            "Files can be uploaded once the marks are submitted and the sample has "
            "been generated."
        )
    if kind == Kind.CANDIDATE:
        member = (
            SampleMember.objects.filter(sample=sample, centre=centre, entry=entry)
            .only("work_unavailable")
            .first()
            if entry is not None
            else None
        )
        if member is None:
            return _("Work is uploaded only for candidates in the sample.")
        if member.work_unavailable:
            return _(
                "This candidate's work was recorded as unavailable; upload the "
                "replacement candidate's work instead."
            )
    elif kind == Kind.GROUP:
        if not unit.group_upload:
            return _("This unit does not use group upload.")
    elif kind != Kind.NOTE:
        return _("Unknown kind of upload.")
    return None


def check_open(*, centre: Centre, unit: Unit, kind: str, entry: Entry | None) -> None:
    """`upload_refusal` as a ValidationError, for the writes that must not go on."""
    refusal = upload_refusal(centre=centre, unit=unit, kind=kind, entry=entry)
    if refusal:
        raise ValidationError(refusal)
