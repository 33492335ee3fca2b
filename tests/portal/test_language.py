from __future__ import annotations

from accounts.models import User


def test_the_language_switch_is_remembered_on_the_account(alice_client, two_centres):
    response = alice_client.post("/i18n/setlang/", {"language": "cy", "next": "/"})

    assert response.status_code == 302
    assert User.objects.get(pk=two_centres.alice.pk).language == "cy"


def test_pages_follow_the_chosen_language(alice_client, two_centres):
    alice_client.post("/i18n/setlang/", {"language": "cy", "next": "/"})

    response = alice_client.get("/accounts/sign-in/", follow=True)

    assert '<html lang="cy">' in response.text


def test_anonymous_visitors_can_switch_language_too(client, db):
    response = client.post(
        "/i18n/setlang/", {"language": "cy", "next": "/accounts/sign-in/"}, follow=True
    )

    assert "Mewngofnodi i'r Porth" in response.text
