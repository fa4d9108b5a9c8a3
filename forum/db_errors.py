"""A write the database refuses, on a participant's or rapporteur's form: a message, never a 500.

``WriteGuardMixin`` wraps each POST (any method but GET, HEAD, OPTIONS and TRACE) of a
class-based view in one transaction. If the database refuses a write in it
(``is_write_refusal``: a lock wait that timed out, a deadlock, a serialization failure,
SQLite's "database is locked"; a unique, exclusion, check or foreign-key constraint),
everything the request wrote is rolled back, its queued e-mails are dropped with it
(they are sent on commit), the messages it added are discarded, one warning is logged,
and the user gets ``WRITE_REFUSED_MESSAGE``: a form view shows its form again as filled
in, the message on top, with status 409 (Conflict: the request met the database's
state of the moment and may succeed later; a 5xx would be logged by Django as an error
on every attempt); any other view redirects (302) with the message as a flash error, by
default to the page the POST came from. Any other database error (a NOT NULL violation,
a missing column, a lost connection) is a bug or an outage: it is rolled back too and
raised, so Django answers 500 and logs it as an error.

On PostgreSQL the transaction begins with ``SET LOCAL lock_timeout`` of
``LOCK_TIMEOUT_SECONDS``, so a request waits that long at most for a row another one
holds (the services lock the forum's registration settings, the participant's
registration and the session in that order) and then gets the message, rather than wait
without end while gunicorn's workers fill up. Services called elsewhere (the admin,
Celery tasks) keep waiting as long as it takes. On SQLite a writer waits for the
database lock up to the ``timeout`` of ``DATABASES`` (20 s).
https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT

A POST that succeeded but whose tasks could not be queued (the broker is down, see
``forum.tasking``) adds ``TASKS_DELAYED_MESSAGE``: the e-mail about it follows once the
broker is back.
"""

import logging

from django.contrib import messages
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import SimpleTemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormMixin

from forum import tasking

logger = logging.getLogger(__name__)

REFUSED_LOCK_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
"""PostgreSQL's SQLSTATEs of an ``OperationalError`` that is a refusal: lock_not_available
(``lock_timeout`` ran out, or ``NOWAIT``), deadlock_detected, serialization_failure."""

REFUSED_CONSTRAINT_SQLSTATES = frozenset({"23505", "23P01", "23514", "23503"})
"""PostgreSQL's SQLSTATEs of an ``IntegrityError`` that is a refusal: unique_violation,
exclusion_violation, check_violation, foreign_key_violation (not not_null_violation, 23502)."""

SQLITE_REFUSED_LOCK_MESSAGES = ("database is locked", "database table is locked")
"""How SQLite's ``OperationalError`` for a refusal begins: SQLITE_BUSY and SQLITE_LOCKED."""

SQLITE_REFUSED_CONSTRAINT_MESSAGES = (
    "UNIQUE constraint failed",
    "CHECK constraint failed",
    "FOREIGN KEY constraint failed",
)
"""How SQLite's ``IntegrityError`` for a refusal begins (not "NOT NULL constraint failed")."""

LOCK_TIMEOUT_SECONDS = 10
"""Seconds a guarded request waits at most for a row lock (PostgreSQL), well under gunicorn's 30 s timeout."""

WRITE_REFUSED_MESSAGE = _("We could not save this just now; nothing was changed. Please try again.")
ADMIN_WRITE_REFUSED_MESSAGE = _(
    "The database refused this change just now; the page shows what is stored. Please try again."
)
TASKS_DELAYED_MESSAGE = _("The e-mail about this will be sent a little later.")

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def is_write_refusal(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write that may succeed if tried again.

    True for Django's ``OperationalError`` from a lock wait that timed out, a deadlock or
    a serialization failure, and for its ``IntegrityError`` from a unique, exclusion,
    check or foreign-key constraint (two requests at once, a row changed meanwhile).
    False for anything else, e.g. a NOT NULL violation, a missing column or table, a
    lost connection: those are bugs or outages, for Django's 500 and error logging.

    Django raises its own exception ``from`` the driver's (``django.db.utils.
    DatabaseErrorWrapper``). On PostgreSQL that cause carries the SQLSTATE, as ``pgcode``
    (psycopg2) or ``sqlstate`` (psycopg 3), compared with ``REFUSED_LOCK_SQLSTATES`` and
    ``REFUSED_CONSTRAINT_SQLSTATES``; SQLite has no such code on its messages, so
    without a SQLSTATE the message is compared with ``SQLITE_REFUSED_LOCK_MESSAGES`` and
    ``SQLITE_REFUSED_CONSTRAINT_MESSAGES``.
    https://www.postgresql.org/docs/current/errcodes-appendix.html
    https://www.sqlite.org/rescode.html
    """
    if isinstance(error, OperationalError):
        sqlstates, sqlite_messages = REFUSED_LOCK_SQLSTATES, SQLITE_REFUSED_LOCK_MESSAGES
    elif isinstance(error, IntegrityError):
        sqlstates, sqlite_messages = REFUSED_CONSTRAINT_SQLSTATES, SQLITE_REFUSED_CONSTRAINT_MESSAGES
    else:
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in sqlstates
    return str(error).startswith(sqlite_messages)


class WriteGuardMixin:
    """For a class-based view whose POST writes to the database (see the module docstring).

    Put it after ``LoginRequiredMixin`` and before the view's base class. Override
    ``write_refused_page`` for another page to show after a refused write (the
    rapporteur's editor shows its forms again) or ``write_refused_url`` for another page
    to go back to.
    """

    write_refused_status = 409
    """The status of a form shown again after a refused write: Conflict, the request may succeed later."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Run the view; a POST in one transaction, its refusal answered by ``write_refused``.

        Raises any other database error, after the rollback."""
        if request.method in _SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with tasking.unsent_tasks() as unsent:
            try:
                with transaction.atomic():
                    _limit_lock_wait()
                    response = super().dispatch(request, *args, **kwargs)
            except (IntegrityError, OperationalError) as error:
                if not is_write_refusal(error):
                    raise
                logger.warning(
                    "The database refused a write of %s %s (%s: %s); it was rolled back.",
                    request.method,
                    request.path,
                    type(error).__name__,
                    error,
                )
                _discard_messages(request)
                return self.write_refused(str(WRITE_REFUSED_MESSAGE))
        if unsent:
            messages.info(request, TASKS_DELAYED_MESSAGE)
        return response

    def write_refused(self, message: str) -> HttpResponse:
        """The answer after a refused write: ``write_refused_page``, rendered, if it gives one;
        otherwise, or when the database refuses what showing that page needs too (the lock
        is still held), a redirect to ``write_refused_url`` with ``message`` as a flash
        error. Any other database error while showing the page is raised."""
        try:
            response = self.write_refused_page(message)
            if isinstance(response, SimpleTemplateResponse):
                response.render()
        except (IntegrityError, OperationalError) as error:
            if not is_write_refusal(error):
                raise
            logger.warning(
                "The page after a refused write could not be shown (%s: %s); redirecting.", type(error).__name__, error
            )
            response = None
        if response is not None:
            return response
        messages.error(self.request, message)
        return HttpResponseRedirect(self.write_refused_url())

    def write_refused_page(self, message: str) -> HttpResponse | None:
        """The page shown after a refused write, or None for the redirect: for a form view
        its form again, filled in as posted, with ``message`` on top and status
        ``write_refused_status``."""
        if not isinstance(self, FormMixin):
            return None
        form = self.get_form()
        form.is_valid()
        form.add_error(None, message)
        response = self.form_invalid(form)
        response.status_code = self.write_refused_status
        return response

    def write_refused_url(self) -> str:
        """Where a refused POST redirects: by default the URL it was posted to."""
        return self.request.get_full_path()


def _limit_lock_wait() -> None:
    """On PostgreSQL, make the current transaction wait at most ``LOCK_TIMEOUT_SECONDS`` for a lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{round(LOCK_TIMEOUT_SECONDS * 1000)}ms"])


def _discard_messages(request: HttpRequest) -> None:
    """Drop the flash messages added so far in ``request`` (they told of a write undone)."""
    for _message in messages.get_messages(request):
        pass
