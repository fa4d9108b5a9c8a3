"""Request filters that run before any view."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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
