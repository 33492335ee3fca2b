"""Reading stored evidence (uploads.storage.read_blocks: the zip, the receipt hash and the
virus scan): block by block, on S3 too, where django-storages' own file would download
the whole object first."""

from __future__ import annotations

import hashlib
import os
import tracemalloc

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from uploads import clamd
from uploads.storage import BlockReader, hash_stored, read_blocks

BLOCK = 1024 * 1024


def test_an_object_in_the_bucket_is_read_in_blocks_never_whole(s3_storage):
    size = 24 * BLOCK
    content = os.urandom(size)
    key = default_storage.save("evidence/zip/big", ContentFile(content))
    lengths = []
    digest = hashlib.sha256()

    tracemalloc.start()
    try:
        for block in read_blocks(key, BLOCK):
            digest.update(block)
            lengths.append(len(block))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest.digest() == hashlib.sha256(content).digest()
    assert max(lengths) <= BLOCK
    assert peak < 6 * BLOCK, f"peak {peak / BLOCK:.1f} MiB"


def test_a_missing_object_is_file_not_found_before_any_byte(s3_storage):
    with pytest.raises(FileNotFoundError):
        next(read_blocks("evidence/zip/none"))


def test_a_missing_file_on_disk_is_file_not_found_before_any_byte():
    with pytest.raises(FileNotFoundError):
        next(read_blocks("evidence/zip/none"))


def test_the_receipt_hash_and_the_virus_scan_read_an_object_in_the_bucket_in_blocks(
    s3_storage,
):
    size = 24 * BLOCK
    content = os.urandom(size)
    key = default_storage.save("evidence/zip/scanned", ContentFile(content))

    tracemalloc.start()
    try:
        found = hash_stored(key)
        verdict = clamd.scan(BlockReader(key))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert found == (size, hashlib.sha256(content).hexdigest())
    assert verdict.status == "clean"
    assert peak < 12 * BLOCK, f"peak {peak / BLOCK:.1f} MiB"


def test_a_reader_of_a_missing_object_is_file_not_found_at_once(s3_storage):
    with pytest.raises(FileNotFoundError):
        BlockReader("evidence/zip/none")
