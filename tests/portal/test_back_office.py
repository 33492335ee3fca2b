"""The back office at /board/: board staff only, through the Portal's own sign-in."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_signed_in_person_who_is_not_board_staff_is_refused_not_sent_round(
    alice_client,
):
    response = alice_client.get("/board/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


def test_someone_signed_out_is_sent_to_the_portal_sign_in(client, db):
    response = client.get("/board/", follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("accounts:sign_in"))
    assert response.status_code == 200


def test_board_staff_reach_the_back_office(db):
    board = _signed_in(UserFactory(is_staff=True, is_superuser=True))

    assert board.get("/board/").status_code == 200


def test_the_back_offices_log_out_ends_every_session_of_that_person(db):
    person = UserFactory(is_staff=True, is_superuser=True)
    office, laptop = _signed_in(person), _signed_in(person)

    response = office.post("/board/logout/")

    assert response.status_code == 302
    assert response.url == reverse("accounts:sign_in")
    for client in (office, laptop):
        assert client.get("/board/").status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGN_OUT, actor=person
    ).exists()


def test_board_staff_signed_in_already_are_sent_on_from_the_sign_in_page(db):
    board = _signed_in(UserFactory(is_staff=True, is_superuser=True))

    response = board.get("/board/login/?next=/board/audit/")

    assert response.status_code == 302
    assert response.url == "/board/audit/"
