"""An invited invigilator accepts the terms, completes the training and the
self-assessment, fails the assessment, re-attempts only the wrong questions, passes and
downloads a certificate naming them (made by a real worker); the exams officer sees the
pass."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from accounts.services import invites
from centres.models import AccessGrant, Membership
from portal.celery import app
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import MembershipFactory, UserFactory
from training import services
from training.content import content_load
from training.models import AcademicYear, Answer

from .test_invite_and_access import _sign_in

CONTENT = {
    "year": "2026/27",
    "roles": [{"code": "new-invigilator", "name": "New invigilator"}],
    "assessments": [
        {
            "code": "basics",
            "label": "(Unit 1)",
            "title": "Invigilation basics",
            "roles": ["new-invigilator"],
            "declaration": "I will complete this assessment myself.",
            "sections": [
                {
                    "title": "Before the examination",
                    "pass_mark": 3,
                    "training": "Question papers are opened in the examination room.",
                    "references": [{"title": "ICE", "url": "https://www.jcq.org.uk/"}],
                    "videos": [{"title": "Video", "url": "https://www.jcq.org.uk/"}],
                    "statements": ["I know where papers are opened.", "I know the rules."],
                    "questions": [
                        {"text": "Where are papers opened?", "options": ["Office", "Exam room"], "answer": 1, "reference": "ICE 1"},
                        {"text": "Phones at desks?", "options": ["Never", "If off"], "answer": 0, "reference": "ICE 2"},
                        {"text": "Invigilators per 30?", "options": ["One", "None"], "answer": 0, "reference": "ICE 3"},
                    ],
                }
            ],
        }
    ],
}  # fmt: skip


def _answer(page: Page, text: str) -> None:
    page.get_by_label(text, exact=True).check()


@pytest.mark.django_db(transaction=True)
def test_an_invigilator_trains_fails_reattempts_passes_and_gets_a_certificate(
    live_server, browser: Browser, page: Page, two_centres, media
):
    base = live_server.url
    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    content_load(CONTENT, publish=True, year_label=label)
    sent = invites.invite_send(
        centre=two_centres.alice_centre,
        email="iolo@alice.example",
        first_name="Iolo",
        last_name="Jenkins",
        language="en",
        account_type="user",
        invited_by=two_centres.alice,
        staff_roles=["new-invigilator"],
    )
    token = sent.link.rstrip("/").rsplit("/", 1)[-1]
    iolo = invites.invite_accept(token=token, password="A-long-pass-phrase-2027")
    totp = give_authenticator(iolo)

    _sign_in(page, base, "iolo@alice.example", totp.now(), "A-long-pass-phrase-2027")
    # The Terms of Use come before the training (and only there).
    expect(page.get_by_role("heading", name="Terms of Use")).to_have_count(0)
    page.goto(f"{base}/training/")
    expect(page.get_by_role("heading", name="Terms of Use")).to_be_visible()
    page.get_by_label("Tick here to agree to the above terms").check()
    page.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_text("strongly advised to change your password").first
    ).to_be_visible()

    row = page.locator("#assessment-basics")
    expect(row).to_contain_text("Not Started")
    expect(row).to_contain_text("0/1")
    row.get_by_role("link", name=re.compile("See Sections")).click()
    page.get_by_label("I confirm the declaration above").check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("link", name=re.compile("Start")).click()

    # Step 1: training.
    page.get_by_role("link", name="Step 1: Training").click()
    page.get_by_role("button", name="Mark as Read/Viewed").click()
    expect(page.get_by_test_id("step-1")).to_have_text("100% complete")
    # Step 2: self-assessment, one statement at a time.
    page.get_by_role("link", name="Step 2: Self-Assessment").click()
    expect(page.get_by_text("I know where papers are opened.")).to_be_visible()
    page.get_by_role("button", name="Aware").click()
    expect(page.get_by_text("I know the rules.")).to_be_visible()
    page.get_by_role("button", name="Aware").click()
    expect(page.get_by_test_id("step-2")).to_have_text("100% complete")

    # Step 3: one wrong answer out of three: fail.
    page.get_by_role("link", name="Step 3: Assessment").click()
    _answer(page, "Exam room")
    page.get_by_role("button", name="Next Question").click()
    expect(
        page.get_by_role("button", name=re.compile("Question 1.*answered"))
    ).to_be_visible()
    _answer(page, "If off")  # wrong
    page.get_by_role("button", name="Next Question").click()
    _answer(page, "One")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Your Mark is 2 out of 3")).to_be_visible()
    expect(page.get_by_test_id("result")).to_contain_text("FAIL")
    expect(page.get_by_text("ICE 2")).to_be_visible()
    expect(page.get_by_text("ICE 1")).to_have_count(0)

    # Re-attempt: only the wrong question.
    page.get_by_role("button", name="Re-attempt").click()
    expect(
        page.get_by_text("Re-attempt: 1 question you answered incorrectly.")
    ).to_be_visible()
    expect(page.get_by_text("Question 1 of 1: Phones at desks?")).to_be_visible()
    _answer(page, "Never")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        page.get_by_role("button", name="Finish").click()
        expect(
            page.get_by_role("heading", name="Your Mark is 3 out of 3")
        ).to_be_visible()
        expect(page.get_by_test_id("result")).to_contain_text("PASS")
        page.get_by_role("link", name="Your certificate").click()
        link = page.get_by_test_id("certificate-download")
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download() as info:
            link.click()
    text = (
        PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
        .pages[0]
        .extract_text()
    )
    assert "Iolo Jenkins" in text
    assert "Alice Academy" in text
    assert label in text

    # The exams officer sees the pass.
    officer = browser.new_context(locale="en-GB").new_page()
    _sign_in(
        officer,
        base,
        "alice@alice.example",
        give_authenticator(two_centres.alice).now(),
    )
    officer.goto(f"{base}/training/staff/")
    expect(officer.get_by_role("row", name=re.compile("Iolo Jenkins"))).to_contain_text(
        "Passed"
    )
    officer.context.close()


@pytest.mark.django_db(transaction=True)
def test_back_to_an_earlier_question_shows_it_and_records_no_answer_nobody_chose(
    live_server, page: Page, two_centres, media
):
    base = live_server.url
    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    year = content_load(CONTENT, publish=True, year_label=label)
    assessment = year.assessments.get(code="basics")
    iolo = UserFactory(email="iolo@alice.example", first_name="Iolo")
    membership = MembershipFactory(
        user=iolo,
        centre=two_centres.alice_centre,
        account_type=Membership.AccountType.USER,
    )
    AccessGrant.objects.create(membership=membership, area=AccessGrant.Area.TRAINING)
    services.roles_assign(membership=membership, role_codes=["new-invigilator"])
    services.terms_accept(user=iolo)
    progress = services.progress_start(membership=membership, assessment=assessment)
    services.declaration_accept(progress=progress)
    item = progress.sections.get()
    services.training_mark_read(section_progress=item)
    for statement in item.section.statements.all():
        item = services.statement_confirm(section_progress=item, statement=statement)

    _sign_in(page, base, "iolo@alice.example", give_authenticator(iolo).now())
    page.goto(f"{base}/training/assessments/{assessment.public_id}/sections/1/")
    page.get_by_role("link", name="Step 3: Assessment").click()
    _answer(page, "Exam room")
    page.get_by_role("button", name="Next Question").click()
    expect(page.get_by_text("Question 2 of 3: Phones at desks?")).to_be_visible()

    page.go_back()
    with page.expect_navigation():
        page.get_by_role("button", name="Next Question").click()

    chosen = {a.question.text: a.option.text for a in Answer.objects.all()}
    assert chosen == {"Where are papers opened?": "Exam room"}
    expect(page.get_by_text("Question 2 of 3: Phones at desks?")).to_be_visible()
    expect(page.get_by_label("Never", exact=True)).not_to_be_checked()
    expect(page.get_by_label("If off", exact=True)).not_to_be_checked()
