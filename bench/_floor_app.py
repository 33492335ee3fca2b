"""The HTTP floor for bench/upload.py: a bare WSGI app that writes each request body to
a file in 1 MiB blocks, under the same gunicorn as the portal, with no Django, database,
hashing or checks. What it reaches is what any upload over this machine's HTTP path can
reach; the portal's upload is reported against it as well as against a disk copy."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

BLOCK = 1024 * 1024
FOLDER = os.environ["FLOOR_FOLDER"]  # bench/upload.py gives its scratch folder


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    path = os.path.join(FOLDER, "floor.bin")
    with open(path, "ab") as target:
        while length > 0:
            data = stream.read(min(BLOCK, length))
            if not data:
                break
            target.write(data)
            length -= len(data)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
