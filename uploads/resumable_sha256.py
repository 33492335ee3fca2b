"""SHA-256 whose state can be saved between requests, so an upload is hashed as its
chunks arrive instead of being read again at the end.

`hashlib` objects cannot be saved, so this drives OpenSSL's own SHA-256 (the library
`hashlib` already uses) through ctypes and keeps its context, a plain C struct of 112
bytes (`SHA256_CTX` in openssl/sha.h), as the saved state. A state is only loaded back
after checking it: the right size, this machine's format tag, a sane buffer count and a
bit count equal to the bytes it claims to cover, so a stale or damaged state is refused
rather than trusted.

Why these calls (issue 21, item 5):
- `SHA256_Init` / `SHA256_Update` / `SHA256_Final` are deprecated since OpenSSL 3.0 but
  every OpenSSL 3 libcrypto still exports them, with the same struct. They are the only
  calls that give a state we can save: OpenSSL 3's EVP digests keep their state inside
  an opaque provider context that can be copied within a process but not exported.
  OpenSSL 4.0 adds digest-state serialisation to the EVP API (provider-digest(7)); once
  the machines run it, switch to that and drop the deprecated calls.
- `rehash` (PyPI), the library that offered resumable hashlib objects, was last released
  in 2022, refuses OpenSSL 3 (NotImplementedError) and reads CPython's private object
  layout, so it is not an option.
- A pure-Python SHA-256 would be some hundred times slower than OpenSSL's.

There is no quiet fallback: where OpenSSL's SHA-256 functions cannot be found or the
self-test fails, `ResumableSha256()` raises `Unavailable` with the reason, the system
check `uploads.E001` fails `manage.py check` (and so `migrate` and the test command),
and tests/uploads/test_resumable_sha256.py fails.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import struct
import sys

# h[8], Nl, Nh, data[16], num, md_len: 28 unsigned 32-bit integers.
_CTX_SIZE = 28 * 4
_DIGEST_SIZE = 32
# The saved form: a tag naming the layout and byte order, then the raw context.
_TAG = f"openssl-sha256-ctx/v1/{sys.byteorder}".encode().ljust(32, b"\0")
_FUNCTIONS = ("SHA256_Init", "SHA256_Update", "SHA256_Final")


class StateRefused(ValueError):
    """A saved state that does not match what it claims to cover."""


class Unavailable(RuntimeError):
    """OpenSSL's SHA-256 cannot be used on this machine (the reason is the message)."""


def _load(name: str | None) -> ctypes.CDLL:
    """libcrypto (or the library `name`) with the three functions typed; Unavailable
    when it or one of them is missing."""
    path = name if name is not None else ctypes.util.find_library("crypto")
    if path is None:
        raise Unavailable("libcrypto (OpenSSL) was not found")
    try:
        library = ctypes.CDLL(path)
        for function in _FUNCTIONS:
            getattr(library, function).restype = ctypes.c_int
    except (OSError, AttributeError) as error:
        raise Unavailable(f"OpenSSL's SHA-256 functions in {path}: {error}") from None
    library.SHA256_Init.argtypes = [ctypes.c_void_p]
    library.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    library.SHA256_Final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return library


@functools.cache
def _library(name: str | None = None) -> ctypes.CDLL:
    library = _load(name)
    _self_test(library)
    return library


def _self_test(library: ctypes.CDLL) -> None:
    """The library's digest, carried across a save and a load at an odd offset, equals
    hashlib's; Unavailable otherwise (a changed struct layout would show here)."""
    sample = bytes(range(256)) * 41 + b"odd"
    try:
        first = ResumableSha256(library=library)
        first.update(sample[:1000])
        second = ResumableSha256.load(first.save(), count=1000, library=library)
        second.update(memoryview(sample)[1000:])
        same = second.hexdigest() == hashlib.sha256(sample).hexdigest()
    except (RuntimeError, StateRefused) as error:
        raise Unavailable(f"OpenSSL's SHA-256 failed its self-test: {error}") from None
    if not same:
        raise Unavailable("OpenSSL's SHA-256 disagrees with hashlib after a save")


def unavailable_reason(library_name: str | None = None) -> str | None:
    """None when OpenSSL's SHA-256 works here (libcrypto, or the library named), else
    why not. The system check uploads.E001 reports it."""
    try:
        _library(library_name)
    except Unavailable as error:
        return str(error)
    return None


class ResumableSha256:
    """`update` like hashlib's (the GIL is released while OpenSSL hashes, so another
    thread can write to disk meanwhile); `save` / `load` for the state between requests;
    `hexdigest` once at the end. Raises Unavailable when OpenSSL's SHA-256 cannot be
    used: there is no slower stand-in."""

    def __init__(self, *, library: ctypes.CDLL | None = None) -> None:
        self._library = library if library is not None else _library()
        self._ctx = ctypes.create_string_buffer(_CTX_SIZE)
        self.count = 0
        if self._library.SHA256_Init(self._ctx) != 1:
            raise RuntimeError("SHA256_Init failed")

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if isinstance(data, memoryview):
            # Writable views (a receive buffer) are passed as they are; others copied.
            data = data.cast("B") if not data.readonly else data.tobytes()
        size = len(data)
        if not size:
            return
        pointer = (
            data
            if isinstance(data, bytes)
            else (ctypes.c_char * size).from_buffer(data)
        )
        if self._library.SHA256_Update(self._ctx, pointer, size) != 1:
            raise RuntimeError("SHA256_Update failed")
        self.count += size

    def hexdigest(self) -> str:
        # Final on a copy: the object stays usable, like hashlib's.
        ctx = ctypes.create_string_buffer(self._ctx.raw, _CTX_SIZE)
        out = ctypes.create_string_buffer(_DIGEST_SIZE)
        if self._library.SHA256_Final(out, ctx) != 1:
            raise RuntimeError("SHA256_Final failed")
        return out.raw.hex()

    def save(self) -> bytes:
        return _TAG + self._ctx.raw

    @classmethod
    def load(
        cls,
        state: bytes | memoryview,
        *,
        count: int,
        library: ctypes.CDLL | None = None,
    ) -> ResumableSha256:
        """The hash of the first `count` bytes, from `save()`; StateRefused if the state
        is not one of ours or covers a different number of bytes."""
        raw = bytes(state)
        if len(raw) != len(_TAG) + _CTX_SIZE or not raw.startswith(_TAG):
            raise StateRefused("not a saved SHA-256 state of this format")
        ctx = raw[len(_TAG) :]
        words = struct.unpack(f"{'<' if sys.byteorder == 'little' else '>'}28I", ctx)
        low, high, num, md_len = words[8], words[9], words[26], words[27]
        if md_len != _DIGEST_SIZE or num >= 64 or num != count % 64:
            raise StateRefused("the state's buffer does not fit its byte count")
        if (high << 32 | low) != count * 8:
            raise StateRefused("the state covers a different number of bytes")
        digest = cls(library=library)
        ctypes.memmove(digest._ctx, ctx, _CTX_SIZE)
        digest.count = count
        return digest
