"""The data migration that cleans texts stored before they were sanitized on save."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from forum.tests.factories import PersonFactory

BEFORE = [("forum", "0008_sanitized_texts")]
AFTER = [("forum", "0009_strip_markup_from_stored_texts")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_markup_stored_before_sanitizing_is_removed_and_plain_text_kept():
    dirty = PersonFactory(name="Dirty")
    clean = PersonFactory(name="Clean")
    migrate(BEFORE)
    with connection.cursor() as cursor:  # written as an old release stored it, past the field's cleaning
        cursor.execute(
            "UPDATE forum_person SET bio = %s WHERE id = %s",
            ['Mayor <script>alert(1)</script>of <b>Quito</b> &amp; "a < b"', dirty.pk],
        )
        cursor.execute("UPDATE forum_person SET bio = %s WHERE id = %s", ["Migrants & refugees, a < b", clean.pk])

    migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, bio FROM forum_person WHERE id IN (%s, %s)", [dirty.pk, clean.pk])
        stored = dict(cursor.fetchall())
    assert stored[dirty.pk] == 'Mayor of Quito & "a < b"'
    assert stored[clean.pk] == "Migrants & refugees, a < b"
