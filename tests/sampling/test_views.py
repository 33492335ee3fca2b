"""The View samples page: generating, reasons in words, add, take out, substitute."""

from __future__ import annotations

from django.urls import reverse

from iamis.marks import marks_submit
from sampling.models import SampleMember

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
