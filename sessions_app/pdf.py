"""Print a session agenda, a forum programme, a session's recommendations document and a
forum's outcome document: Django templates to HTML, HTML to PDF.

The programme is a booklet: a cover, a table of contents with page numbers, then each
session on its own page under its day, with PDF bookmarks for days and sessions. Both
documents carry their title, language and author in the PDF's metadata, the forum's
title in a running header and "Page X of Y" in the footer. The recommendations document
opens with a cover, prints its version and date in the footer and, until it is
published, a diagonal "DRAFT" across every page. The outcome document is a booklet like
the programme: a cover, contents, then every published recommendations document grouped
by theme (the plenaries last), with bookmarks for the groups and their sessions.

Near-pure functions: they take objects already loaded (see ``sessions_app.services``),
make at most one query (the forum's host organizations, none if the caller prefetched
``host_organizations``), never touch file storage, and read only static files. The HTML
is deterministic for a language (no clock, no request), because its SHA-256 identifies
a generated document.

WeasyPrint resolves every URL of the HTML against the fake origin ``PDF_BASE_URL``
and fetches it through ``StaticFilesFetcher``, which serves only the project's static
files (looked up with the staticfiles finders) and refuses everything else: other
hosts, ``file://``, ``data:``. Nothing is read from the network or from arbitrary paths.
"""

import hashlib
import mimetypes
import os.path
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from forum.models import Forum
from sessions_app.models import Session, SpeakerRole
from sessions_app.recommendation_services import RAPPORTEUR_ROLES
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.selectors import PrintedRecommendations, ProgrammeDay, group_recommendations, programme_group

PDF_BASE_URL = "https://forum.invalid/"
STYLESHEET = "css/pdf.css"
# WeasyPrint's variant for a tagged, accessible PDF (structure tree, reading order, /MarkInfo).
PDF_UA = "pdf/ua-1"


class ResourceRefused(ValueError):
    """WeasyPrint asked for a URL that is not one of the project's static files."""


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves the project's static files and nothing else.

    Accepts only ``PDF_BASE_URL`` + ``STATIC_URL`` + a relative path that the
    staticfiles finders resolve to a file lying, symbolic links resolved, inside one of
    their directories (query and fragment ignored). Any other URL raises
    ``ResourceRefused`` before anything is opened: ``file:``, ``data:`` (WeasyPrint 70
    sends those through the fetcher too), ``http:``, ``ftp:``, other hosts and ports.
    WeasyPrint catches the refusal, logs one line naming the URL (the traceback only
    at DEBUG) and renders without the resource: an image, stylesheet, ``@import``,
    ``@font-face`` source or PDF attachment (``rel="attachment"``) is simply missing.
    """

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the static file at ``url`` as a response with its guessed MIME type.

        Raises ``ResourceRefused`` for any other scheme, host or path, for paths
        leaving the static directories (".." or a symbolic link pointing out of them)
        and for paths no finder knows.
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
        if not _inside_static_directories(path):
            raise ResourceRefused(f"Static file {relative!r} leads out of the static directories.")
        with open(path, "rb") as static_file:
            body = static_file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def _inside_static_directories(path: str) -> bool:
    """Whether ``path``, symbolic links resolved, lies inside the directory of one of the
    staticfiles finders' storages (``STATICFILES_DIRS`` and the apps' ``static/``).

    A finder without storages (none of Django's default ones) contributes no directory,
    so its files are refused."""
    real_path = os.path.realpath(path)
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            root = os.path.realpath(storage.location)
            if os.path.commonpath([root, real_path]) == root:
                return True
    return False


def html_to_pdf(html: str, pdf_variant: str | None = PDF_UA) -> bytes:
    """Render ``html`` (a complete document) to PDF bytes with WeasyPrint.

    ``pdf_variant`` is one of WeasyPrint's variants: by default ``PDF_UA``, a tagged
    PDF (structure tree, ``/MarkInfo``) that screen readers follow, which took 0.9–1.4
    times the plain render's time when measured; None for a plain PDF. Relative URLs
    resolve against ``PDF_BASE_URL``; resources come only from the project's static
    files (``StaticFilesFetcher``), refused ones are left out. Raises whatever
    WeasyPrint raises on a document it cannot lay out. CPU-bound: about 0.5 s for the
    Quito agenda (3 pages) or programme (4 pages), 10 s for a programme of 100
    sessions (107 pages), 14 s for an outcome document of 100 sessions with 8
    recommendations each (109 pages); call it from a Celery task, not a request.
    """
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher())
    return document.write_pdf(pdf_variant=pdf_variant)


def render_session_agenda_html(session: Session) -> str:
    """The HTML of a session's printed agenda, laid out like its concept note.

    ``session`` must come from ``Session.objects.for_session_page()`` (forum, theme,
    room, ``key_question_list``, ``reference_list``, ``organizer_list`` and
    ``agenda_item_list`` with ``speaker_role_list`` loaded). Times print in the forum's
    time zone, named next to the session's time with the UTC offset in force at the
    session's start (e.g. "Europe/Madrid, UTC+0200"), as the session page prints it.
    """
    forum = session.forum
    context = {
        "session": session,
        "document_title": format_lazy(_("Agenda — {session}"), session=session.title),
        "description": format_lazy(
            _("Agenda of a session of the {forum}, {city}, {country}."),
            forum=forum.title,
            city=forum.city,
            country=forum.country,
        ),
    }
    return _render("sessions_app/pdf/session_agenda.html", forum, context)


def render_programme_html(forum: Forum, sessions: Iterable[Session]) -> str:
    """The HTML of a forum's programme booklet: cover, contents, introduction, then the days.

    ``sessions`` are the forum's sessions in time order, each loaded as by
    ``Session.objects.for_session_page()`` (theme, room, ``organizer_list``,
    ``agenda_item_list``); they are grouped by day in the forum's time zone and printed
    in programme order (see ``_printed_days``). Each session starts a page, headed as
    in its agenda (kind, theme, title, date and time with the UTC offset in force at
    its start); its day's heading, with the offset at the day's first session, tops
    the day's first session.
    """
    context = {
        "days": _printed_days(programme_group(list(sessions), tz=forum.tzinfo), tz=forum.tzinfo),
        "document_title": format_lazy(_("{forum} — Programme"), forum=forum.title),
        "description": format_lazy(
            _("Programme of the {forum}, {city}, {country}."), forum=forum.title, city=forum.city, country=forum.country
        ),
    }
    return _render("sessions_app/pdf/programme.html", forum, context)


def render_recommendations_html(document: RecommendationsDocument) -> str:
    """The HTML of a session's printed recommendations document.

    ``document.session`` must be loaded as by ``Session.objects.for_session_page()``
    (its ``key_question_list``, ``organizer_list`` and ``agenda_item_list`` with
    ``speaker_role_list`` give the key questions, the coordinating organizations and the
    rapporteurs) and ``document.recommendation_list`` hold its recommendations in order.
    A cover (forum, session, coordinating organizations, version and date) comes first,
    then the introduction, each key question with its numbered recommendations, the
    general recommendations, the conclusions, the contributors and the rapporteurs.
    The footer prints "Version N · <date>" (the publication date, else the last change,
    in the forum's time zone); a document not published carries a "DRAFT" mark on every
    page. Status, version and date are in the HTML, so each change gives a new hash.
    """
    session = document.session
    forum = session.forum
    published = document.status == RecommendationsDocument.Status.PUBLISHED
    context = {
        "session": session,
        "document": document,
        "printed": group_recommendations(document, session.key_question_list, document.recommendation_list),
        "rapporteurs": _rapporteurs(session),
        "is_draft": not published,
        "dated": document.published_at if published else document.updated_at,
        "document_title": format_lazy(_("Recommendations — {session}"), session=session.title),
        "description": format_lazy(
            _("Recommendations of a session of the {forum}, {city}, {country}."),
            forum=forum.title,
            city=forum.city,
            country=forum.country,
        ),
    }
    return _render("sessions_app/pdf/recommendations.html", forum, context)


@dataclass(frozen=True)
class OutcomeEntry:
    """A published recommendations document as the outcome document prints it: the
    document (its ``session`` loaded), its recommendations grouped by key question and
    its session's rapporteurs."""

    document: RecommendationsDocument
    printed: PrintedRecommendations
    rapporteurs: list[SpeakerRole]


@dataclass(frozen=True)
class OutcomeGroup:
    """A part of the outcome document: a theme's parallel sessions, the parallel sessions
    without a theme, or the plenaries; ``entries`` in time order."""

    title: str
    entries: list[OutcomeEntry]


# Lazy: they print in the document's language, which ``_render`` activates.
PLENARIES_TITLE = _("Plenary sessions")
NO_THEME_TITLE = _("Other parallel sessions")


def render_outcome_html(forum: Forum, documents: Iterable[RecommendationsDocument]) -> str:
    """The HTML of ``forum``'s outcome document: cover, contents, then ``documents`` by group.

    ``documents`` are the forum's published recommendations documents, each with its
    ``recommendation_list`` in order and its ``session`` loaded as by
    ``Session.objects.for_session_page()`` (theme, ``key_question_list``,
    ``organizer_list``, ``agenda_item_list`` with ``speaker_role_list``); any order.
    They print grouped as ``_outcome_groups`` groups them, each session starting a page
    that its group's heading tops for the group's first session, with the same content
    as its own recommendations document (after its cover). Versions and publication
    dates are in the HTML, so a change to any document gives a new hash.
    """
    context = {
        "groups": _outcome_groups(documents),
        "document_title": format_lazy(_("{forum} — Outcome document"), forum=forum.title),
        "description": format_lazy(
            _("Recommendations of the sessions of the {forum}, {city}, {country}."),
            forum=forum.title,
            city=forum.city,
            country=forum.country,
        ),
    }
    return _render("sessions_app/pdf/outcome.html", forum, context)


def _outcome_groups(documents: Iterable[RecommendationsDocument]) -> list[OutcomeGroup]:
    """``documents`` grouped for the outcome document: each theme of a parallel session in
    theme order (then title), the parallel sessions without a theme (``NO_THEME_TITLE``),
    then the plenaries (``PLENARIES_TITLE``); within a group, by session start then title.
    Empty groups are left out. Reads only loaded attributes."""
    themed: dict[int, list[OutcomeEntry]] = {}
    unthemed: list[OutcomeEntry] = []
    plenaries: list[OutcomeEntry] = []
    themes = {}
    for document in sorted(documents, key=lambda document: (document.session.start, document.session.title)):
        session = document.session
        entry = OutcomeEntry(
            document=document,
            printed=group_recommendations(document, session.key_question_list, document.recommendation_list),
            rapporteurs=_rapporteurs(session),
        )
        if session.is_plenary:
            plenaries.append(entry)
        elif session.theme is None:
            unthemed.append(entry)
        else:
            themes[session.theme_id] = session.theme
            themed.setdefault(session.theme_id, []).append(entry)
    ordered_themes = sorted(themes.values(), key=lambda theme: (theme.order, theme.title))
    groups = [OutcomeGroup(theme.title, themed[theme.pk]) for theme in ordered_themes]
    groups += [
        OutcomeGroup(title, entries)
        for title, entries in ((NO_THEME_TITLE, unthemed), (PLENARIES_TITLE, plenaries))
        if entries
    ]
    return groups


def _rapporteurs(session: Session) -> list[SpeakerRole]:
    """The speaker roles of ``session``'s agenda in a rapporteur role (``RAPPORTEUR_ROLES``),
    in agenda order, each name once. Reads only the loaded ``agenda_item_list``."""
    rapporteurs: dict[str, SpeakerRole] = {}
    for item in session.agenda_item_list:
        for role in item.speaker_role_list:
            if role.role in RAPPORTEUR_ROLES:
                rapporteurs.setdefault(role.display_name, role)
    return list(rapporteurs.values())


@dataclass(frozen=True)
class PrintedDay:
    """A programme day: its date, the UTC offset at its first session ("-0500") and its sessions in print order."""

    date: date
    utc_offset: str
    sessions: list[Session]


def _printed_days(days: list[ProgrammeDay], *, tz: tzinfo) -> list[PrintedDay]:
    """Flatten each of ``days`` into its sessions in print order: time slot by time
    slot, the slot's plenaries first, then its parallel sessions theme by theme (as
    ``programme_group`` orders them). ``tz`` is the forum's time zone."""
    printed = []
    for day in days:
        sessions = []
        for slot in day.slots:
            sessions += slot.plenaries
            for group in slot.theme_groups:
                sessions += group.sessions
        offset = day.slots[0].start.astimezone(tz).strftime("%z")
        printed.append(PrintedDay(date=day.date, utc_offset=offset, sessions=sessions))
    return printed


def _render(template_name: str, forum: Forum, context: dict) -> str:
    """Render ``template_name`` with ``context`` plus the forum's header fields.

    Prints in the active language (``services.document_request`` activates the
    document's), with the forum's time zone active, so dates and times print the same
    whatever the caller's zone. Reads the forum's host
    organizations (one query unless prefetched): the cover names them and the PDF's
    metadata gives them as its authors.
    """
    with timezone.override(forum.tzinfo):
        header = {
            "forum": forum,
            "forum_dates": _date_span(forum.start_date, forum.end_date),
            "hosts": list(forum.host_organizations.all()),
            "language": translation.get_language(),
            "stylesheet_url": _stylesheet_url(),
            "page_counter": page_counter_css(),
        }
        return render_to_string(template_name, {**context, **header})


PAGE_COUNTER_PLACEHOLDERS = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}


def page_counter_css() -> str:
    """The CSS ``content`` value of the footer's "Page X of Y" in the active language,
    e.g. ``"Page " counter(page) " of " counter(pages)``: the translated sentence with its
    ``%(page)s`` and ``%(pages)s`` turned into CSS counters and the words around them
    into CSS strings (quotes and backslashes escaped)."""
    parts = re.split(r"(%\(pages?\)s)", str(_("Page %(page)s of %(pages)s")))
    css = []
    for part in parts:
        if part in PAGE_COUNTER_PLACEHOLDERS:
            css.append(PAGE_COUNTER_PLACEHOLDERS[part])
        elif part:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
            css.append(f'"{escaped}"')
    return " ".join(css)


def _date_span(start: date, end: date) -> str:
    """``start``–``end`` in words in the active language: "22 January 2020", "22–23 January 2020",
    "30 January – 2 February 2020" ("22–23 de enero de 2020", "30 de enero – 2 de febrero de 2020")."""
    if start == end:
        return date_format(start, "DATE_FORMAT")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{date_format(end, 'DATE_FORMAT')}"
    if start.year == end.year:
        return f"{date_format(start, 'MONTH_DAY_FORMAT')} – {date_format(end, 'DATE_FORMAT')}"
    return f"{date_format(start, 'DATE_FORMAT')} – {date_format(end, 'DATE_FORMAT')}"


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
