"""Issue 6's performance check: a 1 GiB evidence upload through the real HTTP path.

Uploads a random file for a sampled candidate of the e-submission unit 3500UA (centre
68999) to gunicorn (2 sync workers, PostgreSQL, files on the local disk) with the
resumable protocol the browser uses, and prints:

* the peak RSS increase of a gunicorn worker over its idle level (target under 64 MB);
* the upload's throughput as a ratio of copying the same file on the same disk in the
  same run (`shutil.copyfile` + `fsync`; target at least 0.5);
* the time from a connection cut halfway through the upload (mid-chunk) to the end of
  the resumed upload, and that the server's SHA-256 receipt equals the source's;
* the HTTP floor: the same chunks sent to a bare WSGI app under the same gunicorn that
  only writes the body to a file (bench/_floor_app.py), and the upload's share of it.

    .venv/bin/python bench/upload.py           # 1 GiB, about 1-2 minutes
    .venv/bin/python bench/upload.py --quick   # 256 MiB, about 40 seconds

Loopback only. Exits 1 when a receipt's SHA-256 differs from the source or the protocol
fails; the database, the files and the server are removed/stopped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is wanted.
sys.path[:1] = [str(ROOT)]

from bench import _stack  # noqa: E402
from bench.marks import Client, sign_in  # noqa: E402

TEACHER = "teacher.ab@bryn-glas.example"
CENTRE = 68999
UNIT = "3500UA"
MIB = 1024 * 1024
TARGET_RSS_MB = 64.0
TARGET_RATIO = 0.5
WRITE_BLOCK = 4 * MIB
HTTP_TIMEOUT = 120
# Its own Redis database, not the other benchmarks' 9: a run of bench/cpu.py or
# bench/marks.py at the same time keeps its sessions and queued tasks.
REDIS_URL = "redis://127.0.0.1:6379/13"


class BenchError(RuntimeError):
    """The protocol did not behave: the run ends with exit status 1."""


# --- Set-up (Django in this process, before the server starts) ---------------------------


def prepare_sample() -> tuple[str, int, int, int]:
    """Fill 3500UA for centre 68999 through `mark_save_cell`, submit it, generate its
    sample synchronously. Returns (unit public id, a sampled candidate number, sample
    size, entries)."""
    from accounts.models import User
    from centres.models import Centre
    from iamis.models import Entry, Unit
    from iamis.services.marks import mark_save_cell
    from sampling.models import Sample, SampleMember
    from sampling.services import marks_submit, sample_generate

    centre = Centre.objects.get(number=CENTRE)
    unit = Unit.objects.get(code=UNIT)
    teacher = User.objects.get(email=TEACHER)
    tasks = list(unit.tasks.order_by("number"))
    entries = list(
        Entry.objects.filter(centre=centre, unit=unit)
        .select_related("unit", "candidate")
        .order_by("candidate__number")
    )
    for index, entry in enumerate(entries):
        for task in tasks:
            result = mark_save_cell(
                centre=centre,
                entry=entry,
                field=f"task-{task.number}",
                raw_value=str((index * 37 + task.number * 11) % (task.max_mark + 1)),
                seen_version=None,
                confirm_absent=False,
                acting_user=teacher,
                tasks=tasks,
            )
            if not result.saved:
                raise BenchError(f"{UNIT} {entry.candidate.number}: mark not saved")
    submission = marks_submit(centre=centre, unit=unit, acting_user=teacher)
    # marks_submit queues the sample task for a worker; none runs here, so generate it
    # in this process (the task is idempotent: a ready sample is returned untouched).
    sample = sample_generate(submission_id=submission.pk)
    sample.refresh_from_db()
    if sample.status != Sample.Status.READY:
        raise BenchError(f"{UNIT}: sample {sample.status}")
    member = (
        SampleMember.objects.filter(sample=sample, origin=SampleMember.Origin.SYSTEM)
        .select_related("entry__candidate")
        .order_by("entry__candidate__number")
        .first()
    )
    if member is None:
        raise BenchError(f"{UNIT}: the sample has no member")
    size = SampleMember.objects.filter(sample=sample).count()
    return str(unit.public_id), member.entry.candidate.number, size, len(entries)


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    data: dict[str, Any]
    seconds: float


def call(
    client: Client,
    method: str,
    path: str,
    *,
    body: bytes | memoryview | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request with the signed-in client's cookies and CSRF header; a JSON answer."""
    head = {
        "Connection": "close",
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
        "X-CSRFToken": client.csrf,
    }
    head.update(headers or {})
    started = time.perf_counter()
    conn = HTTPConnection("127.0.0.1", client.port, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=head)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    for cookie in response.headers.get_all("Set-Cookie") or []:
        jar: SimpleCookie = SimpleCookie()
        jar.load(cookie)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                client.cookies.pop(name, None)
            else:
                client.cookies[name] = morsel.value
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {"body": raw[:200].decode("utf-8", "replace")}
    return Answer(response.status, data, seconds)


def start_upload(
    client: Client, unit_id: str, candidate: int, name: str, size: int
) -> dict[str, Any]:
    from urllib.parse import urlencode

    fields = {"name": name, "size": str(size), "kind": "candidate"}
    fields["candidate"] = str(candidate)
    answer = call(
        client,
        "POST",
        f"/iamis/units/{unit_id}/uploads/",
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if answer.status != 201:
        raise BenchError(f"upload start answered {answer.status}: {answer.data}")
    return answer.data


def send_chunk(
    client: Client, url: str, offset: int, data: bytes | memoryview
) -> Answer:
    answer = call(
        client,
        "POST",
        url,
        body=data,
        headers={
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    if answer.status != 200:
        raise BenchError(f"chunk at {offset} answered {answer.status}: {answer.data}")
    return answer


def server_offset(client: Client, url: str) -> int:
    answer = call(client, "GET", url)
    if answer.status != 200:
        raise BenchError(f"upload status answered {answer.status}: {answer.data}")
    return int(answer.data["offset"])


def complete(client: Client, session: dict[str, Any]) -> dict[str, Any]:
    answer = call(client, "POST", session["complete_url"])
    if answer.status != 200:
        raise BenchError(f"complete answered {answer.status}: {answer.data}")
    return answer.data["file"]


def send_from(
    client: Client, session: dict[str, Any], fd: int, size: int, offset: int, stop: int
) -> list[float]:
    """Chunks from `offset` until `stop` (a chunk boundary or the end); their times."""
    chunk = int(session["chunk_size"])
    # One buffer for every chunk, like a browser streaming a File: a fresh 64 MiB per
    # chunk would time this client's page faults rather than the server.
    buffer = memoryview(bytearray(chunk))
    times = []
    while offset < stop:
        count = os.preadv(fd, [buffer[: min(chunk, size - offset)]], offset)
        answer = send_chunk(client, session["url"], offset, buffer[:count])
        times.append(answer.seconds)
        if int(answer.data["offset"]) != offset + count:
            raise BenchError(f"chunk at {offset}: server says {answer.data['offset']}")
        offset += count
    return times


def cut_chunk(client: Client, url: str, offset: int, data: bytes) -> None:
    """Headers with the chunk's full Content-Length, half its bytes, then the connection
    closes (a dropped line): the server must keep nothing of this chunk."""
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    head = (
        f"POST {url} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{client.port}\r\n"
        f"Cookie: {cookies}\r\n"
        f"X-CSRFToken: {client.csrf}\r\n"
        f"Upload-Offset: {offset}\r\n"
        "Content-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", client.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        sock.sendall(data[: len(data) // 2])
        sock.shutdown(socket.SHUT_RDWR)


def floor_upload(
    stack: _stack.Stack, fd: int, size: int, chunk: int
) -> tuple[float, float]:
    """The same chunks to a bare WSGI app under the same gunicorn (bench/_floor_app.py):
    (seconds, copyfile + fsync seconds measured right before it)."""
    folder = stack.workdir / "floor"
    folder.mkdir()
    copy_sync = timed_copy(
        stack.workdir / "source.bin", stack.workdir / "copy.bin", sync=True
    )
    port = _stack.free_port()
    server = _stack.start_gunicorn(
        stack,
        port,
        app="bench._floor_app:application",
        name="gunicorn-floor",
        extra_env={"FLOOR_FOLDER": str(folder)},
    )
    (folder / "floor.bin").unlink(missing_ok=True)  # the start-up probe's empty file
    buffer = memoryview(bytearray(chunk))
    started = time.perf_counter()
    for offset in range(0, size, chunk):
        count = os.preadv(fd, [buffer[: min(chunk, size - offset)]], offset)
        conn = HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        try:
            conn.request(
                "POST", "/", body=buffer[:count], headers={"Connection": "close"}
            )
            if conn.getresponse().status != 200:
                raise BenchError("the floor app refused a chunk")
        finally:
            conn.close()
    took = time.perf_counter() - started
    _stack.stop(server)
    stored = (folder / "floor.bin").stat().st_size
    shutil.rmtree(folder)
    if stored != size:
        raise BenchError(f"the floor app stored {stored:,} of {size:,} bytes")
    return took, copy_sync


# --- Worker memory ---------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """VmRSS of the gunicorn master's children every 0.1 s, in a thread."""

    master: int
    interval: float = 0.1
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.perf_counter()
            reading = {}
            for pid in children(self.master):
                kib = rss_kib(pid)
                if kib is not None:
                    reading[pid] = kib
            self.samples.append((now, reading))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def window(self, begin: float, end: float) -> dict[int, list[int]]:
        per_pid: dict[int, list[int]] = {}
        for at, reading in self.samples:
            if begin <= at <= end:
                for pid, kib in reading.items():
                    per_pid.setdefault(pid, []).append(kib)
        return per_pid


@dataclass
class Memory:
    idle: dict[int, float]  # KiB, median of the idle window
    peak: dict[int, int]  # KiB, highest sample in the window
    samples: int
    new_pids: list[int]

    @property
    def worst(self) -> tuple[int, float]:
        """(pid, MiB) of the worker whose RSS grew most over its own idle level."""
        growth = {
            pid: (kib - self.idle[pid]) / 1024
            for pid, kib in self.peak.items()
            if pid in self.idle
        }
        if not growth:
            return 0, float("nan")
        pid = max(growth, key=lambda p: growth[p])
        return pid, growth[pid]


def memory(
    sampler: RssSampler, idle: dict[int, float], begin: float, end: float
) -> Memory:
    window = sampler.window(begin, end)
    return Memory(
        idle=idle,
        peak={pid: max(values) for pid, values in window.items()},
        samples=sum(len(v) for v in window.values()),
        new_pids=sorted(set(window) - set(idle)),
    )


# --- Files -----------------------------------------------------------------------------


def make_file(path: Path, size: int) -> str:
    """Random bytes written in blocks (never the whole file in memory), fsynced; returns
    the SHA-256 computed on the way."""
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        left = size
        while left:
            block = os.urandom(min(WRITE_BLOCK, left))
            digest.update(block)
            handle.write(block)
            left -= len(block)
        handle.flush()
        os.fsync(handle.fileno())
    return digest.hexdigest()


def timed_copy(source: Path, target: Path, *, sync: bool) -> float:
    started = time.perf_counter()
    shutil.copyfile(source, target)
    if sync:
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    took = time.perf_counter() - started
    target.unlink()
    return took


def mb_s(size: int, seconds: float) -> str:
    return f"{size / MIB / seconds:.0f} MiB/s" if seconds > 0 else "n/a"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


# --- The run ---------------------------------------------------------------------------


def warm_up(client: Client, unit_id: str, candidate: int, fd: int) -> None:
    """Both workers serve the upload code paths once (imports, templates), so the idle
    level is a worker that has already uploaded, not a fresh one."""
    errors: list[str] = []

    def one() -> None:
        try:
            for _ in range(2):
                session = start_upload(client, unit_id, candidate, "warm-up.bin", 65536)
                send_from(client, session, fd, 65536, 0, 65536)
                complete(client, session)
                call(client, "GET", f"/iamis/units/{unit_id}/samples/")
        except Exception as error:  # reported below
            errors.append(str(error))

    threads = [threading.Thread(target=one, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise BenchError("warm-up: " + "; ".join(errors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 MiB instead of 1 GiB")
    args = parser.parse_args()
    size = (256 if args.quick else 1024) * MIB
    budget = 600 if args.quick else 1500

    _stack.install_signal_handlers()

    def _out_of_time(signum: int, frame: object) -> None:
        raise SystemExit(f"bench/upload.py: over its time budget of {budget} s")

    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(budget)

    stack = _stack.make_stack("iamis_bench_upload", redis_url=REDIS_URL)
    print(
        f"bench/upload.py{' --quick' if args.quick else ''}: scratch folder "
        f"{stack.workdir} (removed at the end)"
    )
    print(_stack.machine_load())
    media = stack.workdir / "media"
    source = stack.workdir / "source.bin"
    sampler: RssSampler | None = None
    problems: list[str] = []
    ok = False
    try:
        _stack.build(stack)
        started = time.perf_counter()
        unit_id, candidate, sample_size, entries = prepare_sample()
        _stack.analyze()
        _stack.close_db_connections()
        print(
            f"{UNIT}, centre {CENTRE}: {entries} marks saved through mark_save_cell, "
            f"submitted, sample of {sample_size} generated in "
            f"{time.perf_counter() - started:.1f} s; uploading for candidate {candidate}"
        )

        started = time.perf_counter()
        source_sha = make_file(source, size)
        print(
            f"source: {size:,} bytes of os.urandom written and fsynced in "
            f"{time.perf_counter() - started:.1f} s, SHA-256 {source_sha}"
        )
        copy_sync = timed_copy(source, stack.workdir / "copy.bin", sync=True)
        copy_plain = timed_copy(source, stack.workdir / "copy.bin", sync=False)
        print(
            f"copy on the same disk: copyfile + fsync {copy_sync:.2f} s "
            f"({mb_s(size, copy_sync)}) - the baseline; without fsync "
            f"{copy_plain:.2f} s ({mb_s(size, copy_plain)}), for reference"
        )

        port = _stack.free_port()
        media.mkdir()
        server = _stack.start_gunicorn(
            stack,
            port,
            extra_env={"MEDIA_ROOT": str(media), "AWS_STORAGE_BUCKET_NAME": ""},
        )
        print(
            f"gunicorn: 2 sync workers on 127.0.0.1:{port}, DEBUG off, PostgreSQL, "
            f"FileSystemStorage in {media}"
        )
        from portal.demo import DEMO_TOTP_SECRET

        client = Client(port)
        started = time.perf_counter()
        sign_in(client, TEACHER, DEMO_TOTP_SECRET)
        print(
            f"signed in {TEACHER} (e-mail, password, TOTP) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        sampler = RssSampler(server.pid)
        sampler.start()
        fd = os.open(source, os.O_RDONLY)
        try:
            warm_up(client, unit_id, candidate, fd)
            time.sleep(0.3)
            idle_begin = time.perf_counter()
            time.sleep(1.5)
            idle_window = sampler.window(idle_begin, time.perf_counter())
            idle = {pid: statistics.median(v) for pid, v in idle_window.items()}
            if len(idle) != 2:
                problems.append(f"expected 2 gunicorn workers, saw {sorted(idle)}")
            print(
                "idle workers after a warm-up upload on each: "
                + ", ".join(
                    f"pid {pid} {mib(kib)}" for pid, kib in sorted(idle.items())
                )
            )

            # 1. The whole file, chunk after chunk at the server's chunk size.
            began = time.perf_counter()
            session = start_upload(client, unit_id, candidate, "work-1.bin", size)
            chunk = int(session["chunk_size"])
            chunk_times = send_from(client, session, fd, size, 0, size)
            sent = time.perf_counter()
            receipt = complete(client, session)
            ended = time.perf_counter()
            upload_seconds = ended - began
            first = memory(sampler, idle, began, ended + 0.2)
            ratio = copy_sync / upload_seconds
            print()
            print(f"== Upload of {size / MIB:.0f} MiB through gunicorn ==")
            print(
                f"{len(chunk_times)} chunks of {chunk / MIB:.0f} MiB: {sent - began:.2f} s "
                f"(chunk median {_stack.ms(_stack.median(chunk_times))}, p95 "
                f"{_stack.ms(_stack.percentile(chunk_times, 95))}); complete (SHA-256 of "
                f"the stored bytes, file recorded) {ended - sent:.2f} s"
            )
            print(
                f"start to receipt: {upload_seconds:.2f} s = {mb_s(size, upload_seconds)}"
                f"; copy + fsync {copy_sync:.2f} s; ratio {ratio:.2f}"
            )
            _pid, growth = first.worst
            print(
                f"worker RSS ({first.samples} samples, every 0.1 s): "
                + ", ".join(
                    f"pid {p} idle {mib(first.idle.get(p, 0))} peak {mib(k)}"
                    for p, k in sorted(first.peak.items())
                )
            )
            if first.new_pids:
                problems.append(
                    f"new worker pid(s) during the upload: {first.new_pids}"
                )
            first_ok = receipt["sha256"] == source_sha and receipt["size"] == size
            print(
                f"receipt: {receipt['size']:,} bytes, SHA-256 {receipt['sha256']} "
                f"({'equals' if first_ok else 'DIFFERS FROM'} the source)"
            )

            # 2. Resume: cut halfway through the chunk holding the 50% mark.
            resumed_session = start_upload(
                client, unit_id, candidate, "work-2.bin", size
            )
            cut_offset = (size // 2) // chunk * chunk
            send_from(client, resumed_session, fd, size, 0, cut_offset)
            cut_data = os.pread(fd, min(chunk, size - cut_offset), cut_offset)
            resume_begin = time.perf_counter()
            cut_chunk(client, resumed_session["url"], cut_offset, cut_data)
            cut_at = time.perf_counter()
            cut_bytes = cut_offset + len(cut_data) // 2
            offset = server_offset(client, resumed_session["url"])
            asked = time.perf_counter()
            if offset != cut_offset:
                problems.append(
                    f"after the cut the server said offset {offset:,}, expected "
                    f"{cut_offset:,} (the last whole chunk)"
                )
            send_from(client, resumed_session, fd, size, offset, size)
            resumed_sent = time.perf_counter()
            resumed_receipt = complete(client, resumed_session)
            resumed_end = time.perf_counter()
            second = memory(sampler, idle, resume_begin, resumed_end + 0.2)
            second_ok = (
                resumed_receipt["sha256"] == source_sha
                and resumed_receipt["size"] == size
            )
            stored = sorted(
                p for p in (media / "upload-parts").rglob("*") if p.is_file()
            )
            print()
            print("== Resume after the connection is cut ==")
            print(
                f"cut at byte {cut_bytes:,} ({cut_bytes / size:.1%}): headers with "
                f"Content-Length {len(cut_data):,}, half the chunk, then the socket "
                "closed"
            )
            print(
                f"status GET answered {(asked - cut_at) * 1000:.0f} ms after the cut: "
                f"offset {offset:,} (the half chunk was dropped)"
            )
            print(
                f"resumed from {offset:,}: remaining chunks {resumed_sent - asked:.2f} s, "
                f"complete {resumed_end - resumed_sent:.2f} s; cut to receipt "
                f"{resumed_end - cut_at:.2f} s"
            )
            _pid2, growth2 = second.worst
            print(f"peak worker RSS increase during the resume: {growth2:.1f} MiB")
            print(
                f"receipt: {resumed_receipt['size']:,} bytes, SHA-256 "
                f"{resumed_receipt['sha256']} "
                f"({'equals' if second_ok else 'DIFFERS FROM'} the source)"
            )
            if stored:
                problems.append(f"{len(stored)} part file(s) left after completion")
        finally:
            os.close(fd)
            sampler.stop()

        _stack.stop(server)
        fd = os.open(source, os.O_RDONLY)
        try:
            floor_seconds, floor_copy = floor_upload(stack, fd, size, chunk)
        finally:
            os.close(fd)
        floor_share = floor_seconds / upload_seconds
        print()
        print("== The HTTP floor: the same chunks to a bare WSGI app ==")
        print(
            f"gunicorn, 2 sync workers, body written to a file in 1 MiB blocks, nothing "
            f"else: {floor_seconds:.2f} s = {mb_s(size, floor_seconds)} = "
            f"{floor_copy / floor_seconds:.2f}x copyfile + fsync measured just before "
            f"({mb_s(size, floor_copy)}); the portal's upload took "
            f"{upload_seconds / floor_seconds:.2f}x as long as the floor"
        )

        print()
        print(_stack.machine_load())
        print("== Issue 6 ==")
        print(
            f"file: {size:,} bytes ({size / MIB:.0f} MiB), {len(chunk_times)} chunks of "
            f"{chunk / MIB:.0f} MiB, gunicorn 2 sync workers, files on the same disk"
        )
        rss_met = growth < TARGET_RSS_MB and growth2 < TARGET_RSS_MB
        print(
            f"peak RSS increase of a web worker over idle: {growth:.1f} MiB (upload), "
            f"{growth2:.1f} MiB (resumed upload). Target < {TARGET_RSS_MB:.0f} MB: "
            f"{'met' if rss_met else 'NOT met'}."
        )
        print(
            f"throughput: {mb_s(size, upload_seconds)} start to receipt = {ratio:.2f}x "
            f"copyfile + fsync of the same file ({mb_s(size, copy_sync)}, same run). "
            f"Target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}."
        )
        print(
            f"the HTTP floor (a bare WSGI app under the same gunicorn, same chunks): "
            f"{mb_s(size, floor_seconds)}; the upload reaches {floor_share:.0%} of it. "
            "Disk copies use sendfile inside the kernel; any HTTP upload also copies "
            "each byte from the client to the socket and from the socket to the file."
        )
        print(
            f"resume: cut at {cut_bytes / size:.1%} mid-chunk; status answered offset "
            f"{offset:,} {(asked - cut_at) * 1000:.0f} ms after the cut; resumed upload "
            f"complete {resumed_end - cut_at:.2f} s after the cut "
            f"({(size - offset) / MIB:.0f} MiB left to send, then hash and record)."
        )
        print(
            "SHA-256 of the server's receipt equals the source's: "
            f"{'yes' if first_ok else 'NO'} (upload), "
            f"{'yes' if second_ok else 'NO'} (resumed upload)."
        )
        if problems:
            print(f"PROBLEMS ({len(problems)}): " + "; ".join(problems))
        ok = first_ok and second_ok and not problems
        return 0 if ok else 1
    except BenchError as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        signal.alarm(0)
        if sampler is not None:
            sampler.stop()
        if not ok and (stack.workdir / "gunicorn.log").exists():
            tail = _stack.log_tail(stack, "gunicorn", 20)
            if tail:
                print("gunicorn log (last lines):\n" + tail)
        _stack.stop_all(stack)
        _stack.close_db_connections()
        try:
            _stack.drop_database(stack)
            _stack.flush_redis(REDIS_URL)
        finally:
            shutil.rmtree(stack.workdir, ignore_errors=True)


if __name__ == "__main__":
    with _stack.board_wide():
        sys.exit(main())
