"""SHA-256 whose state can be saved between requests, so an upload is hashed as its
chunks arrive instead of being read again at the end.

`hashlib` objects cannot be saved, so this drives OpenSSL's own SHA-256 (the library
`hashlib` already uses) through ctypes and keeps its context, a plain C struct of 112
bytes (`SHA256_CTX` in openssl/sha.h), as the saved state. A state is only loaded back
after checking it: the right size, this machine's format tag, a sane buffer count and a
bit count equal to the bytes it claims to cover, so a stale or damaged state is refused
rather than trusted.

Where OpenSSL's SHA-256 functions cannot be found, or the self-test at first use fails,
`available()` is False and callers fall back to reading the stored file once.
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


class StateRefused(ValueError):
    """A saved state that does not match what it claims to cover."""


@functools.cache
def _library() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("crypto")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name)
        for function in ("SHA256_Init", "SHA256_Update", "SHA256_Final"):
            getattr(library, function).restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    library.SHA256_Init.argtypes = [ctypes.c_void_p]
    library.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    library.SHA256_Final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return library


class ResumableSha256:
    """`update` like hashlib's (the GIL is released while OpenSSL hashes, so another
    thread can write to disk meanwhile); `save` / `load` for the state between requests;
    `hexdigest` once at the end."""

    def __init__(self) -> None:
        library = _library()
        if library is None:
            raise RuntimeError("OpenSSL's SHA-256 is not available")
        self._library = library
        self._ctx = ctypes.create_string_buffer(_CTX_SIZE)
        self.count = 0
        if library.SHA256_Init(self._ctx) != 1:
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
    def load(cls, state: bytes | memoryview, *, count: int) -> ResumableSha256:
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
        digest = cls()
        ctypes.memmove(digest._ctx, ctx, _CTX_SIZE)
        digest.count = count
        return digest


@functools.cache
def available() -> bool:
    """OpenSSL's SHA-256 is here and agrees with hashlib across a save and a load."""
    if _library() is None:
        return False
    try:
        sample = bytes(range(256)) * 41 + b"odd"
        first = ResumableSha256()
        first.update(sample[:1000])
        second = ResumableSha256.load(first.save(), count=1000)
        second.update(memoryview(sample)[1000:])
        return second.hexdigest() == hashlib.sha256(sample).hexdigest()
    except (RuntimeError, StateRefused):
        return False
