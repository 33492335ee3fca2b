"""Driving the upload API through the Django test client."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
from django.test import Client
from django.urls import reverse

from iamis.models import Unit
from sampling.models import Sample, SampleMember
from tests.sampling.sheets import ready_sample

CHUNK = 64 * 1024
BUCKET = "iamis-test-evidence"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)


def upload_sample(two_centres, **unit_fields) -> Sample:
    """A ready sample on an e-submission unit (SAMPLING.md's worked example)."""
    sample = ready_sample(two_centres)
    unit = sample.unit
    unit.evidence = Unit.Evidence.E_SUBMISSION
    for name, value in unit_fields.items():
        setattr(unit, name, value)
    unit.save()
    return sample


def sampled_number(sample: Sample) -> int:
    member = sample.members.select_related("entry__candidate").first()
    return member.entry.candidate.number


def unsampled_number(sample: Sample) -> int:
    members = SampleMember.objects.filter(sample=sample).values("entry")
    entry = (
        sample.unit.entries.filter(centre=sample.centre)
        .exclude(pk__in=members)
        .select_related("candidate")
        .first()
    )
    return entry.candidate.number


def start(
    client: Client,
    unit: Unit,
    *,
    size: int,
    name: str = "work.bin",
    candidate: int | None = None,
    kind: str = "candidate",
    **fields: str,
):
    data = {"name": name, "size": str(size), "kind": kind, **fields}
    if candidate is not None:
        data["candidate"] = str(candidate)
    return client.post(reverse("uploads:upload_start", args=[unit.public_id]), data)


def send(client: Client, url: str, data: bytes, offset: int, **extra):
    return client.post(
        url,
        data=data,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
        **extra,
    )


def send_cut_short(client: Client, url: str, data: bytes, offset: int, arrived: int):
    """A chunk whose connection drops after `arrived` of its bytes."""
    return client.post(
        url,
        data=data,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
        **{"wsgi.input": io.BytesIO(data[:arrived])},
    )


def upload(client: Client, unit: Unit, data: bytes, **start_fields):
    """The whole protocol: start, every chunk, complete. Returns the complete response."""
    started = start(client, unit, size=len(data), **start_fields)
    assert started.status_code == 201, started.content
    session = started.json()
    for offset in range(0, len(data), session["chunk_size"]):
        sent = send(
            client,
            session["url"],
            data[offset : offset + session["chunk_size"]],
            offset,
        )
        assert sent.status_code == 200, sent.content
    return client.post(session["complete_url"])


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
