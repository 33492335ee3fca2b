"""The streaming readers behind chunk storage and part joining."""

from __future__ import annotations

import hashlib
import io

from uploads.storage import JoinedParts, LimitedReader, ascii_name, sanitise_name


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
