"""The streaming zip writer: a valid archive, written as its members are read."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator

from common.zipstream import ZipMember, stream_zip

DATA_DESCRIPTOR = 1 << 3
ZIP64_EXTRA = 0x0001


def _extra_ids(extra: bytes) -> set[int]:
    ids, offset = set(), 0
    while offset + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, offset)
        ids.add(kind)
        offset += 4 + length
    return ids


def test_the_archive_opens_with_every_member_stored_and_its_sizes_after_its_bytes():
    chunks = [b"hello ", b"world"]

    data = b"".join(
        stream_zip(
            [
                ZipMember("a/b.txt", chunks, size=11),
                ZipMember("c.txt", [b""], size=0),
            ]
        )
    )

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.read("a/b.txt") == b"hello world"
    assert archive.read("c.txt") == b""
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.flag_bits & DATA_DESCRIPTOR
        # A known size that needs no ZIP64 keeps the plain record.
        assert ZIP64_EXTRA not in _extra_ids(info.extra)


def test_a_member_of_unknown_size_takes_the_zip64_record():
    data = b"".join(stream_zip([ZipMember("m.csv", iter([b"x,y\n"]))]))

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.read("m.csv") == b"x,y\n"
    local_extra_length = struct.unpack_from("<H", data, 28)[0]
    name_length = struct.unpack_from("<H", data, 26)[0]
    local_extra = data[30 + name_length : 30 + name_length + local_extra_length]
    assert ZIP64_EXTRA in _extra_ids(local_extra)


def test_each_member_is_read_only_when_its_turn_comes_and_its_bytes_go_out_at_once():
    read: list[str] = []

    def member(name: str) -> Iterator[bytes]:
        read.append(name)
        yield name.encode() * 1000

    def members() -> Iterator[ZipMember]:
        yield ZipMember("one", member("one"))
        yield ZipMember("two", member("two"))

    stream = stream_zip(members())
    sent = b""
    while b"one" * 1000 not in sent:
        sent += next(stream)

    assert read == ["one"]
    assert b"".join([sent, *stream]).count(b"two" * 1000) == 1
    assert read == ["one", "two"]


def test_names_outside_ascii_are_kept():
    data = b"".join(stream_zip([ZipMember("0001/traethawd-ŵyl.pdf", [b"x"], size=1)]))

    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["0001/traethawd-ŵyl.pdf"]
