"""A teacher uploads two files for a sampled candidate, sees both receipts and, once a
real worker has scanned them, "No virus found"; deletes one; past the cutoff Delete is
gone and a crafted delete is refused."""

from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import Page, Request, Route, expect

from iamis.models import Submission
from portal.celery import app
from tests.accounts.mfa_helpers import give_authenticator
from tests.uploads.conftest import s3_endpoint, s3_storage  # noqa: F401 - fixtures
from tests.uploads.helpers import BUCKET, s3_client, sampled_number, upload_sample
from uploads.models import EvidenceFile, ScanStatus, UploadSession

from .test_invite_and_access import _sign_in


@pytest.mark.django_db(transaction=True)
def test_a_teacher_uploads_two_files_sees_the_receipts_and_deletes_one(
    live_server, page: Page, two_centres, media
):
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    essay = b"essay " * 40_000  # about 240 kB: four chunks
    audio = b"audio" * 1000
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())
    samples_url = f"{live_server.url}/iamis/units/{sample.unit.public_id}/samples/"
    page.goto(samples_url)

    row = page.locator(f"#sample-{number}")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        row.get_by_label(re.compile("Upload files for")).set_input_files(
            [
                {"name": "essay.pdf", "mimeType": "application/pdf", "buffer": essay},
                {"name": "talk.mp3", "mimeType": "audio/mpeg", "buffer": audio},
            ]
        )

        files = row.locator(f"#files-{number}")
        expect(files.get_by_text(hashlib.sha256(essay).hexdigest())).to_be_visible()
        expect(files.get_by_text(hashlib.sha256(audio).hexdigest())).to_be_visible()
        expect(row.locator(".upload__progress")).to_have_attribute("value", "100")
        expect(row.locator(".upload__status")).to_contain_text("100%")
        assert EvidenceFile.objects.count() == 2
        # The worker scans each file once its upload commits.
        deadline = time.monotonic() + 20
        while EvidenceFile.objects.exclude(scan_status=ScanStatus.CLEAN).exists():
            assert time.monotonic() < deadline, "the files were not scanned"
            time.sleep(0.1)
    # No reload: the list asks again by itself while a file is being checked.
    expect(
        page.locator(f"#files-{number}").get_by_text("No virus found")
    ).to_have_count(2, timeout=10_000)

    # Delete the wrong one, with confirmation.
    files.get_by_role("link", name="Delete talk.mp3").click()
    page.get_by_role("button", name="Yes, delete this file").click()
    expect(page.get_by_text("talk.mp3 was deleted.")).to_be_visible()
    expect(page.locator(f"#files-{number}")).not_to_contain_text("talk.mp3")
    expect(page.locator(f"#files-{number}")).to_contain_text("essay.pdf")

    # Time moves past the cutoff: Delete is gone, the page says why, the server refuses.
    Submission.objects.filter(pk=sample.submission_id).update(
        submitted_at=timezone.now() - timedelta(days=15)
    )
    page.reload()
    files = page.locator(f"#files-{number}")
    expect(files.get_by_text("Files can no longer be deleted")).to_be_visible()
    expect(files.get_by_role("link", name=re.compile("^Delete"))).to_have_count(0)
    essay_file = EvidenceFile.objects.get(deleted_at__isnull=True)
    page.evaluate(
        """async (url) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
        }""",
        f"/iamis/units/{sample.unit.public_id}/files/{essay_file.public_id}/delete/",
    )
    essay_file.refresh_from_db()
    assert essay_file.deleted_at is None


@pytest.mark.django_db(transaction=True)
def test_a_file_over_the_limit_is_refused_in_the_browser_before_sending(
    live_server, page: Page, two_centres, media, settings
):
    settings.UPLOAD_MAX_BYTES = 1000
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())
    page.goto(f"{live_server.url}/iamis/units/{sample.unit.public_id}/samples/")

    page.locator(f"#sample-{number}").get_by_label(
        re.compile("Upload files for")
    ).set_input_files(
        [{"name": "big.mov", "mimeType": "video/quicktime", "buffer": b"x" * 1001}]
    )

    expect(page.locator(f"#sample-{number} .upload__status")).to_contain_text(
        "big.mov is too large"
    )
    assert not EvidenceFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_s3_the_browser_sends_the_parts_straight_to_the_store_and_resumes(
    live_server,
    page: Page,
    two_centres,
    media,
    settings,
    s3_storage,  # noqa: F811 - the fixture imported above
):
    part = 5 * 1024 * 1024
    settings.UPLOAD_PART_BYTES = part
    # What production's settings add for a bucket (portal/settings.py), and the
    # bucket's CORS rule letting the site PUT to it.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "connect-src": ["'self'", s3_storage]}
    s3_client(s3_storage).put_bucket_cors(
        Bucket=BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [live_server.url],
                    "AllowedMethods": ["PUT"],
                    "AllowedHeaders": ["*"],
                }
            ]
        },
    )
    sample = upload_sample(two_centres)
    number = sampled_number(sample)
    film = os.urandom(part + 4321)  # two parts
    totp = give_authenticator(two_centres.alice)
    _sign_in(page, live_server.url, "alice@alice.example", totp.now())
    page.goto(f"{live_server.url}/iamis/units/{sample.unit.public_id}/samples/")
    row = page.locator(f"#sample-{number}")
    puts: list[str] = []

    def note_put(request: Request) -> None:
        if request.method == "PUT":
            puts.append(request.url)

    page.on("request", note_put)
    cut: list[str] = []

    def cut_part_two_once(route: Route) -> None:
        # The connection to the store drops once, mid-file: the browser asks the
        # portal which parts the store has and sends only the missing one again.
        if "partNumber=2" in route.request.url and not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(f"{s3_storage}/**", cut_part_two_once)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        row.get_by_label(re.compile("Upload files for")).set_input_files(
            [{"name": "film.mp4", "mimeType": "video/mp4", "buffer": film}]
        )
        expect(row.locator(".upload__status")).to_contain_text("100%")
        expect(row.locator(f"#files-{number}")).to_contain_text("film.mp4")
        deadline = time.monotonic() + 30
        while EvidenceFile.objects.filter(sha256="").exists():
            assert time.monotonic() < deadline, "the worker did not hash the file"
            time.sleep(0.1)
    page.reload()

    expect(
        page.locator(f"#files-{number}").get_by_text(hashlib.sha256(film).hexdigest())
    ).to_be_visible()
    stored = EvidenceFile.objects.get()
    body = s3_client(s3_storage).get_object(Bucket=BUCKET, Key=stored.storage_key)
    assert body["Body"].read() == film
    # Both parts went to the store; none of the bytes through the portal.
    assert len(cut) == 1
    numbers = sorted(parse_qs(urlsplit(url).query)["partNumber"][0] for url in puts)
    assert numbers == ["1", "2", "2"]
    assert all(url.startswith(f"{s3_storage}/{BUCKET}/") for url in puts)
    assert UploadSession.objects.get().received == 0
