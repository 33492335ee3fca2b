from __future__ import annotations

from django.urls import reverse

from tests.factories import PASSWORD

SIGN_IN = "/accounts/sign-in/"


def test_member_signs_in_with_email_and_password_and_sees_their_centre(
    client, two_centres
):
    response = client.post(
        SIGN_IN, {"username": "alice@alice.example", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert "Alice Academy (68999)" in response.text


def test_email_is_matched_without_regard_to_case(client, two_centres):
    response = client.post(
        SIGN_IN, {"username": "ALICE@Alice.Example", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(two_centres.alice.pk)


def test_wrong_password_and_unknown_email_get_the_same_message(client, two_centres):
    wrong_password = client.post(
        SIGN_IN, {"username": "alice@alice.example", "password": "not-it"}
    )
    unknown_email = client.post(
        SIGN_IN, {"username": "nobody@alice.example", "password": "not-it"}
    )

    message = "The email address or password is not right."
    assert message in wrong_password.text
    assert message in unknown_email.text
    assert "_auth_user_id" not in client.session


def test_signing_in_gives_a_new_session_id(client, two_centres):
    client.get(SIGN_IN)
    client.session.save()
    before = client.session.session_key

    client.post(SIGN_IN, {"username": "alice@alice.example", "password": PASSWORD})

    assert client.session.session_key != before


def test_pages_need_sign_in(client, two_centres):
    response = client.get(reverse("iamis:index"))

    assert response.status_code == 302
    assert response.url.startswith(f"{SIGN_IN}?next=")


def test_sign_out_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/accounts/sign-out/").status_code == 405

    response = alice_client.post("/accounts/sign-out/")

    assert response.status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_sessions_expire_after_twenty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 20 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
