"""Print a session agenda and a forum programme: Django templates to HTML, HTML to PDF.

Pure functions: they take objects already loaded (see ``sessions_app.services``),
never query the database or touch file storage, and read only static files. The HTML is deterministic (no clock,
no request, fixed language), because its SHA-256 identifies a generated document.

WeasyPrint resolves every URL of the HTML against the fake origin ``PDF_BASE_URL``
and fetches it through ``StaticFilesFetcher``, which serves only the project's static
files (looked up with the staticfiles finders) and refuses everything else: other
hosts, ``file://``, ``data:``. Nothing is read from the network or from arbitrary paths.
"""

import hashlib
import mimetypes
import os.path
import posixpath
from collections.abc import Iterable
from datetime import date
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from forum.models import Forum
from sessions_app.models import Session
from sessions_app.selectors import programme_group

PDF_BASE_URL = "https://forum.invalid/"
STYLESHEET = "css/pdf.css"
# Printed documents are in the concept note's language whatever the request's language,
# so the same content always gives the same HTML (and hash).
PDF_LANGUAGE = "en"


class ResourceRefused(ValueError):
    """WeasyPrint asked for a URL that is not one of the project's static files."""


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves the project's static files and nothing else.

    Accepts only ``PDF_BASE_URL`` + ``STATIC_URL`` + a relative path that the
    staticfiles finders resolve to a file (query and fragment ignored). Any other URL
    raises ``ResourceRefused`` before anything is opened; WeasyPrint logs the refusal
    and renders without the resource.
    """

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the static file at ``url`` as a response with its guessed MIME type.

        Raises ``ResourceRefused`` for any other scheme, host or path, for paths
        leaving the static directories ("..") and for paths no finder knows.
        """
        parts = urlsplit(url)
        origin = urlsplit(PDF_BASE_URL)
        prefix = _static_path()
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc) or not parts.path.startswith(prefix):
            raise ResourceRefused(f"Only the project's static files may be used in a PDF, not {url[:200]!r}.")
        relative = unquote(parts.path[len(prefix) :])
        if not relative or relative.startswith("/") or ".." in relative.split("/") or "\\" in relative:
            raise ResourceRefused(f"Not a static file path: {url[:200]!r}.")
        path = finders.find(posixpath.normpath(relative))
        if not isinstance(path, str) or not os.path.isfile(path):
            raise ResourceRefused(f"No static file {relative!r}.")
        with open(path, "rb") as static_file:
            body = static_file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` (a complete document) to PDF bytes with WeasyPrint.

    Relative URLs resolve against ``PDF_BASE_URL``; resources come only from the
    project's static files (``StaticFilesFetcher``), refused ones are left out.
    Raises whatever WeasyPrint raises on a document it cannot lay out. CPU-bound
    (0.2–0.5 s for the Quito agenda's 3 pages); call it from a Celery task, not a request.
    """
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher()).write_pdf()


def render_session_agenda_html(session: Session) -> str:
    """The HTML of a session's printed agenda, laid out like its concept note.

    ``session`` must come from ``Session.objects.for_session_page()`` (forum, theme,
    room, ``key_question_list``, ``reference_list``, ``organizer_list`` and
    ``agenda_item_list`` with ``speaker_role_list`` loaded); no query is made. Times
    print in the forum's time zone, named next to the session's time with the UTC
    offset in force at the session's start (e.g. "Europe/Madrid, UTC+0200"), as the
    session page prints it.
    """
    context = {"session": session, "document_title": f"Agenda — {session.title}"}
    return _render("sessions_app/pdf/session_agenda.html", session.forum, context)


def render_programme_html(forum: Forum, sessions: Iterable[Session]) -> str:
    """The HTML of a forum's printed programme: header, introduction, then each day.

    ``sessions`` are the forum's sessions in time order, each loaded as by
    ``Session.objects.for_session_page()`` (theme, room, ``organizer_list``,
    ``agenda_item_list``); they are grouped by day in the forum's time zone, plenary
    sessions on their own and parallel sessions under their theme. Each day names the
    UTC offset in force at its first session; a session that starts under another
    offset (a daylight-saving change that day) names its own. No query is made.
    """
    context = {
        "days": programme_group(list(sessions), tz=forum.tzinfo),
        "document_title": f"Programme — {forum.title}",
    }
    return _render("sessions_app/pdf/programme.html", forum, context)


def _render(template_name: str, forum: Forum, context: dict) -> str:
    """Render ``template_name`` with ``context`` plus the forum's header fields.

    Runs in ``PDF_LANGUAGE`` with the forum's time zone active, so dates and times
    print the same whatever the caller's language and zone.
    """
    with translation.override(PDF_LANGUAGE), timezone.override(forum.tzinfo):
        header = {
            "forum": forum,
            "forum_dates": _date_span(forum.start_date, forum.end_date),
            "stylesheet_url": _stylesheet_url(),
        }
        return render_to_string(template_name, {**context, **header})


def _date_span(start: date, end: date) -> str:
    """``start``–``end`` in words: "22 January 2020", "22–23 January 2020", "30 January – 2 February 2020"."""
    if start == end:
        return dateformat.format(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{dateformat.format(end, 'j F Y')}"
    if start.year == end.year:
        return f"{dateformat.format(start, 'j F')} – {dateformat.format(end, 'j F Y')}"
    return f"{dateformat.format(start, 'j F Y')} – {dateformat.format(end, 'j F Y')}"


def _static_path() -> str:
    """The URL path under which static files are served, e.g. "/static/" (even if ``STATIC_URL`` names a host)."""
    return urlsplit(urljoin(PDF_BASE_URL, settings.STATIC_URL)).path


def _stylesheet_url() -> str:
    """Path of ``STYLESHEET`` with a digest of its content, so a CSS change changes the HTML's hash."""
    return f"{_static_path()}{STYLESHEET}?v={_file_digest(finders.find(STYLESHEET))}"


def _file_digest(path: str) -> str:
    """First 12 hex digits of the SHA-256 of the file at ``path``."""
    with open(path, "rb") as stylesheet:
        return hashlib.sha256(stylesheet.read()).hexdigest()[:12]
