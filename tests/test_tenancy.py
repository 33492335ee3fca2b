"""Tenancy: no URL shows or changes another centre's data (see tenancy_walker.py)."""

from __future__ import annotations

from .tenancy_walker import iter_probes, walk_as_foreign_member


def test_no_url_pattern_leaks_another_centres_data(two_centres):
    report = walk_as_foreign_member(two_centres)

    assert report.problems == []
    assert len(report.probed) == len(list(iter_probes()))


def test_walk_covers_the_centre_facing_urls(two_centres):
    names = {
        f"{p.namespace}:{p.name}" for p in walk_as_foreign_member(two_centres).probed
    }

    assert {
        "portal:home",
        "iamis:index",
        "iamis:marksheet",
        "iamis:candidate_detail",
        "accounts:choose_centre",
    } <= names


def test_walker_catches_a_view_that_forgets_the_access_helper(two_centres, settings):
    settings.ROOT_URLCONF = "tests.leaky_urls"

    report = walk_as_foreign_member(two_centres, urlconf="tests.leaky_urls")

    leaks = [problem for problem in report.problems if "leaky/" in problem]
    assert any("shows Alice's data" in problem for problem in leaks)
    assert any("foreign object gave 200" in problem for problem in leaks)
    # Only the planted bug is reported: the real URLs stay clean, and the view that
    # forgets its filter but keeps the default manager is held by the centre scope.
    assert all("leaky/" in problem for problem in report.problems)
    assert any(probe.name == "forgetful_candidate" for probe in report.probed)
