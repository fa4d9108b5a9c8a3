"""A write the database refuses, on a participant's or rapporteur's form: a message, never a 500.

``WriteGuardMixin`` wraps each POST (any method but GET, HEAD, OPTIONS and TRACE) of a
class-based view in one transaction. If the database refuses a write in it
(``IntegrityError``: a constraint; ``OperationalError``: a lock wait that timed out, a
deadlock, SQLite's "database is locked"), everything the request wrote is rolled back,
its queued e-mails are dropped with it (they are sent on commit), the messages it
added are discarded, one warning is logged, and the user gets ``WRITE_REFUSED_MESSAGE``:
a form view shows its form again as filled in, the message on top, with status 503; any
other view redirects (302) with the message as a flash error, by default to the page
the POST came from.

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
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormMixin

from forum import tasking

logger = logging.getLogger(__name__)

WRITE_ERRORS = (IntegrityError, OperationalError)
"""The database's refusals that ``WriteGuardMixin`` turns into a message."""

LOCK_TIMEOUT_SECONDS = 10
"""Seconds a guarded request waits at most for a row lock (PostgreSQL), well under gunicorn's 30 s timeout."""

WRITE_REFUSED_MESSAGE = _("We could not save this just now; nothing was changed. Please try again.")
TASKS_DELAYED_MESSAGE = _("The e-mail about this will be sent a little later.")

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class WriteGuardMixin:
    """For a class-based view whose POST writes to the database (see the module docstring).

    Put it after ``LoginRequiredMixin`` and before the view's base class. Override
    ``write_refused`` for another answer (the rapporteur's editor shows its forms again)
    or ``write_refused_url`` for another page to go back to.
    """

    write_refused_status = 503
    """The status of a form shown again after a refused write: the request may succeed later."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Run the view; a POST in one transaction, its refusal answered by ``write_refused``."""
        if request.method in _SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with tasking.unsent_tasks() as unsent:
            try:
                with transaction.atomic():
                    _limit_lock_wait()
                    response = super().dispatch(request, *args, **kwargs)
            except WRITE_ERRORS as error:
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
        """The answer after a refused write: a form view's form again, filled in as posted, with
        ``message`` on top and ``write_refused_status``; otherwise a redirect to
        ``write_refused_url`` with ``message`` as a flash error (also when showing the form
        fails on the database too)."""
        if isinstance(self, FormMixin):
            try:
                form = self.get_form()
                form.is_valid()
                form.add_error(None, message)
                response = self.form_invalid(form)
                response.status_code = self.write_refused_status
                return response
            except DatabaseError:
                logger.warning("Could not show the form again after a refused write.", exc_info=True)
        messages.error(self.request, message)
        return HttpResponseRedirect(self.write_refused_url())

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
