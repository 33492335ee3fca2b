"""make run / bin/run: the address it serves is the one it prints and e-mails link to.

bin/run is run for real in a copy of the project whose bin/setup and .venv/bin/python
are stand-ins: the Python one prints what it was asked to run and the SITE_URL it got.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAND_IN_PYTHON = '#!/bin/sh\necho "python $* SITE_URL=${SITE_URL:-}"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "run", tmp_path / "bin" / "run")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "bin" / "setup").write_text("#!/bin/sh\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text(STAND_IN_PYTHON)
    for script in ("bin/run", "bin/setup", ".venv/bin/python"):
        (tmp_path / script).chmod(0o755)
    return tmp_path


def _run(command: list[str], project: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"PORT", "SITE_URL"}}
    result = subprocess.run(  # noqa: S603 - the project's own script, in a copy
        command,
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_with_a_port_serves_prints_and_links_that_port(project):
    output = _run(["make", "run", "PORT=8123"], project)

    assert "Serving on http://127.0.0.1:8123/" in output
    assert (
        "python manage.py runserver 127.0.0.1:8123 SITE_URL=http://127.0.0.1:8123"
        in output
    )
    # demo_data prints the sign-in address from SITE_URL.
    assert "python manage.py demo_data SITE_URL=http://127.0.0.1:8123" in output


def test_run_with_port_in_the_environment_links_that_port(project):
    output = _run(["bin/run"], project, PORT="8124")

    assert (
        "python manage.py runserver 127.0.0.1:8124 SITE_URL=http://127.0.0.1:8124"
        in output
    )


def test_run_without_a_port_serves_and_links_8000(project):
    output = _run(["bin/run"], project)

    assert "Serving on http://127.0.0.1:8000/" in output
    assert (
        "python manage.py runserver 127.0.0.1:8000 SITE_URL=http://127.0.0.1:8000"
        in output
    )


def test_a_site_url_given_explicitly_is_kept_for_links(project):
    output = _run(["bin/run"], project, PORT="8123", SITE_URL="https://demo.example")

    assert (
        "python manage.py runserver 127.0.0.1:8123 SITE_URL=https://demo.example"
        in output
    )
