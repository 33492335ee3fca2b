"""bin/setup: installing for the app (bin/run) and for the tests (bin/test) coexist."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"


def _app_install_command() -> list[str]:
    """bin/setup's uv command for the app alone (no --dev), as a dry run on .venv."""
    script = (ROOT / "bin" / "setup").read_text()
    line = next(
        line.strip()
        for line in script.splitlines()
        if "uv sync" in line and "--no-dev" in line
    )
    words = shlex.split(line)
    # The interpreter is .venv's already; a dry run needs no --quiet.
    at = words.index("--python")
    del words[at : at + 2]
    words.remove("--quiet")
    return [str(UV), *words[1:], "--dry-run"]


@pytest.mark.skipif(not UV.exists(), reason="bin/setup installs uv into .tools/")
def test_installing_for_the_app_leaves_the_test_tools_installed():
    result = subprocess.run(  # noqa: S603 - bin/setup's own uv command, dry run
        _app_install_command(),
        cwd=ROOT,
        env={
            **os.environ,
            "UV_PROJECT_ENVIRONMENT": str(ROOT / ".venv"),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_OFFLINE": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Would uninstall" not in output
    assert "pytest" not in output
