"""SHA-256 carried between requests: the same digest as hashlib however the bytes are
split, and a saved state that does not fit what it claims is refused."""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import struct

import pytest
from django.core import checks

from uploads.checks import check_resumable_sha256
from uploads.resumable_sha256 import (
    ResumableSha256,
    StateRefused,
    unavailable_reason,
)

SOURCE = os.urandom(300_001)


def test_openssl_sha256_is_available_here():
    # There is no slower stand-in: the test command fails here if it ever breaks.
    assert unavailable_reason() is None
    assert check_resumable_sha256() == []


def test_a_missing_library_is_named_as_the_reason():
    reason = unavailable_reason("libno-such-crypto.so.99")

    assert reason is not None
    assert "libno-such-crypto.so.99" in reason


def test_a_library_without_sha256_is_refused():
    # libc is a real library without OpenSSL's functions in it.
    reason = unavailable_reason(ctypes.util.find_library("c"))

    assert reason is not None
    assert "SHA256_Init" in reason


def test_the_system_check_runs_with_every_command():
    errors = [
        message for message in checks.run_checks() if message.id == "uploads.E001"
    ]

    assert errors == []
    assert check_resumable_sha256 in checks.registry.registry.get_checks()


@pytest.mark.parametrize("block", [1024 * 1024, 64 * 1024 * 1024 - 1])
def test_a_large_upload_split_at_chunk_boundaries_gives_hashlibs_digest(block):
    # The shape of a real upload: many blocks per chunk, a save at each chunk's end.
    source = os.urandom(3 * 1024 * 1024 + 5)
    chunk, digest, at = 1024 * 1024 + 3, ResumableSha256(), 0
    while at < len(source):
        piece = memoryview(source)[at : at + chunk]
        for start in range(0, len(piece), block):
            digest.update(piece[start : start + block])
        at += len(piece)
        digest = ResumableSha256.load(digest.save(), count=at)

    assert digest.hexdigest() == hashlib.sha256(source).hexdigest()


@pytest.mark.parametrize(
    "cuts", [[0], [1], [64], [63, 65], [1000, 1000, 4097], [299_999]]
)
def test_saving_and_loading_between_pieces_gives_hashlibs_digest(cuts):
    digest, at = ResumableSha256(), 0
    for cut in cuts:
        digest.update(SOURCE[at : at + cut])
        at += cut
        digest = ResumableSha256.load(digest.save(), count=at)
    digest.update(memoryview(bytearray(SOURCE))[at:])

    assert digest.count == len(SOURCE)
    assert digest.hexdigest() == hashlib.sha256(SOURCE).hexdigest()


def test_a_digest_can_be_read_and_then_carried_on():
    digest = ResumableSha256()
    digest.update(b"abc")
    assert digest.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    digest.update(b"def")
    assert digest.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


def test_a_state_for_a_different_byte_count_is_refused():
    digest = ResumableSha256()
    digest.update(SOURCE[:128])  # a whole number of blocks: only the bit count differs
    state = digest.save()

    with pytest.raises(StateRefused):
        ResumableSha256.load(state, count=192)
    with pytest.raises(StateRefused):
        ResumableSha256.load(state, count=129)


def test_a_damaged_or_foreign_state_is_refused():
    digest = ResumableSha256()
    digest.update(SOURCE[:10])
    state = bytearray(digest.save())
    tag_size = len(state) - 112
    # The buffered-byte count is the 27th word of the context: past the block size
    # OpenSSL would read out of bounds, so it must never be loaded.
    struct.pack_into("<I", state, tag_size + 26 * 4, 4000)

    with pytest.raises(StateRefused):
        ResumableSha256.load(bytes(state), count=10)
    with pytest.raises(StateRefused):
        ResumableSha256.load(b"x" * len(state), count=10)
    with pytest.raises(StateRefused):
        ResumableSha256.load(digest.save()[:-1], count=10)
