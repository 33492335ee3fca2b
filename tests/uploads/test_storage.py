"""The streaming readers and writers behind chunk storage and part joining."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from uploads.resumable_sha256 import ResumableSha256
from uploads.storage import (
    BLOCK,
    JoinedParts,
    LimitedReader,
    append_at,
    ascii_name,
    sanitise_name,
)


def test_joined_parts_fill_each_read_across_part_boundaries():
    parts = {"a": b"1" * 10, "b": b"2" * 10, "c": b"3" * 5}
    joined = JoinedParts(["a", "b", "c"], lambda key: io.BytesIO(parts[key]))

    first = joined.read(15)
    rest = joined.read(100)

    assert first == b"1" * 10 + b"2" * 5
    assert rest == b"2" * 5 + b"3" * 5
    assert joined.read(10) == b""
    assert joined.count == 25
    assert joined.digest.hexdigest() == hashlib.sha256(first + rest).hexdigest()


def test_a_limited_reader_stops_at_its_length_and_counts_a_short_source():
    assert LimitedReader(io.BytesIO(b"x" * 50), 20).read(100) == b"x" * 20
    short = LimitedReader(io.BytesIO(b"x" * 5), 20)
    assert short.read(100) == b"x" * 5
    assert short.count == 5


def test_names_are_reduced_to_a_displayable_base_name_and_a_safe_ascii_one():
    assert sanitise_name("../../etc/passwd") == "passwd"
    assert sanitise_name("a\\b\\c\u202e.exe") == "c.exe"
    assert sanitise_name("") == "file"
    assert len(sanitise_name("x" * 300 + ".pdf")) == 200
    assert sanitise_name("x" * 300 + ".pdf").endswith(".pdf")
    assert ascii_name('evil".html') == "evil_.html"
    assert ascii_name("..") == "file"


def _upload_file(tmp_path, content: bytes) -> int:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return os.open(path, os.O_RDWR)


def test_a_chunk_is_written_at_its_offset_and_hashed_on_the_way(tmp_path):
    chunk = os.urandom(3 * BLOCK + 17)  # several blocks in flight, and a short last one
    fd = _upload_file(tmp_path, b"head" + b"left by a crash")
    digest = ResumableSha256()
    digest.update(b"head")
    try:
        written = append_at(fd, 4, io.BytesIO(chunk), len(chunk), digest=digest)
        os.lseek(fd, 0, os.SEEK_SET)
        stored = os.read(fd, 10 * BLOCK)
    finally:
        os.close(fd)

    assert written == len(chunk)
    assert stored == b"head" + chunk
    assert digest.hexdigest() == hashlib.sha256(b"head" + chunk).hexdigest()


def test_a_chunk_that_fails_part_way_leaves_the_file_as_it_was_before_it(tmp_path):
    class Breaks(io.RawIOBase):
        sent = 0

        def read(self, size=-1):
            if self.sent >= 2 * BLOCK:
                raise OSError("connection reset")
            self.sent += size
            return b"z" * size

    fd = _upload_file(tmp_path, b"accepted")
    try:
        with pytest.raises(OSError):
            append_at(fd, 8, Breaks(), 4 * BLOCK, digest=ResumableSha256())
        short = append_at(fd, 8, io.BytesIO(b"only this"), 100)
        os.lseek(fd, 0, os.SEEK_SET)
        stored = os.read(fd, 10 * BLOCK)
    finally:
        os.close(fd)

    assert short == 9
    assert stored == b"accepted"
