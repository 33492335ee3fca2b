"""Streaming to and from the default storage (FileSystemStorage or S3 alike).

Nothing here holds a whole file or a whole chunk in memory: request bodies and parts are
read in blocks of `BLOCK` bytes.

On the filesystem an upload grows in place: each chunk is appended to one file under the
upload's parts prefix and hashed on its way to the disk, and the file is linked under its
evidence key at the end (`locked_upload_file`, `append_at`, `link_into_place`; `hash_file`
reads it once where the hash could not be carried from chunk to chunk). Elsewhere (S3) each
chunk is its own part object and the parts are joined at the end (`JoinedParts`).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Protocol, cast

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from .request_body import SocketBody
from .resumable_sha256 import ResumableSha256

BLOCK = 1024 * 1024
RING_BLOCK = BLOCK


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def evidence_key(*, centre_number: int, unit_public_id: uuid.UUID) -> str:
    return f"evidence/{centre_number:05d}/{unit_public_id}/{uuid.uuid4()}"


def parts_prefix(*, centre_number: int, session_public_id: uuid.UUID) -> str:
    return f"upload-parts/{centre_number:05d}/{session_public_id}/"


def upload_file_key(prefix: str) -> str:
    """The one growing file of a filesystem upload, under its parts prefix."""
    return f"{prefix}upload"


class _BlockFile(File[bytes]):
    # FileSystemStorage copies in DEFAULT_CHUNK_SIZE steps: 64 KiB costs a Python round
    # trip per 64 KiB of a 1 GB upload; a 1 MiB step keeps memory small and the loop short.
    DEFAULT_CHUNK_SIZE = BLOCK


def save_exact(key: str, stream: io.RawIOBase) -> str:
    """Store under exactly `key`; server-made keys are unique, so a clash is a bug."""
    saved = default_storage.save(key, _BlockFile(cast(IO[bytes], stream), name=key))
    if saved != key:
        default_storage.delete(saved)
        raise RuntimeError(f"storage renamed {key!r} to {saved!r}")
    return saved


class LimitedReader(io.RawIOBase):
    """Reads at most `length` bytes from `source`, counting as it goes; a short source
    (a dropped connection) ends early and the caller compares `count`.

    `read(n)` returns n bytes unless the data ends: boto3 takes a short read for the end
    of the file. Callers read in bounded sizes (64 KiB for the filesystem, the multipart
    part size for S3), so memory stays bounded.
    """

    def __init__(self, source: Readable, length: int) -> None:
        self.source = source
        self.remaining = length
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = self.remaining if size is None or size < 0 else min(size, self.remaining)
        pieces = []
        while want > 0:
            data = self.source.read(min(want, BLOCK))
            if not data:
                self.remaining = 0
                break
            pieces.append(data)
            want -= len(data)
            self.remaining -= len(data)
            self.count += len(data)
        return b"".join(pieces)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class JoinedParts(io.RawIOBase):
    """The parts one after another as one stream, hashing with SHA-256 on the way."""

    def __init__(self, keys: list[str], opener: Callable[[str], IO[bytes]]) -> None:
        self.keys = list(keys)
        self.opener = opener
        self.current: IO[bytes] | None = None
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        # Fill `size` across part boundaries (see LimitedReader.read).
        want = -1 if size is None or size < 0 else size
        pieces = []
        while want != 0:
            if self.current is None:
                if not self.keys:
                    break
                self.current = self.opener(self.keys.pop(0))
            data = self.current.read(BLOCK if want < 0 else min(want, BLOCK))
            if not data:
                self.current.close()
                self.current = None
                continue
            self.digest.update(data)
            self.count += len(data)
            pieces.append(data)
            if want > 0:
                want -= len(data)
        return b"".join(pieces)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        super().close()


def create_empty(key: str) -> None:
    saved = default_storage.save(key, ContentFile(b""))
    if saved != key:
        default_storage.delete(saved)
        raise RuntimeError(f"storage renamed {key!r} to {saved!r}")


class Busy(Exception):
    """Another request of the same upload holds its file."""


@contextmanager
def locked_upload_file(key: str, *, wait: bool) -> Iterator[int]:
    """The upload's file opened read-write under an exclusive `flock`, which every request
    of the upload takes, so only one writes (or completes) at a time. Without `wait`,
    raises Busy when another request holds it. FileNotFoundError when the file is gone or
    was renamed while we waited: the upload was completed or cleaned up."""
    path = default_storage.path(key)
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy from None
        held, named = os.fstat(fd), os.stat(path)
        if (held.st_dev, held.st_ino) != (named.st_dev, named.st_ino):
            raise FileNotFoundError(path)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def append_at(
    fd: int,
    offset: int,
    stream: Readable | SocketBody,
    length: int,
    *,
    digest: ResumableSha256 | None = None,
) -> int:
    """Write up to `length` bytes from `stream` at `offset`, in blocks, feeding them to
    `digest` too; returns how many arrived. Whatever lies past `offset` (a chunk cut off
    by a crash) is dropped first, and a chunk that arrives short (a dropped connection)
    is dropped again, so the file only ever holds accepted bytes and the ones on their
    way in. After a short chunk or an error `digest` is spoilt: do not save it.

    Reading the request, writing the disk and hashing each run in their own thread (all
    three release the GIL), so a chunk takes about as long as its slowest step rather
    than the sum; at most `_IN_FLIGHT` blocks are held at once. A whole chunk is on the
    disk when this returns (`_Writer`)."""
    os.ftruncate(fd, offset)
    written = 0
    target = _Writer(fd, offset)
    in_flight: deque[list[Future[None]]] = deque()
    with (
        ThreadPoolExecutor(1, "upload-write") as writer,
        ThreadPoolExecutor(1, "upload-hash") as hasher,
    ):
        try:
            # The next block is read only once at most _IN_FLIGHT are in flight, so
            # _blocks may reuse the buffer of the one before those.
            for data in _blocks(stream, length):
                jobs = [writer.submit(target.write, data, offset + written)]
                if digest is not None:
                    jobs.append(hasher.submit(digest.update, data))
                in_flight.append(jobs)
                written += len(data)
                while len(in_flight) > _IN_FLIGHT:
                    _finish(in_flight.popleft())
            while in_flight:
                _finish(in_flight.popleft())
            if written == length:
                target.flush()
        except BaseException:
            # Nothing may still be writing when the chunk is cut off again.
            futures.wait([job for jobs in in_flight for job in jobs])
            os.ftruncate(fd, offset)
            raise
    if written != length:
        os.ftruncate(fd, offset)
    return written


def _blocks(stream: Readable | SocketBody, length: int) -> Iterator[bytes | memoryview]:
    """The body in blocks of at most BLOCK bytes until `length` or its end. A
    SocketBody fills a ring of _IN_FLIGHT + 1 reused buffers (no new memory per
    block); other streams give new bytes objects."""
    left = length
    if not isinstance(stream, SocketBody):
        while left > 0 and (data := stream.read(min(BLOCK, left))):
            yield data
            left -= len(data)
        return
    ring = [memoryview(bytearray(RING_BLOCK)) for _ in range(_IN_FLIGHT + 1)]
    turn = 0
    while left > 0:
        buffer = ring[turn % len(ring)][: min(RING_BLOCK, left)]
        filled = 0
        while filled < len(buffer) and (count := stream.readinto(buffer[filled:])):
            filled += count
        if filled:
            yield buffer[:filled]
        if filled < len(buffer):
            return
        left -= filled
        turn += 1


_IN_FLIGHT = 4


# Every this many bytes the writer flushes what it wrote to the disk and drops it from
# the page cache (`_Writer`).
FLUSH_BYTES = 16 * BLOCK


class _Writer:
    """Writes blocks at increasing offsets; every FLUSH_BYTES, and at the end, flushes
    them to the disk (fdatasync) and drops them from the page cache.

    Why (issue 21, item 5): a 1 GiB upload written to the page cache needs 1 GiB of
    fresh memory pages, and on the bench VMs a page the guest has not touched lately
    costs a host fault: pwrite then ran at 300-680 MiB/s and most of a chunk's CPU was
    the kernel's. Pages dropped after their flush are the next blocks' pages, still
    warm: 1,100-1,300 MiB/s and an eighth of the kernel time, measured on the same
    machine. Each chunk is also on the disk before it is acknowledged."""

    def __init__(self, fd: int, at: int) -> None:
        self.fd = fd
        self.flushed = at  # everything before this is on the disk
        self.at = at

    def write(self, data: bytes | memoryview, at: int) -> None:
        view = memoryview(data)
        while view:
            count = os.pwrite(self.fd, view, at)
            view, at = view[count:], at + count
        self.at = max(self.at, at)
        if self.at - self.flushed >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.at == self.flushed:
            return
        _datasync(self.fd)
        if hasattr(os, "posix_fadvise"):  # Linux; elsewhere the pages stay cached
            os.posix_fadvise(
                self.fd, self.flushed, self.at - self.flushed, os.POSIX_FADV_DONTNEED
            )
        self.flushed = self.at


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has fsync only


def _finish(jobs: list[Future[None]]) -> None:
    for job in jobs:
        job.result()


def file_size(fd: int) -> int:
    return os.fstat(fd).st_size


def hash_file(fd: int) -> tuple[int, str]:
    """(size, SHA-256) of the whole file, read once in blocks."""
    digest = hashlib.sha256()
    size = 0
    os.lseek(fd, 0, os.SEEK_SET)
    # A larger block than BLOCK: fewer Python steps over a 1 GiB file, still bounded.
    buffer = bytearray(4 * BLOCK)
    view = memoryview(buffer)
    while count := os.readv(fd, [buffer]):
        digest.update(view[:count])
        size += count
    return size, digest.hexdigest()


def link_into_place(source_key: str, target_key: str) -> None:
    """Give the file its evidence key as a second name: same filesystem, no copy. Unlike
    a rename it never replaces an existing file, and the parts name stays until the parts
    are removed, so undoing it is deleting the new name."""
    source, target = default_storage.path(source_key), default_storage.path(target_key)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.link(source, target)


def open_part(key: str) -> IO[bytes]:
    return default_storage.open(key, "rb")


def delete_prefix(prefix: str) -> int:
    """Delete every object under `prefix` (parts, including ones no session recorded)."""
    try:
        _dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return 0
    for name in files:
        default_storage.delete(prefix + name)
    if isinstance(default_storage, FileSystemStorage) and default_storage.exists(
        prefix
    ):
        # FileSystemStorage leaves the folder behind; S3 has no folders.
        default_storage.delete(prefix.rstrip("/"))
    return len(files)


def is_filesystem() -> bool:
    return isinstance(default_storage, FileSystemStorage)


_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ -]+")


def sanitise_name(name: str) -> str:
    """The uploader's file name, kept for display only: base name, no control characters,
    at most 200 characters (keeping the extension)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (
            stem[: 200 - len(ext) - 1] + dot + ext
            if dot and len(ext) < 20
            else base[:200]
        )
    return base or "file"


def ascii_name(name: str) -> str:
    """A safe ASCII version for the plain `filename=` parameter."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = _UNSAFE_ASCII.sub("_", folded).strip(" .")
    return safe or "file"


# --- Direct uploads to S3 (uploads/direct.py) ------------------------------------------


def is_s3() -> bool:
    """The default storage is django-storages' S3Storage: browsers can send parts to it."""
    from storages.backends.s3 import S3Storage

    return isinstance(default_storage, S3Storage)


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


def _s3_target(key: str) -> tuple[Any, str, str]:
    """(boto3 client, bucket, object key) for a storage key, as S3Storage names it."""
    from storages.utils import clean_name

    s3 = cast(Any, default_storage)
    return (
        s3.connection.meta.client,
        s3.bucket_name,
        # As S3Storage's own save and open name it (its `location` prefix included).
        s3._normalize_name(clean_name(key)),
    )


def multipart_start(key: str) -> str:
    """Begin an S3 multipart upload that will land under `key`; its upload id. The
    storage's object parameters (encryption, say) apply as they do to its saves."""
    client, bucket, name = _s3_target(key)
    parameters = cast(Any, default_storage).get_object_parameters(key)
    parameters.setdefault("ContentType", "application/octet-stream")
    answer = client.create_multipart_upload(Bucket=bucket, Key=name, **parameters)
    return str(answer["UploadId"])


def multipart_part_url(key: str, upload_id: str, number: int, *, expires: int) -> str:
    """A presigned URL the browser PUTs part `number` to, valid for `expires` s."""
    client, bucket, name = _s3_target(key)
    return str(
        client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": bucket,
                "Key": name,
                "UploadId": upload_id,
                "PartNumber": number,
            },
            ExpiresIn=expires,
        )
    )


def multipart_parts(key: str, upload_id: str) -> list[StoredPart]:
    """The parts the store holds for the upload, by number."""
    client, bucket, name = _s3_target(key)
    parts: list[StoredPart] = []
    marker = 0
    while True:
        answer = client.list_parts(
            Bucket=bucket, Key=name, UploadId=upload_id, PartNumberMarker=marker
        )
        parts += [
            StoredPart(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"]))
            for p in answer.get("Parts", [])
        ]
        if not answer.get("IsTruncated"):
            return sorted(parts, key=lambda part: part.number)
        marker = int(answer["NextPartNumberMarker"])


def multipart_complete(key: str, upload_id: str, parts: list[StoredPart]) -> None:
    client, bucket, name = _s3_target(key)
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=name,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
        },
    )


def multipart_abort(key: str, upload_id: str) -> None:
    """Abort the upload and free its parts; one already gone is fine."""
    from botocore.exceptions import ClientError

    client, bucket, name = _s3_target(key)
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
            raise


def is_missing_upload(error: Exception) -> bool:
    """A ClientError saying the multipart upload no longer exists (completed or
    aborted meanwhile)."""
    from botocore.exceptions import ClientError

    return (
        isinstance(error, ClientError)
        and error.response.get("Error", {}).get("Code") == "NoSuchUpload"
    )


def read_blocks(key: str, block: int = BLOCK) -> Generator[bytes]:
    """A stored file's bytes in blocks of at most `block`, never the whole file: on S3
    straight from the GET's body. (django-storages' S3File downloads the whole object
    before its first read, into a SpooledTemporaryFile whose max_size is
    AWS_S3_MAX_MEMORY_SIZE, 0 by default, which never rolls over to disk: a 1 GiB file
    would be 1 GiB of memory.) FileNotFoundError when there is none, before any byte."""
    if not is_s3():
        with default_storage.open(key, "rb") as stored:
            while data := stored.read(block):
                yield data
        return
    from botocore.exceptions import ClientError

    try:
        body = cast(Any, default_storage).bucket.Object(key).get()["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchKey"}:
            raise
        raise FileNotFoundError(key) from None
    try:
        while data := body.read(block):
            yield data
    finally:
        body.close()


def hash_stored(key: str) -> tuple[int, str]:
    """(size, SHA-256) of a stored object, read once in blocks (`read_blocks`: never the
    whole object in memory); FileNotFoundError when there is none."""
    digest = hashlib.sha256()
    size = 0
    for data in read_blocks(key, 4 * BLOCK):
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()


class BlockReader:
    """`read(n)` over `read_blocks`, for what reads a stream (the virus scanners):
    FileNotFoundError at once when there is no such object, and never more than one
    block in memory."""

    def __init__(self, key: str) -> None:
        self._blocks = read_blocks(key)
        self._pending = next(self._blocks, b"")  # raises now if the object is missing

    def read(self, size: int = -1, /) -> bytes:
        if not self._pending:
            self._pending = next(self._blocks, b"")
        if size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        """Let go of the file or the S3 body when the reader stops early."""
        self._blocks.close()
