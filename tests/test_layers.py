"""The house plan holds: every app imports only the apps below it (pyproject.toml,
[tool.importlinter]), and the check is real: a planted upward import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_an_import_up_from_the_ground_floor_breaks_the_build(tmp_path):
    tree = _copy_of_the_code(tmp_path)
    with (tree / "common" / "numbers.py").open("a") as module:
        module.write("\nfrom iamis.models import Entry  # noqa\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "common is not allowed to import iamis" in result.stdout
    assert "common.numbers -> iamis.models" in result.stdout


def test_a_domain_app_that_calls_up_into_email_breaks_the_build(tmp_path):
    tree = _copy_of_the_code(tmp_path)
    with (tree / "sampling" / "services.py").open("a") as module:
        module.write("\nfrom notifications import tasks  # noqa\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "sampling is not allowed to import notifications" in result.stdout
