"""Request filters that run before any view, and the compression of text responses."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.gzip import GZipMiddleware


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
