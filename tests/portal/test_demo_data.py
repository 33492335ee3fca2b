from __future__ import annotations

import io

import pyotp
import pytest
from django.core.management import call_command

from accounts.models import User
from centres.models import Membership
from iamis.models import Candidate, Entry, Unit
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET


@pytest.mark.django_db
def test_demo_data_has_every_kind_of_unit_and_prints_how_to_sign_in():
    out = io.StringIO()

    call_command("demo_data", "--allow-debug-off", stdout=out)

    text = out.getvalue()
    assert "eo@bryn-glas.example" in text
    assert DEMO_PASSWORD in text
    units = {unit.code: unit for unit in Unit.objects.prefetch_related("tasks")}
    assert [t.max_mark for t in units["3720U4"].tasks.all()] == [40]
    assert [t.max_mark for t in units["3700U1"].tasks.all()] == [40, 40]
    assert units["9613/L3"].grade_scale == ["Distinction", "Merit", "Pass"]
    assert units["3690U1"].initials_required
    assert units["6990U4"].carry_forward_allowed
    assert units["3500UA"].evidence == Unit.Evidence.E_SUBMISSION
    assert (
        Entry.objects.filter(unit=units["3400U4"], centre__number=68999).count() == 350
    )


@pytest.mark.django_db
def test_demo_data_prints_the_address_the_portal_is_served_at(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = io.StringIO()

    call_command("demo_data", "--allow-debug-off", stdout=out)

    assert "Sign in at http://127.0.0.1:8123/ with any of these accounts:" in (
        out.getvalue()
    )


@pytest.mark.django_db
def test_demo_data_has_the_people_the_issue_lists():
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    types = Membership.AccountType
    assert Membership.objects.filter(account_type=types.EXAMS_OFFICER).count() == 2
    assert Membership.objects.filter(account_type=types.ADMIN).count() == 1
    assert (
        Membership.objects.filter(centre__number=68999, account_type=types.USER).count()
        == 3  # two teachers and an invigilator
    )
    assert User.objects.filter(is_moderator=True).count() == 1
    assert User.objects.get(email="board@example.org").is_staff
    assert User.objects.get(email="eo@bryn-glas.example").check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing():
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())
    counts = (User.objects.count(), Candidate.objects.count(), Entry.objects.count())

    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    assert (
        User.objects.count(),
        Candidate.objects.count(),
        Entry.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_demo_users_sign_in(client):
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    client.post("/accounts/sign-in/", {"email": "teacher.ab@bryn-glas.example"})
    client.post("/accounts/sign-in/password/", {"password": DEMO_PASSWORD})
    response = client.post(
        "/accounts/sign-in/code/",
        {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()},
        follow=True,
    )

    assert "Ysgol Bryn Glas (68999)" in response.text
    assert "Internal Assessment Marks/Outcomes" in response.text


@pytest.mark.django_db
def test_board_staff_reach_the_back_office_only_through_the_portal_sign_in(client):
    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    response = client.get("/board/")

    assert response.status_code == 302
    login = client.get(response.url)
    assert login.status_code == 302
    assert login.url.startswith("/accounts/sign-in/")


@pytest.mark.django_db
def test_demo_data_refuses_to_run_with_debug_off_unless_asked_in_so_many_words():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--allow-debug-off"):
        call_command("demo_data", stdout=io.StringIO())

    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_data_runs_with_debug_on(settings):
    settings.DEBUG = True

    call_command("demo_data", stdout=io.StringIO())

    assert User.objects.filter(email="eo@bryn-glas.example").exists()


@pytest.mark.django_db
def test_every_demo_account_is_known_to_the_deploy_check():
    from portal.demo import DEMO_EMAILS

    call_command("demo_data", "--allow-debug-off", stdout=io.StringIO())

    assert set(User.objects.values_list("email", flat=True)) == set(DEMO_EMAILS)
