"""The full-stack description stays in step with the settings it feeds."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_describes_web_worker_beat_postgres_redis_and_s3():
    services = _compose()["services"]

    assert {"web", "worker", "beat", "postgres", "redis", "minio"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert "celery -A portal worker" in services["worker"]["command"]
    assert "celery -A portal beat" in services["beat"]["command"]


def test_every_portal_container_gets_database_redis_and_storage_settings():
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://"), name
        assert env["REDIS_URL"].startswith("redis://"), name
        assert env["AWS_STORAGE_BUCKET_NAME"], name
        assert env["DJANGO_DEBUG"] == "false", name


def test_the_image_installs_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "uv sync --locked" in dockerfile
    assert "collectstatic" in dockerfile


def test_compose_runs_clamav_and_the_portal_scans_with_it():
    services = _compose()["services"]

    assert services["clamav"]["image"] == "clamav/clamav:stable"
    for name in ("web", "worker"):
        assert services[name]["environment"]["UPLOAD_SCANNER"] == (
            "clamd://clamav:3310"
        ), name
    assert "clamav" in services["worker"]["depends_on"]
    mounts = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in services["clamav"]["volumes"]
    }
    assert mounts["/etc/clamav/clamd.conf"] == "./deploy/clamav/clamd.conf"
    assert (ROOT / "deploy/clamav/clamd.conf").is_file()


def _megabytes(size: str) -> float:
    units = {"K": 1 / 1024, "M": 1, "G": 1024}
    if size[-1].upper() in units:
        return float(size[:-1]) * units[size[-1].upper()]
    return int(size) / 1024**2


def test_clamd_takes_and_scans_the_largest_file_the_portal_accepts():
    from django.conf import settings

    lines = (ROOT / "deploy/clamav/clamd.conf").read_text().splitlines()
    conf = dict(
        line.split(None, 1) for line in lines if line.strip() and line[0] != "#"
    )
    largest = settings.UPLOAD_MAX_BYTES / 1024**2

    for limit in ("StreamMaxLength", "MaxFileSize", "MaxScanSize"):
        assert _megabytes(conf[limit]) > largest, limit
    assert conf["AlertExceedsMax"] == "yes"  # never "clean" for a file it skipped
    assert conf["TCPSocket"] == "3310"
