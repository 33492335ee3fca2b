"""`manage.py check --deploy`: a production site scans uploads with a real scanner."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


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
