import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from forum.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_organizer", *args, stdout=out)
    return out.getvalue()


def test_create_organizer_prints_credentials_that_log_into_the_admin(client):
    output = run()

    password = output.split("password: ")[1].strip()
    assert "organizer@example.org" in output
    assert client.login(email="organizer@example.org", password=password)
    assert client.get("/admin/").status_code == 200
    assert EmailAddress.objects.get(email="organizer@example.org").verified


def test_create_organizer_twice_keeps_one_account_with_the_new_password(client):
    run("--password", "first-Password-1")
    run("--email", "ORGANIZER@example.org", "--password", "second-Password-2")

    assert User.objects.count() == 1
    assert client.login(email="organizer@example.org", password="second-Password-2")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "not-an-email"), "Enter a valid email address."),
        (("--password", "x"), "This password is too short."),
    ],
)
def test_create_organizer_refuses_a_bad_address_or_weak_password(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not User.objects.exists()
