"""The site's URLs plus ``/bench/trivial/``: the framework's floor, a view answering "ok"
through the project's whole middleware stack without touching the database."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from forum.urls import urlpatterns as site_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    """Answer "ok" as plain text: the least a request through Django and the middleware costs."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *site_urlpatterns]
