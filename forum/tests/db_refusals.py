"""Database errors as the test database raises them, for the tests of what a refused
write does (``forum.db_errors``): built from the driver's error the way Django wraps it."""

import sqlite3

from django.db import DatabaseError, IntegrityError, OperationalError, connection

ADMIN_REFUSED = "The database refused this change just now; the page shows what is stored. Please try again."


class DriverError(Exception):
    """A psycopg2 error as the server sends it: the message, and the SQLSTATE as ``pgcode``."""

    def __init__(self, message: str, pgcode: str | None):
        super().__init__(message)
        self.pgcode = pgcode


def database_error(error_class: type[DatabaseError], sqlite: str, postgresql: tuple[str | None, str]):
    """``error_class`` as Django raises it on the test database, from the driver's error: on
    SQLite with SQLite's message ``sqlite``; on PostgreSQL with ``postgresql`` (SQLSTATE or
    None, message), the SQLSTATE on the cause as psycopg2 gives it."""
    if connection.vendor == "postgresql":
        pgcode, message = postgresql
        error = error_class(message)
        error.__cause__ = DriverError(message, pgcode)
    else:
        error = error_class(sqlite)
        error.__cause__ = getattr(sqlite3, error_class.__name__)(sqlite)
    return error


def lock_timeout() -> OperationalError:
    """A lock wait that ran out: SQLite's busy database, PostgreSQL's ``lock_timeout``."""
    return database_error(OperationalError, "database is locked", ("55P03", "canceling statement due to lock timeout"))


def unique_violation() -> IntegrityError:
    """Two requests storing the same unique value at once."""
    return database_error(
        IntegrityError,
        "UNIQUE constraint failed: forum_organization.slug",
        ("23505", 'duplicate key value violates unique constraint "forum_organization_slug_key"'),
    )


def not_null_violation() -> IntegrityError:
    """A bug: code storing None in a required column."""
    return database_error(
        IntegrityError,
        "NOT NULL constraint failed: forum_organization.kind",
        ("23502", 'null value in column "kind" of relation "forum_organization" violates not-null constraint'),
    )


def lost_column() -> OperationalError:
    """An outage or bad deploy: SQLite's missing column, PostgreSQL's lost connection."""
    return database_error(
        OperationalError,
        "no such column: forum_organization.website",
        (None, "server closed the connection unexpectedly"),
    )
