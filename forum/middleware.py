"""Request filters that run before any view, the compression of text responses, and the
admin's answer to a write the database refuses."""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.middleware.gzip import GZipMiddleware
from django.urls import reverse

from forum.db_errors import ADMIN_WRITE_REFUSED_MESSAGE, is_write_refusal

logger = logging.getLogger(__name__)


class RejectNulInQueryMiddleware:
    """Answer 400 to a query string carrying a NUL character (``%00``).

    No page of the site has a use for one, and PostgreSQL refuses NUL in any text it
    is asked to compare, so a search or filter such as ``?q=%00`` or ``?kind=%00``
    would otherwise end in a 500. Posted forms need no such filter: Django's form
    fields already refuse NUL with a form error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in value for _, values in request.GET.lists() for value in values):
            return HttpResponseBadRequest("A NUL character (%00) is not allowed in the address.")
        return self.get_response(request)


class TextGZipMiddleware(GZipMiddleware):
    """Django's ``GZipMiddleware`` (BREACH mitigation included) for text only: HTML,
    calendars, XML, JSON, CSS and JavaScript. PDFs, spreadsheets and images are already
    compressed; compressing them again costs every download CPU and saves nothing.
    https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.gzip
    """

    COMPRESSED_TYPES = (
        "text/",
        "application/json",
        "application/xml",
        "application/atom+xml",
        "application/javascript",
    )

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """``response`` compressed by ``GZipMiddleware`` if its type is text, else unchanged."""
        if not response.get("Content-Type", "").startswith(self.COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)


class AdminWriteRefusedMiddleware:
    """Answer an admin POST whose write the database refused with a message, not a 500.

    When the database refuses a write of an admin POST (``forum.db_errors.is_write_refusal``:
    a lock wait timed out, a deadlock, SQLite's "database is locked", a unique or check
    constraint), this logs a warning and redirects (302) to the page that was posted, with
    ``ADMIN_WRITE_REFUSED_MESSAGE`` as a flash error; what was typed is not kept, what is
    stored is shown. The message does not claim that nothing changed: the admin's saves,
    deletes and the registration and recommendations actions each run in one transaction,
    but an action or view that commits as it goes may have stored part of its work. Any
    other exception, a database error that is no refusal included, is left to Django (500,
    logged as an error). The participant's and rapporteur's forms have their own answer
    (``WriteGuardMixin``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The redirect with the message for a refused admin POST; None (Django's own
        handling) for anything else."""
        if (
            request.method != "POST"
            or not is_write_refusal(exception)
            or not request.path.startswith(reverse("admin:index"))
        ):
            return None
        logger.warning(
            "The database refused an admin write to %s (%s: %s); it was rolled back.",
            request.path,
            type(exception).__name__,
            exception,
        )
        messages.error(request, ADMIN_WRITE_REFUSED_MESSAGE)
        return HttpResponseRedirect(request.get_full_path())
