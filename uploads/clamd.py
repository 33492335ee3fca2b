"""The virus scanner's client (issue 9, ASVS 5.4.3): one small interface and two back
ends, chosen by the UPLOAD_SCANNER setting. What is scanned when, and what a verdict
changes, is uploads/services/scans.py's.

- `clamd://host:3310` streams the file to ClamAV's daemon with its INSTREAM command
  (docker-compose.yml runs one). The daemon's limits must be raised for 1 GiB files
  (deploy/clamav/clamd.conf).
- `eicar` is the stand-in for the embedded default and the test suite: it flags a file
  that contains the EICAR test string and passes everything else. It finds no real
  virus; `manage.py check --deploy` warns when it is in use with DEBUG off.

Both read the file in blocks, never whole. A scanner that cannot be reached raises
`ScannerUnavailable` (the task retries, the file stays pending); a scanner that answers
gives a `Verdict`: clean, infected (with the signature) or error (with the reason).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .storage import BLOCK, Readable

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
CLAMD_PORT = 3310
# clamd's reply to a file over its limits when AlertExceedsMax is on: not a virus, and
# not a clean bill either.
_LIMITS_EXCEEDED = "Heuristics.Limits.Exceeded"
_MAX_REPLY = 4096


class ScannerUnavailable(Exception):
    """The scanner could not be reached or gave no answer: try again later."""


@dataclass(frozen=True)
class Verdict:
    status: str  # "clean", "infected" or "error" (EvidenceFile.ScanStatus values)
    detail: str = ""  # the signature found, or why the scan failed

    @classmethod
    def clean(cls) -> Verdict:
        return cls("clean")

    @classmethod
    def infected(cls, signature: str) -> Verdict:
        return cls("infected", signature)

    @classmethod
    def error(cls, reason: str) -> Verdict:
        return cls("error", reason)


class Scanner(Protocol):
    def scan(self, stream: Readable) -> Verdict: ...


class EicarScanner:
    """Flags the EICAR test string anywhere in the stream. Consecutive blocks overlap by
    one byte less than the string, so it is found across a block boundary too."""

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block

    def scan(self, stream: Readable) -> Verdict:
        keep = len(EICAR) - 1
        tail = b""
        while data := stream.read(self.block):
            window = tail + data
            if EICAR in window:
                return Verdict.infected(EICAR_SIGNATURE)
            tail = window[-keep:]
        return Verdict.clean()


class ClamdScanner:
    """clamd's INSTREAM over TCP: `zINSTREAM\\0`, then chunks each prefixed with its
    length (4 bytes, big-endian), then a zero length; the reply ends with a NUL."""

    def __init__(
        self, host: str, port: int, *, timeout: float, block: int = BLOCK
    ) -> None:
        self.host, self.port, self.timeout, self.block = host, port, timeout, block

    def scan(self, stream: Readable) -> Verdict:
        try:
            with socket.create_connection(
                (self.host, self.port), timeout=self.timeout
            ) as sock:
                # clamd closes the stream early when it passes StreamMaxLength,
                # after saying so: read what it said.
                with contextlib.suppress(OSError):
                    self._send(sock, stream)
                reply = _read_reply(sock)
        except OSError as error:
            raise ScannerUnavailable(
                f"clamd at {self.host}:{self.port}: {error}"
            ) from error
        if not reply:
            raise ScannerUnavailable(f"clamd at {self.host}:{self.port} said nothing")
        return clamd_verdict(reply)

    def _send(self, sock: socket.socket, stream: Readable) -> None:
        sock.sendall(b"zINSTREAM\0")
        while data := stream.read(self.block):
            sock.sendall(struct.pack("!I", len(data)))
            sock.sendall(data)
        sock.sendall(struct.pack("!I", 0))


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < _MAX_REPLY:
        data = sock.recv(_MAX_REPLY)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0]


def clamd_verdict(reply: bytes) -> Verdict:
    """`stream: OK`, `stream: <signature> FOUND` or `<reason> ERROR`."""
    text = reply.decode("utf-8", "replace").strip()
    body = text.removeprefix("stream:").strip()
    if body == "OK":
        return Verdict.clean()
    if body.endswith(" FOUND"):
        signature = body.removesuffix(" FOUND").strip()[:200]
        if signature.startswith(_LIMITS_EXCEEDED):
            return Verdict.error(f"over the scanner's limits ({signature})")
        return Verdict.infected(signature or "unknown")
    if body.endswith("ERROR"):
        return Verdict.error(body.removesuffix("ERROR").strip(" .:")[:200] or body)
    return Verdict.error(f"unexpected reply from clamd: {text[:200]}")


def scanner_from(value: str, *, timeout: float = 60) -> Scanner:
    """The back end named by an UPLOAD_SCANNER value (see common.env.env_scanner)."""
    if value == "eicar":
        return EicarScanner()
    parts = urlsplit(value)
    if parts.scheme == "clamd" and parts.hostname:
        return ClamdScanner(parts.hostname, parts.port or CLAMD_PORT, timeout=timeout)
    raise ImproperlyConfigured(f"UPLOAD_SCANNER={value!r} is not eicar or clamd://")


def scan(stream: Readable) -> Verdict:
    """Scan with the configured back end."""
    return scanner_from(
        settings.UPLOAD_SCANNER, timeout=float(settings.UPLOAD_SCANNER_TIMEOUT)
    ).scan(stream)
