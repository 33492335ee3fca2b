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
