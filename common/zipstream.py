"""A zip archive made while it is sent: each member's bytes go out as they are read, so
an archive of any size costs the web process about one block of memory.

The stdlib writer does the format. Given a file object it cannot seek (`_Pipe`: `write`
only, no `tell`), `zipfile.ZipFile(mode="w")` counts the offsets itself and writes each
member's CRC and sizes in a data descriptor after its bytes (general purpose flag bit 3)
instead of going back to its local header; the central directory at the end has them all.
ZIP64 is on: a member's record takes the ZIP64 form when its size (given up front) needs
it, or always when the size is not known, and the central directory when offsets pass
4 GiB, so archives of any total size open.

Members are stored, not deflated: the evidence is mostly PDFs, videos, images and office
files, which are compressed already; deflating them again would cost the web worker's
CPU (tens of MB/s a core against the disk's or the network's hundreds) to save almost
nothing, and stored sizes are the files' own.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# DOS dates (the zip format's) start in 1980.
EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ZipMember:
    """One file of the archive. `chunks` is consumed once, when the member's turn comes
    (so a generator opens its file only then); `size`, when known, lets a small member
    keep the plain (non-ZIP64) record every unzip tool reads."""

    name: str
    chunks: Iterable[bytes]
    modified: tuple[int, int, int, int, int, int] = EPOCH
    size: int | None = None


class _Pipe:
    """Write-only: what the archive writes is collected until the stream takes it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> list[bytes]:
        parts, self._parts = self._parts, []
        return parts


def stream_zip(members: Iterable[ZipMember]) -> Iterator[bytes]:
    """The archive's bytes, member by member. `members` is read lazily too: a generator
    may yield its last member (a manifest) from what the earlier ones streamed."""
    pipe = _Pipe()
    with zipfile.ZipFile(
        pipe,
        mode="w",
        compression=zipfile.ZIP_STORED,
        allowZip64=True,
    ) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=max(member.modified, EPOCH))
            info.compress_type = zipfile.ZIP_STORED
            # rw-r--r--, an ordinary downloaded file, once unpacked.
            info.external_attr = 0o644 << 16
            if member.size is not None:
                info.file_size = member.size
            with archive.open(
                info, mode="w", force_zip64=member.size is None
            ) as target:
                for chunk in member.chunks:
                    target.write(chunk)
                    yield from pipe.take()
            yield from pipe.take()
    yield from pipe.take()
