"""The training content that ships with the portal, and what the README says of it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from training.content import DEFAULT_CONTENT

pytestmark = pytest.mark.django_db

WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_the_readme_says_how_many_assessments_the_shipped_set_has(year):
    readme = " ".join((settings.BASE_DIR / "README.md").read_text().split())

    stated = re.search(
        r"the shipped set \(`training/data/(?P<file>[^`]+)`[^)]*\) has "
        r"(?P<count>\w+) assessments",
        readme,
    )

    assert stated, "README.md no longer says how many assessments the shipped set has"
    assert stated["file"] == DEFAULT_CONTENT.name
    assert stated["count"] == WORDS[year.assessments.count()]
