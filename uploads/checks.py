"""System checks for uploads: the resumable SHA-256 works here (every command), and a
production site scans uploads with a real scanner (`check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from . import resumable_sha256


@checks.register()
def check_resumable_sha256(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    # Uploads on the filesystem hash as the chunks arrive and refuse to run without it:
    # better a failed start than uploads that fail one by one.
    reason = resumable_sha256.unavailable_reason()
    if reason is None:
        return []
    return [
        checks.Error(
            f"Uploads cannot hash files as they arrive: {reason}.",
            hint="Install OpenSSL's libcrypto 3 (Debian: libssl3), the one Python's "
            "hashlib uses; see uploads/resumable_sha256.py.",
            id="uploads.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_upload_scanner(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if settings.UPLOAD_SCANNER == "eicar" and not settings.DEBUG:
        return [
            checks.Warning(
                "UPLOAD_SCANNER is the EICAR stand-in: uploads are not scanned for "
                "real viruses.",
                hint="Set UPLOAD_SCANNER=clamd://host:3310 (see docker-compose.yml).",
                id="uploads.W001",
            )
        ]
    return []
