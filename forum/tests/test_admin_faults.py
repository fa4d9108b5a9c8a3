"""The database refusing a write: which errors count as a refusal (``is_write_refusal``), and
the admin's answer to one (a message on the page, nothing stored, no 500) and to any other
database error (a 500, logged).

A refusal is faked as Django raises it on the test database (``database_error``): on
SQLite with SQLite's message, on PostgreSQL caused by a driver error carrying the
SQLSTATE. The patched model methods write for real and then raise, so the tests also
show that what they wrote is rolled back. The other fault tests import these fakes.
"""

import logging
from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, ProgrammingError, connection, transaction
from django.db.models import F
from django.urls import reverse

from forum.db_errors import is_write_refusal
from forum.models import Forum, Organization
from forum.tests.db_refusals import (
    ADMIN_REFUSED,
    lock_timeout,
    lost_column,
    not_null_violation,
    unique_violation,
)
from forum.tests.factories import ForumFactory
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.django_db


class _Cause(Exception):
    """A driver error with a SQLSTATE under psycopg2's name (``pgcode``) or psycopg 3's (``sqlstate``)."""

    def __init__(self, **code):
        super().__init__("")
        self.__dict__.update(code)


def _caused(error: DatabaseError, **code) -> DatabaseError:
    error.__cause__ = _Cause(**code)
    return error


def _error_id(error: Exception) -> str:
    code = vars(error.__cause__) if error.__cause__ is not None else {}
    return " ".join([type(error).__name__, *(f"{name}={value}" for name, value in code.items()), str(error)])


@pytest.mark.parametrize(
    ("error", "refusal"),
    [
        (_caused(OperationalError("lock"), pgcode="55P03"), True),
        (_caused(OperationalError("deadlock"), pgcode="40P01"), True),
        (_caused(OperationalError("serialization"), pgcode="40001"), True),
        (_caused(OperationalError("serialization"), sqlstate="40001"), True),
        (_caused(IntegrityError("unique"), pgcode="23505"), True),
        (_caused(IntegrityError("exclusion"), pgcode="23P01"), True),
        (_caused(IntegrityError("check"), pgcode="23514"), True),
        (_caused(IntegrityError("foreign key"), sqlstate="23503"), True),
        (_caused(IntegrityError("not null"), pgcode="23502"), False),
        (_caused(IntegrityError("UNIQUE constraint failed: x"), pgcode="23502"), False),
        (_caused(OperationalError("shutdown"), pgcode="57P01"), False),
        (_caused(OperationalError("query canceled"), pgcode="57014"), False),
        (_caused(OperationalError("lock"), pgcode="23505"), False),
        (_caused(IntegrityError("unique"), pgcode="55P03"), False),
        (_caused(OperationalError("server closed the connection unexpectedly"), pgcode=None), False),
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked: forum_organization"), True),
        (IntegrityError("UNIQUE constraint failed: forum_organization.slug"), True),
        (IntegrityError("CHECK constraint failed: forum_end_date_not_before_start"), True),
        (IntegrityError("FOREIGN KEY constraint failed"), True),
        (IntegrityError("NOT NULL constraint failed: forum_organization.kind"), False),
        (OperationalError("no such column: forum_organization.website"), False),
        (OperationalError("no such table: forum_organization"), False),
        (IntegrityError("database is locked"), False),
        (ProgrammingError("database is locked"), False),
        (ValueError("database is locked"), False),
    ],
    ids=lambda value: _error_id(value) if isinstance(value, Exception) else None,
)
def test_only_a_lock_wait_or_a_unique_check_or_foreign_key_constraint_is_a_refusal(error, refusal):
    assert is_write_refusal(error) is refusal


def _raised_by(write) -> DatabaseError:
    """The database error ``write`` (a function) gets from the test database, in a savepoint."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        write()
    return raised.value


def test_the_test_databases_own_errors_are_told_apart():
    organization = Organization.objects.create(name="Cities Alliance", slug="cities-alliance")
    forum = ForumFactory()
    stored = Organization.objects.filter(pk=organization.pk)

    def select_a_missing_column():
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM forum_organization")

    assert is_write_refusal(_raised_by(lambda: Organization.objects.create(name="Other", slug="cities-alliance")))
    assert is_write_refusal(
        _raised_by(lambda: Forum.objects.filter(pk=forum.pk).update(end_date=F("start_date") - timedelta(days=1)))
    )
    assert not is_write_refusal(_raised_by(lambda: stored.update(kind=None)))
    assert not is_write_refusal(_raised_by(select_a_missing_column))


def organization_post(name: str) -> dict[str, str]:
    """The add form of an organization, filled in as an organizer would."""
    return {"name_en": name, "name_es": "", "acronym_en": "", "acronym_es": "", "kind": "other", "slug": "new-org"}


def write_then_raise(monkeypatch, method: str, error) -> None:
    """Make ``Organization.<method>`` (save or delete) do its write and then raise ``error()``."""
    real = getattr(Organization, method)

    def written_then_refused(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise error()

    monkeypatch.setattr(Organization, method, written_then_refused)


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        # SafeChangesMixin's own answer to a constraint (two saves at once).
        (unique_violation, "so nothing was saved"),
        (lock_timeout, ADMIN_REFUSED),
    ],
    ids=["constraint", "lock-timeout"],
)
def test_a_refused_admin_save_says_so_and_stores_nothing(admin_client, monkeypatch, refusal, message):
    write_then_raise(monkeypatch, "save", refusal)
    url = reverse("admin:forum_organization_add")

    response = admin_client.post(url, organization_post("Cities Alliance"))

    assert response.status_code == 302
    assert response["Location"] == url
    assert message in page_text(admin_client.get(url).content)
    assert not Organization.objects.filter(name="Cities Alliance").exists()


def test_a_refused_admin_delete_keeps_the_row(admin_client, monkeypatch):
    organization = Organization.objects.create(name="Cities Alliance", slug="cities-alliance")
    write_then_raise(monkeypatch, "delete", lock_timeout)
    url = reverse("admin:forum_organization_delete", args=[organization.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    text = page_text(admin_client.get(url).content)
    assert ADMIN_REFUSED in text
    assert "nothing was changed" not in text
    assert Organization.objects.filter(pk=organization.pk).exists()


@pytest.mark.parametrize("error", [not_null_violation, lost_column], ids=["not-null", "lost-column"])
def test_a_database_error_that_is_no_refusal_is_a_logged_500_and_keeps_the_row(
    admin_client, monkeypatch, caplog, error
):
    organization = Organization.objects.create(name="Cities Alliance", slug="cities-alliance")
    write_then_raise(monkeypatch, "delete", error)
    admin_client.raise_request_exception = False

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = admin_client.post(
            reverse("admin:forum_organization_delete", args=[organization.pk]), {"post": "yes"}
        )

    assert response.status_code == 500
    assert [record.exc_info[0] for record in caplog.records if record.name == "django.request"] == [type(error())]
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_a_not_null_bug_on_an_admin_save_is_a_500_not_the_concurrent_save_message(admin_client, monkeypatch):
    write_then_raise(monkeypatch, "save", not_null_violation)
    admin_client.raise_request_exception = False

    response = admin_client.post(reverse("admin:forum_organization_add"), organization_post("Cities Alliance"))

    assert response.status_code == 500
    assert not Organization.objects.filter(name="Cities Alliance").exists()


def test_other_errors_are_left_to_django(admin_client, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(Organization, "save", fail)
    admin_client.raise_request_exception = True

    with pytest.raises(ValueError, match="a bug"):
        admin_client.post(reverse("admin:forum_organization_add"), organization_post("Cities Alliance"))
