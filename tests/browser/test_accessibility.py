"""axe-core finds nothing serious or critical on the main pages, in English and in Welsh.

Each page is reached as a person would reach it (signed in through the real form, Welsh
chosen with the header's language switch) and in the state that shows the most: a
marksheet with a saved cell, a refused one and an absent awaiting confirmation; a
submitted sheet with a moderator's clerical correction; forms showing their error
summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from playwright.sync_api import Page, Route, expect

from accounts.models import User
from centres.models import AccessGrant, Membership
from moderation.services.corrections import correction_make
from tests.accounts.mfa_helpers import give_authenticator
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    EntryFactory,
    MembershipFactory,
    UserFactory,
)
from tests.moderation.helpers import Moderated, moderated_sheet, stored_file
from tests.moderation.outcome_steps import (
    EIGHT_LOWER,
    board_client,
    decide,
    moderate_all,
    proposed,
    results_day,
)
from training import services as training
from training.content import DEFAULT_CONTENT, content_load_file
from training.models import AcademicYear, Assessment, Attempt
from training.services import roles_assign, terms_accept

from .axe import assert_no_serious_violations

LANGUAGES = ["en", "cy"]


@dataclass
class Visit:
    page: Page
    base: str
    two_centres: object
    language: str

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def choose_language(self) -> None:
        """The header's switch, as a person would use it (English is the default)."""
        if self.language != "en":
            self.page.locator(".language-switch button").click()
            expect(self.page.locator("html")).to_have_attribute("lang", self.language)

    def sign_in(self, user: User, then: str = "/") -> None:
        """Signs in through the form (by field id: the labels change with the language),
        switches language on the first page, then opens `then`."""
        totp = give_authenticator(user)
        self.go("/accounts/sign-in/")
        self.page.locator("#id_email").fill(user.email)
        self.page.locator("main button[type=submit]").click()
        self.page.locator("#id_password").fill(PASSWORD)
        self.page.locator("main button[type=submit]").click()
        self.page.locator("#id_code").fill(totp.now())
        self.page.locator("main button[type=submit]").click()
        expect(self.page.locator("#id_code")).to_have_count(0)
        self.choose_language()
        self.go(then)

    @property
    def alice(self) -> User:
        return self.two_centres.alice


def _moderated(visit: Visit, *, corrected: bool = False) -> Moderated:
    moderated = moderated_sheet(visit.two_centres)
    if corrected:
        correction_make(
            allocation=moderated.allocation,
            entry=moderated.entry(2003),
            typed={"task-1": "31"},
            acting_user=moderated.moderator,
        )
    return moderated


def sign_in_page(visit: Visit) -> None:
    visit.go("/accounts/sign-in/")
    visit.choose_language()
    # With the error summary showing: no e-mail address given.
    visit.page.locator("main button[type=submit]").click()
    expect(visit.page.locator(".error-summary")).to_be_visible()


def mfa_code_page(visit: Visit) -> None:
    give_authenticator(visit.alice)
    visit.go("/accounts/sign-in/")
    visit.choose_language()
    visit.page.locator("#id_email").fill(visit.alice.email)
    visit.page.locator("main button[type=submit]").click()
    visit.page.locator("#id_password").fill(PASSWORD)
    visit.page.locator("main button[type=submit]").click()
    visit.page.locator("#id_code").fill("000000")
    visit.page.locator("main button[type=submit]").click()
    expect(visit.page.locator(".error-summary")).to_be_visible()


def home_page(visit: Visit) -> None:
    visit.sign_in(visit.alice, "/")


def index_page(visit: Visit) -> None:
    _moderated(visit)
    visit.sign_in(visit.alice, "/iamis/")


def marksheet_page(visit: Visit) -> None:
    unit = visit.two_centres.alice_unit
    for number in (1002, 1003):
        EntryFactory(
            candidate=CandidateFactory(
                centre=visit.two_centres.alice_centre, number=number
            ),
            unit=unit,
        )
    visit.sign_in(visit.alice, f"/iamis/units/{unit.public_id}/")
    page = visit.page
    # A saved (green, ticked) cell, a refused value and an absent awaiting confirmation.
    page.locator("#m-1001-task-1").fill("20")
    page.locator("#m-1001-task-1").dispatch_event("change")
    expect(page.locator("#row-1001 .cell--accepted")).to_have_count(1)
    page.locator("#m-1002-task-1").fill("45")
    page.locator("#m-1002-task-1").dispatch_event("change")
    expect(page.locator("#row-1002 .cell--error")).to_have_count(1)
    # The refused cell takes the focus back once its row settles: wait for that before
    # typing in the next one, or the typing lands in the refused cell.
    expect(page.locator("#m-1002-task-1")).to_be_focused()
    page.locator("#m-1003-task-1").fill("a")
    page.locator("#m-1003-task-1").dispatch_event("change")
    expect(page.locator("#row-1003 button.js-only").first).to_be_visible()


def corrected_marksheet_page(visit: Visit) -> None:
    moderated = _moderated(visit, corrected=True)
    visit.sign_in(visit.alice, f"/iamis/units/{moderated.unit.public_id}/")
    expect(visit.page.get_by_test_id("clerical-2003-task-1")).to_be_visible()


def samples_page(visit: Visit) -> None:
    moderated = _moderated(visit)
    visit.sign_in(visit.alice, f"/iamis/units/{moderated.unit.public_id}/samples/")
    visit.go(f"/iamis/units/{moderated.unit.public_id}/samples/?show=all")


def uploads_page(visit: Visit) -> None:
    moderated = _moderated(visit)
    stored_file(moderated, content=b"essay", name="essay.pdf")
    visit.sign_in(visit.alice, f"/iamis/units/{moderated.unit.public_id}/samples/")
    expect(visit.page.locator("[data-upload]").first).to_be_attached()


def file_delete_page(visit: Visit) -> None:
    moderated = _moderated(visit)
    file = stored_file(moderated, content=b"essay", name="essay.pdf")
    visit.sign_in(
        visit.alice,
        f"/iamis/units/{moderated.unit.public_id}/files/{file.public_id}/delete/",
    )


def reports_page(visit: Visit) -> None:
    moderated = _moderated(visit, corrected=True)
    visit.sign_in(visit.alice, "/iamis/reports/")
    visit.go(f"/iamis/reports/units/{moderated.unit.public_id}/")


def centre_users_page(visit: Visit) -> None:
    visit.sign_in(visit.alice, "/accounts/users/")


def invite_form_page(visit: Visit) -> None:
    visit.sign_in(visit.alice, "/accounts/users/invite/")
    visit.page.locator("main form button[type=submit]").click()
    expect(visit.page.locator(".error-summary")).to_be_visible()


def _invigilator(visit: Visit) -> User:
    _start, _end, label = AcademicYear.bounds_for(timezone.localdate())
    content_load_file(DEFAULT_CONTENT, publish=True, year_label=label)
    user = UserFactory(first_name="Iolo", last_name="Invigilator")
    membership = MembershipFactory(
        user=user,
        centre=visit.two_centres.alice_centre,
        account_type=Membership.AccountType.USER,
    )
    AccessGrant.objects.create(membership=membership, area=AccessGrant.Area.TRAINING)
    roles_assign(membership=membership, role_codes=["new-invigilator"])
    terms_accept(user=user)
    return user


def training_page(visit: Visit) -> None:
    visit.sign_in(_invigilator(visit), "/training/")


def training_staff_page(visit: Visit) -> None:
    _invigilator(visit)
    visit.sign_in(visit.alice, "/training/staff/")


def _finished_attempt(visit: Visit) -> Attempt:
    """The invigilator's first attempt at section 1, finished (first options chosen)."""
    membership = _invigilator(visit).memberships.get()
    assessment = Assessment.objects.get(code="new-invigilators-ice")
    progress = training.progress_start(membership=membership, assessment=assessment)
    training.declaration_accept(progress=progress)
    item = progress.sections.get(section__number=1)
    training.training_mark_read(section_progress=item)
    for statement in item.section.statements.all():
        item = training.statement_confirm(section_progress=item, statement=statement)
    attempt = training.attempt_current(section_progress=item)
    for question in item.section.questions.all():
        training.answer_save(
            attempt=attempt, question=question, option=question.options.first()
        )
    training.attempt_finish(attempt=attempt)
    return attempt


def training_staff_member_page(visit: Visit) -> None:
    attempt = _finished_attempt(visit)
    member = attempt.section_progress.progress.membership
    visit.sign_in(visit.alice, f"/training/staff/{member.public_id}/")


def training_staff_attempt_page(visit: Visit) -> None:
    attempt = _finished_attempt(visit)
    visit.sign_in(visit.alice, f"/training/staff/attempts/{attempt.public_id}/")


def not_found_page(visit: Visit) -> None:
    visit.sign_in(visit.alice, f"/iamis/units/{uuid4()}/")


def forbidden_page(visit: Visit) -> None:
    visit.sign_in(visit.two_centres.alice_teacher.user, "/iamis/")


def csrf_failure_page(visit: Visit) -> None:
    visit.go("/accounts/sign-in/")
    visit.choose_language()
    visit.page.context.clear_cookies()
    if visit.language != "en":
        visit.page.context.add_cookies(
            [{"name": "django_language", "value": visit.language, "url": visit.base}]
        )
    visit.page.locator("#id_email").fill("alice@alice.example")
    visit.page.locator("main button[type=submit]").click()


def session_expired_page(visit: Visit, settings) -> None:
    visit.sign_in(visit.alice, "/")
    settings.SESSION_IDLE_SECONDS = 1
    settings.SESSION_TOUCH_SECONDS = 0
    time.sleep(2.1)
    visit.go("/iamis/")
    expect(visit.page.locator("[data-testid=session-ended]")).to_be_visible()


def server_error_page(visit: Visit) -> None:
    """Django's server_error renders 500.html without a request; served here in place
    of a page so the browser loads it from the portal (with its style sheet)."""
    with translation.override(visit.language):
        body = render_to_string("500.html")

    def fulfil(route: Route) -> None:
        route.fulfill(status=500, body=body, content_type="text/html; charset=utf-8")

    visit.page.route(f"{visit.base}/broken/", fulfil)
    visit.go("/broken/")


def moderation_workspace_page(visit: Visit) -> None:
    moderated = _moderated(visit, corrected=True)
    stored_file(moderated, content=b"essay", name="essay.pdf")
    visit.sign_in(moderated.moderator, "/moderation/")
    visit.go(moderated.url("workspace"))


def clerical_correction_page(visit: Visit) -> None:
    moderated = _moderated(visit)
    visit.sign_in(moderated.moderator, moderated.url("correction", 2003))
    # With the error summary: a mark over the maximum.
    visit.page.locator("#id_task-1").fill("99")
    visit.page.locator("main form button[type=submit]").click()
    expect(visit.page.locator(".error-summary")).to_be_visible()


def moderator_report_page(visit: Visit) -> None:
    moderated = _moderated(visit)
    visit.sign_in(moderated.moderator, moderated.url("report"))


def moderate_page(visit: Visit) -> None:
    # Every member marked 8 lower: the outcome panel, its scatter and the preview show.
    moderated = _moderated(visit)
    moderate_all(moderated, EIGHT_LOWER)
    visit.sign_in(moderated.moderator, moderated.url("moderate"))
    expect(visit.page.locator("#outcome-panel svg")).to_be_visible()


def _board_staff() -> User:
    return UserFactory(email="console@board.example", is_staff=True, is_superuser=True)


def console_index_page(visit: Visit) -> None:
    proposed(visit.two_centres)
    visit.sign_in(_board_staff(), "/console/")


def console_outcome_page(visit: Visit) -> None:
    _sheet, outcome = proposed(visit.two_centres)
    visit.sign_in(_board_staff(), f"/console/outcomes/{outcome.public_id}/")


def _released(visit: Visit) -> Moderated:
    """An adjusted outcome, approved, on results day."""
    moderated, outcome = proposed(visit.two_centres)
    decide(board_client(), outcome, action="approve")
    results_day(moderated, 0)
    return moderated


def moderator_report_released_page(visit: Visit) -> None:
    moderated = _released(visit)
    visit.sign_in(moderated.moderator, moderated.url("report"))
    expect(visit.page.get_by_test_id("read-only")).to_be_visible()


def centre_report_page(visit: Visit) -> None:
    moderated = _released(visit)
    visit.sign_in(
        visit.alice, f"/iamis/units/{moderated.unit.public_id}/moderator-report/"
    )
    expect(visit.page.get_by_test_id("outcome")).to_be_visible()


def paste_page(visit: Visit) -> None:
    unit = visit.two_centres.alice_unit
    visit.sign_in(visit.alice, f"/iamis/units/{unit.public_id}/paste/")
    visit.page.locator("main textarea").fill("20\n")
    visit.page.locator("main button[name=preview]").click()
    expect(visit.page.locator("main table")).to_be_visible()


def submit_confirm_page(visit: Visit) -> None:
    unit = visit.two_centres.alice_unit
    visit.sign_in(visit.alice, f"/iamis/units/{unit.public_id}/submit/")


def profile_page(visit: Visit) -> None:
    visit.sign_in(visit.alice, "/accounts/profile/")


def dashboard_page(visit: Visit) -> None:
    _moderated(visit)
    visit.sign_in(visit.alice, "/iamis/dashboard/")


def guide_page(visit: Visit) -> None:
    # Open to anyone: read here without signing in.
    visit.go("/help/samples/")
    visit.choose_language()


def guide_index_page(visit: Visit) -> None:
    visit.go("/help/")
    visit.choose_language()


PAGES: dict[str, Callable[..., None]] = {
    "sign-in": sign_in_page,
    "mfa-code": mfa_code_page,
    "home": home_page,
    "index": index_page,
    "marksheet": marksheet_page,
    "marksheet-corrected": corrected_marksheet_page,
    "samples": samples_page,
    "uploads": uploads_page,
    "file-delete": file_delete_page,
    "reports": reports_page,
    "centre-users": centre_users_page,
    "invite-form": invite_form_page,
    "training": training_page,
    "training-staff": training_staff_page,
    "training-staff-member": training_staff_member_page,
    "training-staff-attempt": training_staff_attempt_page,
    "moderation-workspace": moderation_workspace_page,
    "clerical-correction": clerical_correction_page,
    "moderator-report": moderator_report_page,
    "moderate": moderate_page,
    "console-index": console_index_page,
    "console-outcome": console_outcome_page,
    "moderator-report-released": moderator_report_released_page,
    "centre-report": centre_report_page,
    "paste": paste_page,
    "submit-confirm": submit_confirm_page,
    "profile": profile_page,
    "dashboard": dashboard_page,
    "guide": guide_page,
    "guide-index": guide_index_page,
    "404": not_found_page,
    "403": forbidden_page,
    "csrf-failure": csrf_failure_page,
    "session-expired": session_expired_page,
    "500": server_error_page,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_or_critical_axe_violations(
    live_server, page: Page, two_centres, media, settings, name: str, language: str
):
    visit = Visit(page, live_server.url, two_centres, language)
    arrange = PAGES[name]
    if name == "session-expired":
        arrange(visit, settings)
    else:
        arrange(visit)
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_no_serious_violations(page)


def test_the_axe_check_fails_naming_the_rule_and_the_element(page: Page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>Marks</h1><input id="unlabelled" type="text"></main></body></html>'
    )

    with pytest.raises(AssertionError) as failure:
        assert_no_serious_violations(page)

    assert "[critical] label:" in str(failure.value)
    assert "#unlabelled" in str(failure.value)
