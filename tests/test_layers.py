"""The house plan holds: every app imports only the apps below it (pyproject.toml,
[tool.importlinter]), and the check is real: a planted upward import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_of_the_code(into: Path) -> Path:
    source = Path(settings.BASE_DIR)
    shutil.copy(source / "pyproject.toml", into / "pyproject.toml")
    for package in (p.parent for p in source.glob("*/__init__.py")):
        if package.name in {"tests", "bench"}:
            continue
        shutil.copytree(
            package,
            into / package.name,
            ignore=shutil.ignore_patterns(
                "*.pyc", "__pycache__", "templates", "static"
            ),
        )
    return into


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own tool, fixed arguments)
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_app_imports_only_the_apps_below_it(tmp_path):
    result = _lint_imports(_copy_of_the_code(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken", "arrow"),
    [
        # The ground floor reaching up into a domain app.
        (
            "common/numbers.py",
            "from iamis.models import Entry",
            "common is not allowed to import iamis",
            "common.numbers -> iamis.models",
        ),
        # A domain service calling up into e-mail instead of recording it in the outbox.
        (
            "sampling/services.py",
            "from notifications import tasks",
            "sampling is not allowed to import notifications",
            "sampling.services -> notifications",
        ),
    ],
)
def test_a_planted_upward_import_breaks_the_build(
    tmp_path, module, planted, broken, arrow
):
    tree = _copy_of_the_code(tmp_path)
    with (tree / module).open("a") as source:
        source.write(f"\n{planted}  # noqa\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert broken in result.stdout
    assert arrow in result.stdout
