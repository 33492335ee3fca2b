"""The View samples page: generating, reasons in words, add, take out, substitute."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sampling.models import SampleMember
from sampling.services import marks_submit, sample_generate
from tests.factories import CandidateFactory, EntryFactory, TaskFactory, UnitFactory
from tests.iamis.marking import fill

from .sheets import entry_of, ready_sample, worked_sheet


def _url(unit, **query):
    url = reverse("sampling:samples", args=[unit.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_while_generating_the_page_says_so_and_polls(alice_client, two_centres):
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    page = alice_client.get(_url(unit))
    poll = alice_client.get(_url(unit), headers={"HX-Request": "true"})

    assert "Generating sample..." in page.text
    assert 'hx-trigger="every 2s"' in page.text
    assert poll.text.strip().startswith('<div id="sample-panel"')


def test_the_sample_lists_each_member_with_its_reason_in_words(
    alice_client, two_centres
):
    sample = ready_sample(two_centres)

    response = alice_client.get(_url(sample.unit))

    assert "5 candidates in the sample." in response.text
    assert "highest mark" in response.text
    assert "lowest mark" in response.text
    assert "spread across the range" in response.text
    assert "hx-trigger" not in response.text


def test_show_all_lets_the_centre_add_a_candidate(alice_client, two_centres):
    sample = ready_sample(two_centres)

    listing = alice_client.get(_url(sample.unit, show="all"))
    added = alice_client.post(
        reverse("sampling:member_add", args=[sample.unit.public_id, 2002]), follow=True
    )

    assert "Add to sample" in listing.text
    assert "2002 added to the sample." in added.text
    assert SampleMember.objects.filter(
        sample=sample, entry=entry_of(sample, 1002)
    ).exists()


def test_removing_a_system_member_is_refused_by_the_server(alice_client, two_centres):
    sample = ready_sample(two_centres)

    response = alice_client.post(
        reverse("sampling:member_remove", args=[sample.unit.public_id, 2001]),
        follow=True,
    )

    # The refusal itself, not the page's standing INFO box that says the rule.
    assert "You cannot remove candidates chosen by the system or" in response.text
    assert SampleMember.objects.filter(
        sample=sample, entry=entry_of(sample, 1001)
    ).exists()


def test_a_centre_added_member_can_be_taken_out(alice_client, two_centres):
    sample = ready_sample(two_centres)
    alice_client.post(
        reverse("sampling:member_add", args=[sample.unit.public_id, 2002])
    )

    alice_client.post(
        reverse("sampling:member_remove", args=[sample.unit.public_id, 2002])
    )

    assert not SampleMember.objects.filter(
        sample=sample, entry=entry_of(sample, 1002)
    ).exists()


def test_substituting_lost_work_from_the_page(alice_client, two_centres):
    sample = ready_sample(two_centres)
    url = reverse("sampling:substitute", args=[sample.unit.public_id, 2006])

    form = alice_client.get(url)
    no_note = alice_client.post(url, {"replacement": "2005", "note": ""})
    done = alice_client.post(
        url, {"replacement": "2005", "note": "Lost in the post."}, follow=True
    )

    assert "Nearest above: 2005" in form.text and "Nearest below: 2007" in form.text
    assert "explanatory note" in no_note.text
    assert "2005 replaces 2006 in the sample." in done.text
    assert "work unavailable" in done.text
    assert "replaces 2006" in done.text


def test_the_sample_page_needs_the_iamis_grant(client, two_centres):
    sample = ready_sample(two_centres)
    client.force_login(two_centres.alice_teacher.user)

    assert client.get(_url(sample.unit)).status_code == 403


def _shuffled_sheet(two_centres, values: dict[int, str], **unit_fields):
    """A submitted sheet whose candidate numbers are not in mark order."""
    unit = UnitFactory(sample_size_table=[[5, "ALL"], ["inf", 5]], **unit_fields)
    field = "grade" if unit.is_outcome_unit else "task-1"
    if not unit.is_outcome_unit:
        TaskFactory(unit=unit, number=1, max_mark=40)
    for number, value in values.items():
        candidate = CandidateFactory(centre=two_centres.alice_centre, number=number)
        fill(EntryFactory(candidate=candidate, unit=unit), value, field=field)
    submission = marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    return sample_generate(submission_id=submission.pk)


def _listed(page) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="sample-(\d+)"', page.text)]


def test_the_sample_is_listed_in_rank_order_with_added_candidates_in_place(
    alice_client, two_centres
):
    marks = {3001: 12, 3002: 40, 3003: 25, 3004: 33, 3005: 3, 3006: 38, 3007: 20}
    marks |= {3008: 30, 3009: 15}
    sample = _shuffled_sheet(two_centres, {n: str(m) for n, m in marks.items()})
    chosen = set(sample.members.values_list("entry__candidate__number", flat=True))
    added = next(n for n in sorted(marks, key=marks.get) if n not in chosen)
    alice_client.post(
        reverse("sampling:member_add", args=[sample.unit.public_id, added])
    )

    page = alice_client.get(_url(sample.unit))

    listed = _listed(page)
    assert set(listed) == chosen | {added}
    assert listed == sorted(listed, key=lambda n: -marks[n])
    assert "Listed in rank order, highest mark first." in page.text


def test_show_all_stays_in_candidate_number_order(alice_client, two_centres):
    marks = {3101: "10", 3102: "40", 3103: "25", 3104: "33", 3105: "5", 3106: "38"}
    sample = _shuffled_sheet(two_centres, marks)

    listed = _listed(alice_client.get(_url(sample.unit, show="all")))

    assert listed == sorted(marks)


def test_an_outcome_units_sample_gives_grades_not_marks_as_reasons(
    alice_client, two_centres
):
    grades = {3201: "Pass", 3202: "Distinction", 3203: "Merit", 3204: "Pass"}
    grades |= {3205: "Merit", 3206: "Distinction", 3207: "Pass"}
    sample = _shuffled_sheet(
        two_centres,
        grades,
        assessment="outcomes",
        grade_scale=["Distinction", "Merit", "Pass"],
    )

    page = alice_client.get(_url(sample.unit))

    assert "highest grade" in page.text
    assert "lowest grade" in page.text
    assert "highest mark" not in page.text
    assert "lowest mark" not in page.text
    assert "Listed in rank order, highest grade first." in page.text
    order = ["Distinction", "Merit", "Pass"]
    listed = _listed(page)
    assert listed == sorted(listed, key=lambda n: (order.index(grades[n]), n))


POLL = {"HX-Request": "true", "X-Background-Poll": "true"}


def test_a_poll_while_generating_is_answered_from_one_query(alice_client, two_centres):
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )
    alice_client.get(_url(unit), headers=POLL)  # the user and membership read once

    with CaptureQueriesContext(connection) as captured:
        poll = alice_client.get(_url(unit), headers=POLL)

    assert poll.text.strip().startswith('<div id="sample-panel"')
    assert "Generating sample..." in poll.text
    assert 'hx-trigger="every 2s"' in poll.text
    sqls = [q["sql"] for q in captured.captured_queries]
    assert len(sqls) == 2, sqls  # the user, and the sample's status with access checked
    assert '"sampling_sample"' in sqls[1]


def test_a_poll_once_the_sample_is_ready_gets_the_whole_panel(
    alice_client, two_centres
):
    sample = ready_sample(two_centres)

    poll = alice_client.get(_url(sample.unit), headers=POLL)

    assert "5 candidates in the sample." in poll.text
    assert "hx-trigger" not in poll.text


def test_a_poll_for_another_centres_sample_is_not_found(charlie_client, two_centres):
    unit = worked_sheet(two_centres)
    marks_submit(
        centre=two_centres.alice_centre, unit=unit, acting_user=two_centres.alice
    )

    assert charlie_client.get(_url(unit), headers=POLL).status_code == 404


def test_the_count_of_the_sample_leaves_out_members_whose_work_is_unavailable(
    alice_client, two_centres
):
    """Added and substituted candidates count; the one a substitute replaces stays
    listed, flagged, but is not counted, on either Show. The page counts its rows'
    members rather than asking the database again."""
    sample = ready_sample(two_centres)
    alice_client.post(
        reverse("sampling:member_add", args=[sample.unit.public_id, 2002])
    )
    alice_client.post(
        reverse("sampling:substitute", args=[sample.unit.public_id, 2006]),
        {"replacement": "2005", "note": "Lost in the post."},
    )
    stored = SampleMember.objects.filter(sample=sample).count()

    samples = alice_client.get(_url(sample.unit))
    everyone = alice_client.get(_url(sample.unit, show="all"))

    assert stored == 7
    for page in (samples, everyone):
        assert "6 candidates in the sample." in page.text
        assert 'id="sample-2006" class="sample-row--unavailable"' in page.text
        assert "work unavailable" in page.text
