"""docker-compose.yml describes a stack that can start: checked without Docker, and with
`docker compose config` too where the machine has Compose."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PORTAL_SERVICES = ("web", "worker", "beat")
# Read by the settings (and gunicorn.conf.py): a compose variable outside these is a typo.
SETTINGS_SOURCES = [ROOT / "portal/settings.py", ROOT / "portal/gunicorn.conf.py"]


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _variables_the_portal_reads() -> set[str]:
    names: set[str] = set()
    for source in SETTINGS_SOURCES:
        text = source.read_text()
        names |= set(re.findall(r'env_[a-z_]+\(\s*"([A-Z0-9_]+)"', text))
        names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', text))
    return names


def test_the_stack_has_every_part_the_portal_needs():
    services = _compose()["services"]

    assert {"web", "worker", "beat", "postgres", "redis", "minio", "clamav"} <= set(
        services
    )
    assert "gunicorn" in services["web"]["command"]
    assert "celery -A portal worker" in services["worker"]["command"]
    assert "celery -A portal beat" in services["beat"]["command"]


def test_every_dependency_volume_and_file_the_stack_names_exists():
    compose = _compose()
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})

    for name, service in services.items():
        for needed in service.get("depends_on") or {}:
            assert needed in services, f"{name} depends on missing service {needed}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared_volumes, f"{name}: undeclared {source}"
        if service.get("build"):
            assert (ROOT / service["build"] / "Dockerfile").exists()
    assert (ROOT / "portal/gunicorn.conf.py").exists()


def test_the_portal_services_set_only_variables_the_settings_read():
    services = _compose()["services"]
    read = _variables_the_portal_reads()

    for name in PORTAL_SERVICES:
        unknown = set(services[name]["environment"]) - read
        assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"


def test_the_web_service_is_healthy_only_when_ready():
    web = _compose()["services"]["web"]

    assert "/readyz" in " ".join(web["healthcheck"]["test"])


def test_the_portal_services_share_one_production_environment():
    services = _compose()["services"]
    environments = [services[name]["environment"] for name in PORTAL_SERVICES]

    assert all(env == environments[0] for env in environments)
    assert environments[0]["DJANGO_DEBUG"] == "false"
    assert environments[0]["DATABASE_URL"].startswith("postgres://")
    assert environments[0]["REDIS_URL"].startswith("redis://")
    assert environments[0]["AWS_STORAGE_BUCKET_NAME"]


def test_docker_compose_accepts_the_file_and_refuses_a_broken_one(tmp_path):
    # bin/test installs Debian's docker-compose, which validates without a daemon.
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: run bin/test to install it"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("depends_on:", "depend_on:"))

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own file, fixed arguments
            [compose, "-f", str(path), "config", "--quiet"],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    good = check(COMPOSE)
    bad = check(broken)

    assert good.returncode == 0, good.stderr
    assert bad.returncode != 0
    assert "depend_on" in bad.stderr
