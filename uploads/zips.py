"""Evidence files as one zip, streamed from storage (the moderator's whole-sample download;
the archive format is common/zipstream.py).

Every file asked for is a line of the zip's `manifest.csv`: candidate number, the name in
the zip, the uploader's file name, the size, the SHA-256 and what happened to it. Files
the virus check has not cleared are listed as withheld and left out, as their single
download refuses them (`selectors.download_refusal`).

The manifest's SHA-256 is computed over the bytes as they are written into the zip, not
copied from the upload receipt: the manifest is then a statement about this archive's
contents that anyone can check, and reading the file again for it costs nothing more
(SHA-256 runs at about 1 GB/s a core here, well above what is sent). It is compared with
the receipt (`EvidenceFile.sha256`, made when the upload completed): a file changed in
storage since then is still sent, since its bytes have gone out by the time the hash is
known, but the manifest says it differs and the error is logged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from common.zipstream import ZipMember, stream_zip

from . import storage
from .models import EvidenceFile, ScanStatus
from .selectors import SampleEvidence, download_refusal

if TYPE_CHECKING:
    from centres.models import Centre
    from iamis.models import Unit

logger = logging.getLogger(__name__)

MANIFEST = "manifest.csv"
# Spreadsheets run a cell that starts with one of these as a formula; file names are
# the uploader's, so such a cell is written as text (OWASP's CSV injection advice).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ZipItem:
    """One evidence file for the zip: its folder there, and the candidate number the
    manifest gives it (empty for the unit's own files: notes, group files)."""

    evidence: EvidenceFile
    folder: str
    candidate: str = ""


@dataclass(frozen=True)
class _Words:
    """The manifest's words, in the language of the request that asked for the zip
    (the zip is written after the view has returned)."""

    header: list[str]
    included: str
    differs: str
    unreadable: str
    withheld: dict[str, str]

    @classmethod
    def now(cls) -> _Words:
        return cls(
            header=[
                _("Candidate number"),
                _("File in the zip"),
                _("Original file name"),
                _("Size in bytes"),
                _("SHA-256"),
                _("Status"),
            ],
            included=_("included"),
            differs=_(
                "included, but it differs from its upload receipt (SHA-256 "
                "%(receipt)s, %(size)s bytes)"
            ),
            unreadable=_("not included: the stored file could not be read"),
            withheld={
                ScanStatus.PENDING: _("withheld: still being checked for viruses"),
                ScanStatus.INFECTED: _("withheld: a virus was found"),
                ScanStatus.ERROR: _("withheld: it could not be checked for viruses"),
            },
        )


def evidence_zip(items: Sequence[ZipItem]) -> Iterator[bytes]:
    """The zip's bytes: each cleared file under `<folder>/<its name>` (a name used twice
    in a folder gets " (2)" and so on), then `manifest.csv`. Nothing is read from
    storage until the bytes are asked for, one block at a time."""
    words = _Words.now()
    names = _zip_names(items)
    return stream_zip(_members(items, names, words))


def sample_zip(found: SampleEvidence) -> Iterator[bytes]:
    """The whole sample: a folder per candidate number with the candidate's files, then
    the unit's explanatory notes and group files in folders of their own."""
    items = [
        ZipItem(
            evidence=evidence,
            folder=member.entry.candidate.display_number,
            candidate=member.entry.candidate.display_number,
        )
        for member in found.members
        for evidence in found.by_entry.get(member.entry_id, [])
    ]
    # Translators: a folder name in the zip (lower case, hyphens, no spaces).
    notes = _("explanatory-notes")
    # Translators: a folder name in the zip (lower case, hyphens, no spaces).
    group = _("group-files")
    items += [ZipItem(evidence, notes) for evidence in found.notes]
    items += [ZipItem(evidence, group) for evidence in found.group]
    return evidence_zip(items)


def sample_zip_name(*, centre: Centre, unit: Unit) -> str:
    """`<series>_<unit code>_<centre number>_sample.zip`; a code's "/" becomes "-"."""
    code = storage.ascii_name(unit.code.replace("/", "-"))
    return f"{unit.series.slug}_{code}_{centre.number}_sample.zip"


def _zip_names(items: Sequence[ZipItem]) -> list[str]:
    taken: set[str] = set()
    names = []
    for item in items:
        if download_refusal(item.evidence, by_centre=False) is not None:
            names.append("")  # withheld: it takes no name in the zip
            continue
        base = storage.sanitise_name(item.evidence.original_name)
        if not base.strip("."):
            base = "file"
        stem, dot, ext = base.rpartition(".")
        if not stem:
            stem, dot, ext = base, "", ""
        name, copy = f"{item.folder}/{base}", 1
        # Case-insensitive, as the Windows and macOS folders it is unpacked into are.
        while name.casefold() in taken:
            copy += 1
            name = f"{item.folder}/{stem} ({copy}){dot}{ext}"
        taken.add(name.casefold())
        names.append(name)
    return names


class _Tally:
    """The SHA-256 and length of what went into the zip."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def counted(self, first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
        for block in itertools.chain([first], rest):
            self.digest.update(block)
            self.size += len(block)
            yield block


def _members(
    items: Sequence[ZipItem], names: list[str], words: _Words
) -> Iterator[ZipMember]:
    rows: list[list[str]] = []
    for item, name in zip(items, names, strict=True):
        evidence = item.evidence
        original = evidence.original_name
        if download_refusal(evidence, by_centre=False) is not None:
            status = words.withheld.get(
                evidence.scan_status, words.withheld[ScanStatus.ERROR]
            )
            rows.append([item.candidate, "", original, str(evidence.size), "", status])
            continue
        blocks = storage.read_blocks(evidence.storage_key)
        try:
            # Read before the member starts: a missing file is left out, not half-sent.
            first = next(blocks, b"")
        except OSError:
            logger.exception("Evidence file %s could not be read", evidence.public_id)
            rows.append(
                [item.candidate, "", original, str(evidence.size), "", words.unreadable]
            )
            continue
        tally = _Tally()
        yield ZipMember(
            name=name,
            chunks=tally.counted(first, blocks),
            modified=_zip_time(evidence),
            size=evidence.size,
        )
        # The member has been streamed whole by now: the tally is complete.
        sha256 = tally.digest.hexdigest()
        status = words.included
        if tally.size != evidence.size or (
            evidence.sha256 and evidence.sha256 != sha256
        ):
            logger.error(
                "Evidence file %s differs from its upload receipt", evidence.public_id
            )
            status = words.differs % {
                "receipt": evidence.sha256 or "-",
                "size": evidence.size,
            }
        rows.append([item.candidate, name, original, str(tally.size), sha256, status])
    yield ZipMember(
        name=MANIFEST,
        chunks=[_csv([words.header, *rows])],
        modified=_zip_time(None),
    )


def _zip_time(evidence: EvidenceFile | None) -> tuple[int, int, int, int, int, int]:
    when = timezone.localtime(evidence.uploaded_at if evidence else None)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    for row in rows:
        writer.writerow(
            f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell for cell in row
        )
    # With a byte order mark Excel reads the file as UTF-8 (Welsh names, accents).
    return text.getvalue().encode("utf-8-sig")
