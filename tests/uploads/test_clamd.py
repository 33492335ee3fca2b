"""The scanner back ends: the EICAR stand-in, and the clamd client against a small fake
clamd (ClamAV itself is outside the system) that speaks INSTREAM over real TCP."""

from __future__ import annotations

import io
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.env import env_scanner
from uploads.clamd import (
    EICAR,
    EICAR_SIGNATURE,
    ClamdScanner,
    EicarScanner,
    ScannerUnavailable,
    Verdict,
    scanner_from,
)

# --- A fake clamd -----------------------------------------------------------------------


@dataclass
class FakeClamd:
    """Answers each INSTREAM with `reply(data)`; keeps what every connection sent."""

    reply: Callable[[bytes], bytes]
    port: int = 0
    commands: list[bytes] = field(default_factory=list)
    chunk_sizes: list[list[int]] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    # Stop reading after this many bytes, answer and close (clamd's StreamMaxLength).
    limit: int | None = None


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = conn.recv(size - len(data))
        if not piece:
            raise ConnectionError("short read")
        data += piece
    return data


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    fake = FakeClamd(reply=lambda data: b"stream: OK\0")

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn = self.request
            fake.commands.append(_recv_exact(conn, len(b"zINSTREAM\0")))
            sizes: list[int] = []
            data = b""
            while True:
                (size,) = struct.unpack("!I", _recv_exact(conn, 4))
                if size == 0:
                    break
                sizes.append(size)
                data += _recv_exact(conn, size)
                if fake.limit is not None and len(data) > fake.limit:
                    break
            fake.chunk_sizes.append(sizes)
            fake.received.append(data)
            conn.sendall(fake.reply(data))
            conn.shutdown(socket.SHUT_RDWR)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def _client(clamd: FakeClamd, block: int = 1024) -> ClamdScanner:
    return ClamdScanner("127.0.0.1", clamd.port, timeout=5, block=block)


class CountingReader(io.BytesIO):
    """Records the largest read, to show the file is never read whole."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and size > 0, "read the whole file"
        self.largest = max(self.largest, size)
        return super().read(size)


# --- clamd ------------------------------------------------------------------------------


def test_the_clamd_client_streams_the_file_in_length_prefixed_chunks_and_reads_ok(
    clamd,
):
    content = bytes(range(256)) * 10  # 2,560 bytes: three chunks of at most 1,024
    reader = CountingReader(content)

    verdict = _client(clamd).scan(reader)

    assert verdict == Verdict.clean()
    assert clamd.commands == [b"zINSTREAM\0"]
    assert clamd.chunk_sizes == [[1024, 1024, 512]]
    assert clamd.received == [content]
    assert reader.largest == 1024


def test_a_found_reply_is_infected_with_clamds_signature(clamd):
    clamd.reply = lambda data: b"stream: Win.Test.EICAR_HDB-1 FOUND\0"

    verdict = _client(clamd).scan(io.BytesIO(EICAR))

    assert verdict == Verdict.infected("Win.Test.EICAR_HDB-1")


def test_an_error_reply_is_an_error_verdict_with_clamds_reason(clamd):
    clamd.reply = lambda data: b"stream: Can't allocate memory ERROR\0"

    verdict = _client(clamd).scan(io.BytesIO(b"work"))

    assert verdict == Verdict.error("Can't allocate memory")


def test_a_file_over_clamds_limits_is_an_error_not_a_virus_nor_clean(clamd):
    clamd.reply = lambda data: b"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0"

    verdict = _client(clamd).scan(io.BytesIO(b"work"))

    assert verdict.status == "error"
    assert "Heuristics.Limits.Exceeded.MaxFileSize" in verdict.detail


def test_clamd_cutting_the_stream_short_is_read_as_its_error_reply(clamd):
    # clamd answers and closes once a stream passes StreamMaxLength; the client is
    # still sending and must read the answer rather than call the scanner unreachable.
    clamd.limit = 4096
    clamd.reply = lambda data: b"INSTREAM size limit exceeded. ERROR\0"

    verdict = _client(clamd, block=1024).scan(io.BytesIO(b"x" * 4_000_000))

    assert verdict == Verdict.error("INSTREAM size limit exceeded")


def test_a_refused_connection_is_scanner_unavailable_not_a_verdict():
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    # Nothing listens on the port now.

    with pytest.raises(ScannerUnavailable):
        ClamdScanner("127.0.0.1", port, timeout=2).scan(io.BytesIO(b"work"))


def test_a_clamd_that_closes_without_a_word_is_unavailable(clamd):
    clamd.reply = lambda data: b""

    with pytest.raises(ScannerUnavailable):
        _client(clamd).scan(io.BytesIO(b"work"))


# --- The EICAR stand-in -----------------------------------------------------------------


def test_the_eicar_stand_in_flags_the_test_string_and_passes_other_files():
    scanner = EicarScanner(block=64)

    assert scanner.scan(io.BytesIO(b"essay " * 100 + EICAR)) == Verdict.infected(
        EICAR_SIGNATURE
    )
    assert scanner.scan(io.BytesIO(b"essay " * 100)) == Verdict.clean()
    assert scanner.scan(io.BytesIO(EICAR[:-1] + b" " + EICAR[-1:])) == Verdict.clean()


@pytest.mark.parametrize("cut", [1, 10, 33, len(EICAR) - 1])
def test_the_eicar_stand_in_finds_the_string_split_across_a_block_boundary(cut):
    block = 64
    # The block boundary falls `cut` bytes into the string.
    content = b"a" * (block - cut) + EICAR + b"b" * 100
    reader = CountingReader(content)

    verdict = EicarScanner(block=block).scan(reader)

    assert verdict == Verdict.infected(EICAR_SIGNATURE)
    assert reader.largest == block


# --- Choosing the back end --------------------------------------------------------------


def test_the_setting_names_the_stand_in_or_a_clamd_address(monkeypatch):
    monkeypatch.setenv("UPLOAD_SCANNER", "clamd://clamav:3310")
    assert env_scanner("UPLOAD_SCANNER", "eicar") == "clamd://clamav:3310"
    monkeypatch.delenv("UPLOAD_SCANNER")
    assert env_scanner("UPLOAD_SCANNER", "eicar") == "eicar"
    for bad in ("clamav", "clamd://", "clamd://clamav:port", "http://clamav:3310"):
        monkeypatch.setenv("UPLOAD_SCANNER", bad)
        with pytest.raises(ImproperlyConfigured):
            env_scanner("UPLOAD_SCANNER", "eicar")

    chosen = scanner_from("clamd://clamav", timeout=5)
    assert isinstance(chosen, ClamdScanner)
    assert (chosen.host, chosen.port) == ("clamav", 3310)
    assert isinstance(scanner_from("eicar"), EicarScanner)
