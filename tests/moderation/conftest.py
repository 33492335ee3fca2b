from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _files_in_a_fresh_folder(media):
    return media
