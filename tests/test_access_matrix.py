"""The access matrix (tests/access_matrix.py): every URL pattern is declared, and every
role gets exactly the declared status from every one, for its own centre's objects and
another centre's, with refused POSTs writing nothing."""

from __future__ import annotations

import pytest

from tests.access_matrix import POLICIES, ROLES, ROUTES, Policy, Role, Route
from tests.access_walk import RoleWalk, declaration_problems, walk_role
from tests.access_world import build_world

PLANTED = "tests.planted_urls"

# Each role's walk, kept for tests/test_security_headers.py, which checks the headers
# of the same responses: the matrix is walked once per role in a run.
WALKS: dict[Role, RoleWalk] = {}


def role_walk(two_centres, role: Role) -> RoleWalk:
    if role not in WALKS:
        WALKS[role] = walk_role(build_world(two_centres), role)
    return WALKS[role]


def test_every_policy_says_what_each_of_the_nine_roles_gets():
    assert set(POLICIES) == set(Policy)
    assert all(len(row) == len(ROLES) == 9 for row in POLICIES.values())


def test_every_url_pattern_is_declared_and_every_declaration_is_a_pattern():
    assert declaration_problems() == []


def test_a_pattern_missing_from_the_declaration_is_reported_with_its_keywords():
    problems = declaration_problems(urlconf=PLANTED)

    assert len(problems) == 4
    assert all("planted/" in problem for problem in problems)
    assert any(
        ":planted_undeclared) is not declared" in problem for problem in problems
    )
    assert any("['widget_id'] have no value" in problem for problem in problems)


def test_a_declared_name_that_no_longer_resolves_is_reported():
    routes = {**ROUTES, "iamis:retired_page": Route(Policy.IAMIS, get=200)}

    problems = declaration_problems(routes=routes)

    assert problems == [
        "iamis:retired_page is declared in tests/access_matrix.py but no URL pattern "
        "has that name"
    ]


@pytest.fixture
def planted(settings, two_centres):
    settings.ROOT_URLCONF = PLANTED
    routes = {
        **ROUTES,
        ":planted_tells_foreign_from_missing": Route(Policy.IAMIS, get=200, post=200),
        ":planted_writes_before_checking": Route(Policy.CENTRE_ADMIN, post=200),
    }
    return build_world(two_centres), routes


def test_the_walk_reports_a_403_for_another_centres_object(planted):
    world, routes = planted

    walk = walk_role(
        world,
        Role.EXAMS_OFFICER,
        urlconf=PLANTED,
        routes=routes,
        only={":planted_tells_foreign_from_missing"},
    )

    assert len(walk.problems) == 2
    assert all(
        "(:planted_tells_foreign_from_missing, foreign): expected 404, got 403" in p
        for p in walk.problems
    )


def test_the_walk_reports_a_refused_post_that_writes(planted):
    world, routes = planted

    walk = walk_role(
        world,
        Role.TEACHER,
        urlconf=PLANTED,
        routes=routes,
        only={":planted_writes_before_checking"},
    )

    # The own-centre POST renames a candidate before refusing; the foreign one finds
    # nothing to rename. GETs are refused with 405 before the view runs.
    assert [p.split(": ", 1)[1] for p in walk.problems] == [
        "refused, but the database changed"
    ]
    assert "POST /planted/candidates/1001/" in walk.problems[0]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_gets_the_declared_status_from_every_url(two_centres, role):
    walk = role_walk(two_centres, role)

    assert walk.problems == []
    assert walk.requests > 300
