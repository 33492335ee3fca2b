"""A chunk's body read straight from gunicorn's connection into reused buffers.

Where the time of a filesystem upload went (issue 21, item 5): gunicorn's `Body.read`
passes each byte through several `BytesIO` buffers and slices, with the GIL held, in new
1 MiB objects; the writing and hashing threads then waited for the GIL behind those
copies (py-spy: the writer thread spent most of a chunk waiting, the socket little).
Reading the socket with `recv_into` into a few reused buffers leaves one copy per byte
(kernel to buffer), and every step (receive, write, hash) releases the GIL.

Only for gunicorn's own request objects, untouched so far, with a plain Content-Length
body: the bytes gunicorn read ahead with the headers come first (`take_buffered`), then
the socket; gunicorn's reader is then told the body is consumed, so nothing reads it
twice. Anything else (Django's test client or runserver, a chunked body, a body already
read) gets None and the chunk is read through `request` as before.
tests/uploads/test_request_body.py builds gunicorn's objects from a real connection, so
a gunicorn upgrade that changes them fails the tests instead of slowing uploads.
"""

from __future__ import annotations

import socket
from typing import Any

from django.http import HttpRequest
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader


class SocketBody:
    """`length` bytes: `prefix` (read ahead by the server), then the socket."""

    def __init__(self, sock: socket.socket, prefix: bytes, length: int) -> None:
        self.sock = sock
        self.prefix = memoryview(prefix)
        self.remaining = length

    def readinto(self, buffer: memoryview) -> int:
        """Up to len(buffer) bytes (what one receive gives); 0 at the end of the body
        or when the client has gone (the caller compares the count)."""
        want = min(len(buffer), self.remaining)
        if want <= 0:
            return 0
        if self.prefix:
            count = min(want, len(self.prefix))
            buffer[:count] = self.prefix[:count]
            self.prefix = self.prefix[count:]
        else:
            count = self.sock.recv_into(buffer, want)
        self.remaining -= count
        return count

    def read(self, size: int = -1, /) -> bytes:
        """For the object-storage path, which takes bytes: one receive's worth."""
        want = self.remaining if size < 0 else min(size, self.remaining)
        buffer = bytearray(want)
        count = self.readinto(memoryview(buffer))
        del buffer[count:]
        return bytes(buffer)


def socket_body(request: HttpRequest, length: int) -> SocketBody | None:
    """The body of `request` as a SocketBody, or None where it cannot be (see above)."""
    environ: dict[str, Any] = request.META
    sock = environ.get("gunicorn.socket")
    body = environ.get("wsgi.input")
    if not isinstance(sock, socket.socket) or not isinstance(body, Body):
        return None
    reader = body.reader
    if (
        type(reader) is not LengthReader
        or type(reader.unreader) is not SocketUnreader
        or reader.length != length
        or body.buf.tell()
        or getattr(request, "_read_started", False)
    ):
        return None
    prefix = reader.unreader.take_buffered()
    if len(prefix) > length:  # pipelined bytes past the body: leave them be
        reader.unreader.unread(prefix)
        return None
    reader.length = 0
    return SocketBody(sock, prefix, length)
