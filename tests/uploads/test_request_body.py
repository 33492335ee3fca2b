"""A chunk's body read straight from gunicorn's connection (uploads/request_body.py),
with gunicorn's own parser and request objects on a real socket: a gunicorn upgrade
that changes them fails here rather than quietly slowing uploads down."""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory
from gunicorn.config import Config
from gunicorn.http import get_parser
from gunicorn.http.wsgi import create

from uploads.request_body import SocketBody, socket_body
from uploads.resumable_sha256 import ResumableSha256
from uploads.storage import BLOCK, append_at

PEER = ("127.0.0.1", 50000)


def _head(length: int) -> bytes:
    return (
        "POST /iamis/units/x/uploads/y/ HTTP/1.1\r\nHost: testserver\r\n"
        "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture
def connection():
    """(server side, client side) of a real connection, closed afterwards."""
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def _send_in_background(sock: socket.socket, data: bytes, *, close: bool = False):
    def send() -> None:
        sock.sendall(data)
        if close:
            sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _gunicorn_request(server: socket.socket) -> WSGIRequest:
    config = Config()
    request = next(get_parser(config, server, PEER))
    _response, environ = create(request, server, PEER, ("127.0.0.1", 8000), config)
    return WSGIRequest(environ)


def _read_all(body: SocketBody) -> bytes:
    buffer = memoryview(bytearray(64 * 1024))
    pieces = []
    while count := body.readinto(buffer):
        pieces.append(bytes(buffer[:count]))
    return b"".join(pieces)


def test_a_body_under_gunicorn_is_read_from_the_connection_whole(connection):
    server, client = connection
    data = os.urandom(300_000)
    # Headers and the body's start in one send: gunicorn reads some of it ahead.
    sender = _send_in_background(client, _head(len(data)) + data)
    request = _gunicorn_request(server)

    body = socket_body(request, len(data))

    assert body is not None
    assert _read_all(body) == data
    sender.join(timeout=10)
    # gunicorn's own reader has nothing left to give: the body is not read twice.
    assert request.META["wsgi.input"].read(10) == b""


def test_a_chunk_from_the_connection_is_stored_and_hashed_across_the_ring(
    connection, tmp_path
):
    server, client = connection
    # More blocks than the ring has buffers, and a short last block.
    data = os.urandom(7 * BLOCK + 3)
    sender = _send_in_background(client, _head(len(data)) + data)
    body = socket_body(_gunicorn_request(server), len(data))
    path = tmp_path / "upload"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDWR)
    digest = ResumableSha256()
    try:
        written = append_at(fd, 0, body, len(data), digest=digest)
    finally:
        os.close(fd)
    sender.join(timeout=10)

    assert written == len(data)
    assert path.read_bytes() == data
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_connection_cut_mid_chunk_keeps_none_of_it(connection, tmp_path):
    server, client = connection
    data = os.urandom(3 * BLOCK)
    sender = _send_in_background(
        client, _head(len(data)) + data[: len(data) // 2], close=True
    )
    body = socket_body(_gunicorn_request(server), len(data))
    path = tmp_path / "upload"
    path.write_bytes(b"accepted")
    fd = os.open(path, os.O_RDWR)
    try:
        written = append_at(fd, 8, body, len(data))
    finally:
        os.close(fd)
    sender.join(timeout=10)

    assert written < len(data)
    assert path.read_bytes() == b"accepted"


def test_a_body_already_read_through_django_is_left_to_it(connection):
    server, client = connection
    data = b"x" * 1000
    _send_in_background(client, _head(len(data)) + data).join(timeout=10)
    request = _gunicorn_request(server)
    first = request.read(10)

    assert socket_body(request, len(data)) is None
    assert first + request.read() == data


def test_a_request_without_gunicorn_is_read_through_django():
    request = RequestFactory().post(
        "/", data=b"abc", content_type="application/offset+octet-stream"
    )

    assert socket_body(request, 3) is None
