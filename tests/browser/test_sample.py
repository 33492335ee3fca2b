"""Submit the 350-candidate demo unit, wait for the sample, add, fail to remove, substitute."""

from __future__ import annotations

import io
import re

import pyotp
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from playwright.sync_api import Page, expect

from iamis.models import Entry
from portal.celery import app
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from sampling.models import Sample, SampleMember
from tests.iamis.marking import fill

from .test_invite_and_access import _sign_in


@pytest.mark.django_db(transaction=True)
def test_the_350_candidate_unit_is_sampled_and_the_centre_works_with_the_sample(
    live_server, page: Page
):
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())
    entries = Entry.objects.filter(
        unit__code="3400U4", centre__number=68999
    ).select_related("candidate", "centre", "unit")
    for index, entry in enumerate(entries):
        fill(entry, str((index * 37) % 61))
    unit = entries[0].unit

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        _sign_in(
            page,
            live_server.url,
            "teacher.ab@bryn-glas.example",
            pyotp.TOTP(DEMO_TOTP_SECRET).now(),
            password=DEMO_PASSWORD,
        )
        page.goto(f"{live_server.url}/iamis/")
        page.get_by_role("link", name="SUBMIT MARKS AND GENERATE SAMPLES (350)").click()
        page.get_by_role(
            "button", name="Yes, submit marks and generate samples"
        ).click()
        page.get_by_role("link", name="View samples").click()
        expect(page.get_by_text("25 candidates in the sample.")).to_be_visible(
            timeout=30_000
        )

    sample = Sample.objects.get(unit=unit)
    assert sample.members.count() == 25
    expect(page.get_by_text(re.compile(r"^highest mark"))).to_be_visible()

    # Add one candidate.
    page.get_by_role("link", name="Show: All (to add candidates)").click()
    page.get_by_role("button", name=re.compile("^Add to sample")).first.click()
    expect(page.get_by_text(re.compile(r"\d{4} added to the sample\."))).to_be_visible()
    assert sample.members.filter(origin=SampleMember.Origin.CENTRE).count() == 1

    # A system member cannot be removed: no button, and the server refuses a crafted post.
    system = (
        sample.members.filter(origin=SampleMember.Origin.SYSTEM)
        .select_related("entry__candidate")
        .first()
    )
    number = system.entry.candidate.number
    page.goto(f"{live_server.url}/iamis/units/{unit.public_id}/samples/")
    row = page.locator(f"#sample-{number}")
    expect(row.get_by_text("Cannot be removed")).to_be_visible()
    # A forged request (the page offers no button): the server refuses and says why on
    # the page the request is sent back to.
    answer = page.evaluate(
        """async (url) => {
            const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
            return await r.text();
        }""",
        f"/iamis/units/{unit.public_id}/samples/{number}/remove/",
    )
    assert "You cannot remove candidates chosen by the system or" in answer
    assert sample.members.filter(entry=system.entry).exists()

    # Substitute one whose work is lost.
    page.locator(f"#sample-{number}").get_by_role(
        "link", name=re.compile("Work lost or incomplete")
    ).click()
    page.get_by_label("Explanatory note to the moderator").fill(
        "The folder was lost in the post."
    )
    page.get_by_role("button", name="Replace in the sample").click()
    expect(
        page.get_by_text(re.compile(rf"\d{{4}} replaces {number:04d} in the sample\."))
    ).to_be_visible()
    expect(page.locator(f"#sample-{number}")).to_contain_text("work unavailable")
    assert sample.members.filter(origin=SampleMember.Origin.SUBSTITUTE).count() == 1
