"""A moderator signs in, sees only their allocation, downloads a sampled file and enters a
clerical correction; the teacher sees it in red and downloads the PDF report, rendered by
a real worker, which shows the corrected mark."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from centres.models import ModeratorAllocation
from portal.celery import app
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import UserFactory
from tests.moderation.helpers import moderated_sheet, stored_file

from .test_invite_and_access import _sign_in


@pytest.mark.django_db(transaction=True)
def test_a_moderators_clerical_correction_reaches_the_teachers_sheet_and_pdf(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    moderated = moderated_sheet(two_centres)
    stored_file(moderated, content=b"Candidate 2001's essay", name="essay.pdf")
    someone_else = UserFactory(is_moderator=True)
    ModeratorAllocation.objects.create(
        moderator=someone_else,
        centre=two_centres.charlie_centre,
        unit=two_centres.charlie_unit,
    )

    # The moderator sees only their allocation.
    totp = give_authenticator(moderated.moderator)
    _sign_in(page, base, moderated.moderator.email, totp.now())
    page.get_by_role("link", name="Your moderation allocations").click()
    expect(
        page.get_by_role("heading", name="Your moderation allocations")
    ).to_be_visible()
    expect(page.get_by_text(two_centres.charlie_centre.name)).to_have_count(0)
    page.get_by_role("link", name=re.compile(re.escape(moderated.unit.code))).click()

    # Downloads the sampled candidate's file.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download essay.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "essay.pdf"
    assert Path(download.path()).read_bytes() == b"Candidate 2001's essay"

    # Enters a clerical correction for candidate 2003 (the centre gave 35).
    page.get_by_role("link", name="Clerical correction for 2003").click()
    page.get_by_label(re.compile("Amended mark")).fill("31")
    page.get_by_role("button", name="Save the clerical correction").click()
    expect(
        page.get_by_text("The clerical correction for candidate 2003")
    ).to_be_visible()

    # The teacher (Alice) sees it in red beside the original.
    teacher = browser.new_context(locale="en-GB").new_page()
    alice_totp = give_authenticator(two_centres.alice)
    _sign_in(teacher, base, "alice@alice.example", alice_totp.now())
    teacher.goto(f"{base}/iamis/units/{moderated.unit.public_id}/")
    amended = teacher.get_by_test_id("clerical-2003-task-1")
    expect(amended).to_contain_text("31")
    expect(amended).to_contain_text("clerical correction")
    color = amended.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(176, 0, 32)"

    # ... and downloads the PDF report, made by a real worker, with the corrected mark.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        teacher.get_by_role("link", name="VIEW / PRINT REPORTS").click()
        expect(teacher.get_by_text("CANDIDATE DETAILS REPORT")).to_be_visible()
        teacher.get_by_role("button", name="Download as PDF").click()
        link = teacher.get_by_test_id("pdf-download")
        expect(link).to_be_visible(timeout=30_000)
        with teacher.expect_download() as pdf_info:
            link.click()
    pdf = PdfReader(io.BytesIO(Path(pdf_info.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "CANDIDATE DETAILS REPORT" in text
    assert re.search(r"2003.*31\*", text), text
    teacher.context.close()
