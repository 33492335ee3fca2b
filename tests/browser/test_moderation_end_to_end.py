"""Moderation from end to end, as the people do it, with a real worker throughout: the
exams officer submits SAMPLING.md's worked example and uploads a file for each sampled
candidate; the moderator downloads the whole sample, checks the manifest, marks the
sample 8 lower, writes the report and proposes; a second person on the board approves;
on results day the centre reads the outcome and every final mark, page and PDF, and the
moderator can no longer change the report.

The sample is 2001 (40), 2003 (35), 2006 (28), 2008 (20) and 2009 (12); the maximum is
40, so the tolerance is 2 and 8 lower is outside it: every mark moves by -8 (2002's 38
becomes 30) except 0, which stays 0.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from centres.models import ModeratorAllocation
from iamis.models import Unit
from moderation.models import ModerationOutcome, ModeratorReport
from portal.celery import app
from sampling.models import Sample
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import (
    CandidateFactory,
    EntryFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from tests.iamis.marking import fill
from tests.sampling.sheets import WORKED
from uploads.models import EvidenceFile, ScanStatus

from .test_invite_and_access import _sign_in

SAMPLED = [2001, 2003, 2006, 2008, 2009]
# What the moderator types, in rank order: each 8 below the centre's mark.
MODERATOR = {2001: 32, 2003: 27, 2006: 20, 2008: 12, 2009: 4}
# Long enough for a shared 2-core machine; each wait ends as soon as its condition holds.
SLOW = 30_000


def _wait_until(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _sheet(two_centres) -> Unit:
    """SAMPLING.md's worked example on an e-submission unit, every mark on the sheet
    but 2002's 38, which Alice types."""
    unit = UnitFactory(
        evidence=Unit.Evidence.E_SUBMISSION,
        sample_size_table=[[5, "ALL"], ["inf", 5]],
        carry_forward_allowed=True,
    )
    TaskFactory(unit=unit, number=1, max_mark=40)
    for number, value in WORKED:
        candidate = CandidateFactory(
            centre=two_centres.alice_centre, number=number + 1000
        )
        entry = EntryFactory(candidate=candidate, unit=unit)
        if number != 1002:
            fill(entry, value, confirm=True)
    return unit


def _essay(number: int) -> bytes:
    return f"Candidate {number}'s portfolio. ".encode() * 200


@pytest.mark.django_db(transaction=True)
def test_a_sample_goes_from_submission_to_the_centres_final_marks(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    unit = _sheet(two_centres)
    moderator = UserFactory(
        email="mo@board.example", first_name="Mo", is_moderator=True
    )
    ModeratorAllocation.objects.create(
        moderator=moderator, centre=two_centres.alice_centre, unit=unit
    )

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # 1. Alice, the exams officer, finishes the sheet and submits it.
        _sign_in(
            page,
            base,
            "alice@alice.example",
            give_authenticator(two_centres.alice).now(),
        )
        page.goto(f"{base}/iamis/units/{unit.public_id}/")
        page.wait_for_load_state("load")
        page.locator("#m-2002-task-1").focus()
        page.keyboard.type("38")
        expect(page.locator("#status-2002")).to_contain_text("Saved")
        page.get_by_role("link", name="SUBMIT MARKS AND GENERATE SAMPLES").click()
        page.get_by_role(
            "button", name="Yes, submit marks and generate samples"
        ).click()
        page.get_by_role("link", name="View samples").click()
        # The page asks again by itself until the worker has chosen the sample.
        expect(page.get_by_text("5 candidates in the sample.")).to_be_visible(
            timeout=SLOW
        )
        sample = Sample.objects.get(unit=unit)
        assert (
            sorted(sample.members.values_list("entry__candidate__number", flat=True))
            == SAMPLED
        )

        # 2. She uploads a file for each sampled candidate through the page; the
        # worker checks each one for viruses.
        for number in SAMPLED:
            row = page.locator(f"#sample-{number}")
            row.get_by_label(re.compile("Upload files for")).set_input_files(
                [
                    {
                        "name": f"portfolio-{number}.pdf",
                        "mimeType": "application/pdf",
                        "buffer": _essay(number),
                    }
                ]
            )
            expect(
                row.get_by_text(hashlib.sha256(_essay(number)).hexdigest())
            ).to_be_visible(timeout=SLOW)
        _wait_until(
            lambda: (
                EvidenceFile.objects.filter(
                    unit=unit, scan_status=ScanStatus.CLEAN
                ).count()
                == len(SAMPLED)
            ),
            "the worker did not find every file clean",
        )
        expect(page.get_by_text("No virus found")).to_have_count(
            len(SAMPLED), timeout=SLOW
        )

        # 3. The moderator downloads the whole sample and checks it against what
        # was uploaded.
        mo = browser.new_context(locale="en-GB").new_page()
        mo.set_default_timeout(10_000)
        _sign_in(mo, base, moderator.email, give_authenticator(moderator).now())
        mo.get_by_role("link", name="Your moderation allocations").click()
        mo.get_by_role("link", name=re.compile(re.escape(unit.code))).click()
        with mo.expect_download() as zip_info:
            mo.get_by_role("link", name="Download the whole sample (zip)").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(zip_info.value.path()).read_bytes()))
        manifest = list(
            csv.DictReader(
                io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))
            )
        )
        assert sorted(int(line["Candidate number"]) for line in manifest) == SAMPLED
        for line in manifest:
            uploaded = _essay(int(line["Candidate number"]))
            assert line["Status"] == "included"
            assert line["SHA-256"] == hashlib.sha256(uploaded).hexdigest()
            assert archive.read(line["File in the zip"]) == uploaded

        # Marks the sample 8 lower than the centre, all outside the tolerance of 2.
        mo.get_by_role("link", name="Moderate the sample").click()
        mo.wait_for_load_state("load")
        mo.get_by_label("Moderator's mark (maximum 40) for candidate 2001").click()
        # Two digits fill a mark out of 40: the cursor moves down by itself; the
        # last, one digit, is confirmed with Enter.
        mo.keyboard.type("".join(str(MODERATOR[n]) for n in SAMPLED[:-1]))
        mo.keyboard.type(str(MODERATOR[2009]))
        mo.keyboard.press("Enter")
        for number in SAMPLED:
            expect(mo.get_by_test_id(f"difference-{number}")).to_contain_text(
                "-8 outside tolerance"
            )
        expect(mo.get_by_test_id("outcome-words")).to_contain_text(
            "Outside tolerance: the centre's marks will be adjusted."
        )
        expect(mo.get_by_test_id("outcome-progress")).to_contain_text(
            "Moderated 5 of 5"
        )
        preview = mo.locator("#preview-2002")
        expect(preview).to_contain_text("38")
        expect(preview).to_contain_text("30")
        expect(preview).to_contain_text("-8")
        expect(mo.locator("#preview-2010")).to_contain_text("no change")

        # Writes the report, then proposes the outcome with the reasons.
        mo.get_by_role("link", name="Back to the sample and its files").click()
        mo.get_by_role("link", name="Write the moderator's report").click()
        mo.get_by_label("Application of the assessment criteria").fill(
            "The marking was generous at the top of the range."
        )
        mo.get_by_role("button", name="Save draft").click()
        expect(mo.get_by_text("The report was saved as a draft.")).to_be_visible()
        mo.get_by_role("link", name="Back to the sample").click()
        mo.get_by_role("link", name="Moderate the sample").click()
        mo.wait_for_load_state("load")
        mo.get_by_label("The reasons for the outcome, for the centre").fill(
            "Every sampled mark was 8 marks generous."
        )
        mo.get_by_role("button", name="Propose this outcome to the board").click()
        expect(mo.get_by_text("Your outcome is proposed.")).to_be_visible()
        expect(mo.get_by_test_id("outcome-status")).to_contain_text(
            "waiting for the board's decision"
        )

        # 4. A second person, on the board, approves it on the console.
        staff = UserFactory(
            email="bea@board.example",
            first_name="Bea",
            is_staff=True,
            is_superuser=True,
        )
        board = browser.new_context(locale="en-GB").new_page()
        board.set_default_timeout(10_000)
        _sign_in(board, base, staff.email, give_authenticator(staff).now())
        board.get_by_role("link", name="Open the moderation console").click()
        expect(
            board.get_by_role("heading", name="Outcomes awaiting approval")
        ).to_be_visible()
        board.get_by_role("link", name=re.compile(re.escape(unit.code))).click()
        expect(board.get_by_test_id("outcome-state")).to_contain_text(
            "Awaiting the board's approval"
        )
        expect(
            board.get_by_text("Every sampled mark was 8 marks generous.")
        ).to_be_visible()
        board.get_by_role("button", name="Approve and apply").click()
        expect(board.get_by_text(re.compile("^Approved and applied"))).to_be_visible()
        expect(
            board.get_by_text("No outcome is waiting for a decision.")
        ).to_be_visible()
        outcome = ModerationOutcome.objects.get(unit=unit)
        assert outcome.status == ModerationOutcome.Status.APPROVED
        assert outcome.decided_by == staff

        # 5. Results day.
        series = unit.series
        series.results_day = timezone.localdate()
        series.save(update_fields=["results_day"])

        # The centre reads the outcome and every final mark, and the PDF of it.
        page.goto(f"{base}/iamis/")
        page.get_by_role("link", name="MODERATOR'S REPORT").click()
        expect(
            page.get_by_text("Outside tolerance: the centre's marks are adjusted")
        ).to_be_visible()
        expect(
            page.get_by_text("Every sampled mark was 8 marks generous.")
        ).to_be_visible()
        expect(page.locator("#final-2002")).to_contain_text(re.compile(r"38\s+30"))
        expect(page.locator("#final-2001")).to_contain_text(re.compile(r"40\s+32"))
        expect(page.locator("#final-2010")).not_to_contain_text("changed")
        page.get_by_role("button", name="Download as PDF").click()
        link = page.get_by_test_id("pdf-download")
        expect(link).to_be_visible(timeout=SLOW)
        with page.expect_download() as pdf_info:
            link.click()

    pdf = PdfReader(io.BytesIO(Path(pdf_info.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "MODERATOR'S REPORT" in text
    assert "Every sampled mark was 8 marks generous." in text
    assert re.search(r"2002\b.*\b38\s+30\b", text), text

    # The moderator can no longer change the released report: no form, and a forged
    # post is refused.
    mo.get_by_role("link", name="Back to the sample and its files").click()
    mo.get_by_role("link", name="Your moderator's report").click()
    expect(mo.get_by_test_id("read-only")).to_contain_text("can no longer be changed")
    expect(mo.get_by_role("button", name=re.compile("Publish|Save"))).to_have_count(0)
    refused = mo.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const body = new URLSearchParams({assessment: 'Rewritten.', publish: '1'});
            const r = await fetch(location.href, {
                method: 'POST', headers: {'X-CSRFToken': token}, body});
            return [r.status, await r.text()];
        }"""
    )
    assert refused[0] == 400
    assert "can no longer be changed" in refused[1]
    assert ModeratorReport.objects.get(unit=unit).assessment == (
        "The marking was generous at the top of the range."
    )
    for context in (mo.context, board.context):
        context.close()
