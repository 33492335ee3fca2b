"""The step-by-step guide: our own pages in both languages, and each screen's INFO box
saying what its guide page says."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from guides.topics import TOPICS, topic_get
from tests.sampling.sheets import ready_sample


def _says(page: str, slug: str, language: str = "en") -> None:
    with translation.override(language):
        topic = topic_get(slug)
        for point in topic.key_points:
            assert escape(str(point)) in page, f"{slug}: missing {point!r}"
        link = reverse("guides:topic", args=[slug])
    assert f'href="{link}"' in page or f'href="/{language}' in page or link in page


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.slug)
def test_every_guide_page_opens_without_signing_in_and_shows_its_box(client, db, topic):
    response = client.get(reverse("guides:topic", args=[topic.slug]))

    assert response.status_code == 200
    page = response.text
    assert str(topic.title) in page
    for point in topic.key_points:
        assert escape(str(point)) in page
    # Steps of its own, not just the box.
    assert page.count("<li>") >= len(topic.key_points) + 3


def test_the_guide_index_lists_every_topic(client, db):
    page = client.get(reverse("guides:index")).text

    for topic in TOPICS:
        assert reverse("guides:topic", args=[topic.slug]) in page


def test_an_unknown_topic_is_not_found(client, db):
    assert client.get(reverse("guides:topic", args=["nothing-here"])).status_code == 404


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.slug)
def test_every_guide_page_is_in_welsh_when_welsh_is_chosen(client, db, topic):
    client.cookies[_language_cookie()] = "cy"

    page = client.get(reverse("guides:topic", args=[topic.slug])).text

    assert '<html lang="cy"' in page
    with translation.override("cy"):
        welsh = [str(point) for point in topic.key_points] + [str(topic.title)]
    with translation.override("en"):
        english = [str(point) for point in topic.key_points] + [str(topic.title)]
    for cy, en in zip(welsh, english, strict=True):
        assert cy != en, f"{en!r} has no Welsh translation"
        assert escape(cy) in page


def _language_cookie() -> str:
    from django.conf import settings

    return settings.LANGUAGE_COOKIE_NAME


def test_each_screen_has_the_info_box_of_its_guide(alice_client, two_centres):
    sample = ready_sample(two_centres)
    screens = {
        reverse("iamis:index"): "marks",
        reverse("iamis:marksheet", args=[two_centres.alice_unit.public_id]): "marks",
        reverse("sampling:samples", args=[sample.unit.public_id]): "samples",
        reverse("reports:index"): "reports",
        reverse("accounts:centre_users"): "centre-users",
        reverse("portal:manage_centre"): "exams-officer",
    }
    for url, slug in screens.items():
        response = alice_client.get(url)
        assert response.status_code == 200, url
        _says(response.text, slug)


def test_the_sign_in_page_has_the_sign_in_box(client, db):
    _says(client.get(reverse("accounts:sign_in")).text, "sign-in")


def test_the_screens_box_follows_the_chosen_language(alice_client, two_centres):
    alice_client.cookies[_language_cookie()] = "cy"

    page = alice_client.get(reverse("iamis:index")).text

    _says(page, "marks", language="cy")


def test_the_sample_page_of_an_upload_unit_has_the_uploads_box(
    alice_client, two_centres
):
    sample = ready_sample(two_centres)
    unit = sample.unit
    unit.evidence = unit.Evidence.UPLOAD_ONLY
    unit.save()

    page = alice_client.get(reverse("sampling:samples", args=[unit.public_id])).text

    _says(page, "uploads")


def test_guides_need_no_account(db):
    assert Client().get(reverse("guides:index")).status_code == 200
