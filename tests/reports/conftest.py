from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files go to a fresh folder; small chunks keep chunked tests quick."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    settings.UPLOAD_CHUNK_BYTES = 64 * 1024
    return tmp_path / "media"
