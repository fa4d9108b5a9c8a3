"""Printing a session agenda and a programme: HTML from templates, PDF from WeasyPrint."""

import hashlib
import io
import re
import string
import subprocess
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from weasyprint.urls import URLFetcherResponse

from forum.models import Forum
from forum.tests.factories import ForumFactory, OrganizationFactory, RoomFactory
from sessions_app import pdf
from sessions_app.models import Session
from sessions_app.tests.factories import (
    AgendaItemFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.pdf_support import (
    QUITO_KEY_QUESTIONS,
    loaded_for_print,
    normalize,
    page_texts,
    pdf_catalog_and_info,
    pdf_outline,
    pdf_text,
)

MADRID = ZoneInfo("Europe/Madrid")
# Twice as long as a line of an A4 page holds in the documents' smallest type (7.5 pt),
# and short enough for a forum title (255 characters with "Forum ").
LONG_WORD = (string.ascii_lowercase * 10)[:240]
# Longer than the agenda table's item column holds in one line: it used to widen the table
# past the page's edge.
LONG_AFFILIATION = "A" * 90
# The pages' right margin (static/css/pdf.css, @page: 18 mm), less 0.1 pt for rounding:
# text may end on it (the page numbers do), not in it.
RIGHT_MARGIN_PT = 18 * 72 / 25.4 - 0.1
XHTML = "{http://www.w3.org/1999/xhtml}"


def programme_sessions(forum) -> list[Session]:
    return list(Session.objects.filter(forum=forum).for_session_page().order_by("start", "theme__order", "title"))


def madrid_forum_across_dst():
    """A Madrid forum on 28–29 March 2020: clocks go from UTC+0100 to UTC+0200 at 02:00 on the 29th."""
    return ForumFactory(
        time_zone="Europe/Madrid",
        city="Madrid",
        country="Spain",
        start_date=date(2020, 3, 28),
        end_date=date(2020, 3, 29),
    )


def madrid_time(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2020, 3, day, hour, minute, tzinfo=MADRID)


def printed_words(pdf_bytes: bytes) -> list[tuple[str, float, float]]:
    """Every word printed in ``pdf_bytes`` with the right edge of its box and its page's width, in points.

    Read with poppler's ``pdftotext -bbox`` (package poppler-utils): unlike extracted
    text, it tells where a line ends, so a line running off the page is seen even when
    it is not cut short.
    """
    xhtml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf_bytes, capture_output=True, check=True).stdout
    words = []
    for page in ElementTree.fromstring(xhtml).iter(f"{XHTML}page"):
        words += [(word.text, float(word.get("xMax")), float(page.get("width"))) for word in page.iter(f"{XHTML}word")]
    return words


def assert_printed_within_the_page(pdf_bytes: bytes, long_words: list[str]) -> None:
    """No word of ``pdf_bytes`` ends past the right margin, and each of ``long_words`` is printed whole."""
    words = printed_words(pdf_bytes)
    overflowing = [(text, x_max) for text, x_max, page_width in words if x_max > page_width - RIGHT_MARGIN_PT]
    assert overflowing == []
    printed = "".join(text for text, _, _ in words)
    for word in long_words:
        assert word in printed


# URL fetcher: the project's static files and nothing else.


@pytest.mark.unit
def test_static_files_fetcher_serves_the_pdf_stylesheet():
    response = pdf.StaticFilesFetcher().fetch("https://forum.invalid/static/css/pdf.css?v=123")

    assert isinstance(response, URLFetcherResponse)
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.integration
def test_html_to_pdf_reads_no_local_file_and_no_network(monkeypatch, tmp_path, caplog):
    secret = tmp_path / "leak.css"
    secret.write_text('body::after { content: "LEAKED-SECRET"; }')
    opened = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *args, **kw: opened.append(args))
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{secret.as_uri()}">
      <link rel="stylesheet" href="file:///etc/passwd">
      <link rel="stylesheet" href="/static/css/pdf.css">
      </head><body><p>Visible text</p><p class="session-cancelled">cancelled</p>
      <img src="file:///etc/passwd" alt=""><img src="http://example.com/x.png" alt="">
      <img src="data:image/png;base64,iVBORw0KGgo=" alt=""></body></html>"""

    text = pdf_text(pdf.html_to_pdf(html))

    assert "Visible text" in text
    assert "LEAKED-SECRET" not in text
    assert "root:" not in text
    assert "CANCELLED" in text  # the static stylesheet was served: its upper-casing applied
    assert opened == []
    for url in (secret.as_uri(), "file:///etc/passwd", "http://example.com/x.png"):
        assert url in caplog.text
    assert "ResourceRefused" in caplog.text


# Session agenda.


@pytest.mark.integration
def test_session_agenda_pdf_prints_the_concept_note(quito_session):
    pdf_bytes = pdf.html_to_pdf(pdf.render_session_agenda_html(loaded_for_print(quito_session)))
    text = pdf_text(pdf_bytes)
    pages = page_texts(pdf_bytes)
    catalog, info = pdf_catalog_and_info(pdf_bytes)

    assert quito_session.title in text
    assert len(QUITO_KEY_QUESTIONS) == 5
    for question in QUITO_KEY_QUESTIONS:
        assert normalize(question) in text
    assert "María Fernanda Garcés" in text
    assert "Anaclaudia Marinheiro Centeno Rossbach" in text
    assert "Youth representatives in the Forum" in text
    assert "Margarita Green, Juan Carlos Cristaldo" in text  # footnote 1's citation
    assert "A/CONF.226/PC.3/23" in text
    assert "14:00–16:30" in text and "14:00–14:10" in text
    assert "(America/Guayaquil, UTC-0500)" in text  # as the session page prints it
    assert "6th Mayoral Forum on Human Mobility, Migration, and Development" in text
    for number, page in enumerate(pages, start=1):
        assert re.findall(r"Page \d+ of \d+", page) == [f"Page {number} of {len(pages)}"]
    assert info["/Title"] == f"Agenda — {quito_session.title}"
    assert info["/Author"] == quito_session.forum.title  # the forum has no host organization
    assert catalog["/Lang"] == "en"
    assert catalog["/MarkInfo"]["/Marked"].value is True


@pytest.mark.integration
def test_session_agenda_html_follows_the_concept_note_order(quito_session):
    html = pdf.render_session_agenda_html(loaded_for_print(quito_session))

    headings = [
        "<h2>Objective</h2>",
        "<h2>Organizers</h2>",
        "<h2>Context and justification</h2>",
        "<h2>Methodology</h2>",
        "<h2>Key Questions</h2>",
        "<h2>Expected result</h2>",
        "<h2>Session Agenda</h2>",
    ]
    positions = [html.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert 'href="#ref-1"' in html and 'id="ref-1"' in html
    assert '<li value="5">' in html
    assert "<li>United Nations Development Program (UNDP)</li>" in html
    assert 'Facilitator:</span> <span class="name">Anaclaudia Marinheiro Centeno Rossbach</span>' in html
    assert '<span class="name">Youth representatives in the Forum</span>' in html


@pytest.mark.integration
def test_session_agenda_html_is_deterministic_for_a_language_whatever_the_zone(quito_session):
    session = loaded_for_print(quito_session)
    first = pdf.render_session_agenda_html(session)

    with timezone.override("Asia/Tokyo"):
        second = pdf.render_session_agenda_html(loaded_for_print(quito_session))
    with translation.override("es"), timezone.override("Asia/Tokyo"):
        spanish = pdf.render_session_agenda_html(loaded_for_print(quito_session))

    assert first == second
    assert '<html lang="en">' in first
    assert "Wednesday 22 January 2020, 14:00–16:30" in normalize(first)
    assert '<html lang="es">' in spanish
    assert "22 de enero de 2020" in normalize(spanish)
    assert "14:00–16:30" in normalize(spanish)


@pytest.mark.integration
def test_session_agenda_html_names_the_room_and_escapes_text(db):
    room = RoomFactory(name="Sala Ñandú")
    session = SessionFactory(forum=room.forum, room=room, title="<script>alert(1)</script> Acción")

    html = pdf.render_session_agenda_html(loaded_for_print(session))

    assert "Room: Sala Ñandú" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Acción" in html
    assert "<script>" not in html


@pytest.mark.integration
def test_html_links_the_stylesheet_with_a_digest_of_its_content(quito_session):
    digest = hashlib.sha256((settings.BASE_DIR / "static/css/pdf.css").read_bytes()).hexdigest()[:12]

    html = pdf.render_session_agenda_html(loaded_for_print(quito_session))

    assert f'<link rel="stylesheet" href="/static/css/pdf.css?v={digest}">' in html


@pytest.mark.integration
def test_session_agenda_pdf_gives_the_utc_offset_at_the_session_start(db):
    forum = madrid_forum_across_dst()
    first_day = SessionFactory(forum=forum, start=madrid_time(28, 10), end=madrid_time(28, 11))
    second_day = SessionFactory(forum=forum, start=madrid_time(29, 10), end=madrid_time(29, 11))

    first_text = pdf_text(pdf.html_to_pdf(pdf.render_session_agenda_html(loaded_for_print(first_day))))
    second_text = pdf_text(pdf.html_to_pdf(pdf.render_session_agenda_html(loaded_for_print(second_day))))

    assert "Saturday 28 March 2020, 10:00–11:00 (Europe/Madrid, UTC+0100)" in first_text
    assert "Sunday 29 March 2020, 10:00–11:00 (Europe/Madrid, UTC+0200)" in second_text


@pytest.mark.integration
def test_long_words_wrap_within_the_page_of_the_agenda_and_the_programme(db):
    """Long words wrap in titles and paragraphs, and in the agenda table's cells without widening it."""
    forum = ForumFactory(title=f"Forum {LONG_WORD.upper()}")
    session = SessionFactory(forum=forum, title=f"Session {LONG_WORD}", objective=LONG_WORD[::-1])
    item = AgendaItemFactory(session=session, title=f"Item {LONG_WORD.upper()}", start=session.start, end=session.end)
    SpeakerRoleFactory(agenda_item=item, position="Mayor", affiliation=LONG_AFFILIATION)

    for html in (
        pdf.render_session_agenda_html(loaded_for_print(session)),
        pdf.render_programme_html(forum, programme_sessions(forum)),
    ):
        assert_printed_within_the_page(pdf.html_to_pdf(html), [LONG_WORD, LONG_WORD.upper(), LONG_AFFILIATION])


# Programme.


@pytest.mark.integration
def test_programme_html_groups_days_plenaries_and_parallel_sessions_under_their_theme(db):
    forum = ForumFactory(end_date=quito_time(0).date().replace(day=23))
    theme = ThemeFactory(forum=forum, title="Cities as first responders")
    opening = SessionFactory(forum=forum, kind=Session.Kind.PLENARY, title="Opening plenary", start=quito_time(9))
    parallel_b = SessionFactory(forum=forum, theme=theme, title="Parallel B", start=quito_time(14))
    parallel_a = SessionFactory(forum=forum, theme=theme, title="Parallel A", start=quito_time(14))
    closing = SessionFactory(
        forum=forum, kind=Session.Kind.PLENARY, title="Closing plenary", start=quito_time(10).replace(day=23)
    )
    item = AgendaItemFactory(session=opening, title="Welcome words")
    SpeakerRoleFactory(agenda_item=item, person__name="Jorge Yunda Machado", position="Mayor of Quito")

    html = normalize(pdf.render_programme_html(forum, programme_sessions(forum)))
    body = html[html.index("<article") :]  # after the contents, which list the sessions too

    order = [
        "Wednesday 22 January 2020",
        opening.title,
        "Welcome words",
        "Jorge Yunda Machado</span>, Mayor of Quito",
        "Parallel session: Cities as first responders",
        parallel_a.title,
        parallel_b.title,
        "Thursday 23 January 2020",
        closing.title,
    ]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    assert "09:00–11:30" in body  # local Quito time, not UTC
    assert "22–23 January 2020" in html


@pytest.mark.integration
def test_programme_gives_each_day_its_utc_offset_and_each_session_its_own(db):
    forum = madrid_forum_across_dst()
    SessionFactory(forum=forum, title="Saturday morning", start=madrid_time(28, 10), end=madrid_time(28, 11))
    SessionFactory(forum=forum, title="Before the change", start=madrid_time(29, 1), end=madrid_time(29, 1, 30))
    SessionFactory(forum=forum, title="Sunday morning", start=madrid_time(29, 10), end=madrid_time(29, 11))

    text = pdf_text(pdf.html_to_pdf(pdf.render_programme_html(forum, programme_sessions(forum))))

    assert "All times are local time in Europe/Madrid" in text
    assert (
        "Saturday 28 March 2020 (UTC+0100) PARALLEL SESSION Saturday morning "
        "Saturday 28 March 2020, 10:00–11:00 (Europe/Madrid, UTC+0100)"
    ) in text
    assert (
        "Sunday 29 March 2020 (UTC+0100) PARALLEL SESSION Before the change "
        "Sunday 29 March 2020, 01:00–01:30 (Europe/Madrid, UTC+0100)"
    ) in text
    assert "PARALLEL SESSION Sunday morning Sunday 29 March 2020, 10:00–11:00 (Europe/Madrid, UTC+0200)" in text
    assert "UTC+01:00" not in text and "UTC+02:00" not in text


@pytest.mark.integration
def test_programme_of_a_forum_without_sessions_is_a_cover_and_a_note(db):
    forum = ForumFactory()

    pdf_bytes = pdf.html_to_pdf(pdf.render_programme_html(forum, []))

    pages = page_texts(pdf_bytes)
    assert len(pages) == 2
    assert forum.title in pages[0]
    assert "No session has been scheduled yet." in pages[1] and "Page 2 of 2" in pages[1]
    assert [bookmark.title for bookmark in pdf_outline(pdf_bytes)] == ["Contents"]


# The programme booklet: cover, contents, a page per session, bookmarks, header, footer, metadata.


@dataclass
class PrintedSession:
    """What a session's page should start with: its kind line and title."""

    kind: str
    title: str


@dataclass
class PrintedDay:
    """A programme day as its heading, bookmark and contents entry print it."""

    heading: str
    sessions: list[PrintedSession]

    @property
    def label(self) -> str:
        """The day's date, as its bookmark and its contents entry give it."""
        return self.heading.split(" (")[0]


@dataclass
class Booklet:
    """A programme PDF rendered once for the module, with what it should print (the
    forum's rows are rolled back after rendering)."""

    pdf: bytes
    pages: list[str]
    forum_title: str
    cover: list[str]
    author: str
    has_introduction: bool
    days: list[PrintedDay]

    def session_page(self, title: str) -> int:
        """The 1-based number of the first page after the cover and the contents that prints ``title``."""
        return next(number for number, text in enumerate(self.pages[2:], start=3) if title in text)


def render_booklet(forum, cover: list[str]) -> Booklet:
    """Render ``forum``'s programme and note what each day and session should print."""
    sessions = programme_sessions(forum)
    pdf_bytes = pdf.html_to_pdf(pdf.render_programme_html(forum, sessions))
    days: dict[date, PrintedDay] = {}
    for session in sessions:
        start = session.start.astimezone(forum.tzinfo)
        heading = f"{start:%A} {start.day} {start:%B %Y} (UTC{start:%z})"
        day = days.setdefault(start.date(), PrintedDay(heading, []))
        kind = session.get_kind_display() + (f": {session.theme.title}" if session.theme else "")
        day.sessions.append(PrintedSession(kind, session.title))
    hosts = [host.name for host in forum.host_organizations.all()]
    return Booklet(
        pdf=pdf_bytes,
        pages=page_texts(pdf_bytes),
        forum_title=forum.title,
        cover=[forum.title, forum.theme, *cover, *hosts],
        author=", ".join(hosts) or forum.title,
        has_introduction=bool(forum.description),
        days=list(days.values()),
    )


def twelve_session_forum():
    """A two-day forum with two hosts and, each day, an opening plenary, two slots of two
    parallel sessions under two themes and a closing plenary; one session's agenda fills
    more than a page. No introduction."""
    forum = ForumFactory(
        title="Booklet Forum of Welcoming Cities",
        city="Montevideo",
        country="Uruguay",
        venue="Palacio Municipal",
        end_date=date(2020, 1, 23),
    )
    forum.host_organizations.add(
        OrganizationFactory(name="United Welcoming Cities", acronym="UWC"),
        OrganizationFactory(name="City of Montevideo"),
    )
    inclusion = ThemeFactory(forum=forum, title="Inclusion")
    resilience = ThemeFactory(forum=forum, title="Resilience")
    slots = [(9, None), (11, inclusion), (11, resilience), (14, inclusion), (14, resilience), (16, None)]
    for number in range(12):
        day, slot = divmod(number, len(slots))
        hour, theme = slots[slot]
        start = quito_time(hour) + timedelta(days=day)
        session = SessionFactory(
            forum=forum,
            kind=Session.Kind.PLENARY if theme is None else Session.Kind.PARALLEL,
            theme=theme,
            title=f"Booklet session {number:02d}",
            start=start,
            end=start + timedelta(hours=1, minutes=30),
        )
        SessionOrganizerFactory(session=session)
        for item in AgendaItemFactory.create_batch(30 if number == 3 else 2, session=session, start=start):
            SpeakerRoleFactory.create_batch(2, agenda_item=item)
    return forum


@pytest.fixture(scope="module")
def booklets(django_db_setup, django_db_blocker) -> dict[str, Booklet]:
    """The programme booklets of the Quito forum and of ``twelve_session_forum``, each rendered once.

    Their rows live in a transaction rolled back once rendered: the tests read only the
    PDFs and the values noted in ``Booklet``.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_quito_forum", stdout=io.StringIO())
        quito = render_booklet(Forum.objects.get(slug="quito-2020"), ["22 January 2020", "Quito, Ecuador", "Edition 6"])
        twelve = render_booklet(
            twelve_session_forum(),
            ["22–23 January 2020", "Montevideo, Uruguay", "Palacio Municipal", "United Welcoming Cities (UWC)"],
        )
        transaction.set_rollback(True)
    return {"quito": quito, "twelve": twelve}


booklet_test = pytest.mark.parametrize("name", ["quito", "twelve"])
# One worker renders the booklets once for all these tests.
same_worker = pytest.mark.xdist_group("programme_booklets")


@pytest.mark.integration
@same_worker
def test_quito_booklet_prints_the_forum_and_its_session(booklets):
    text = " ".join(booklets["quito"].pages)

    assert "Strengthen partnerships to improve the local immigration response" in text
    assert "María Fernanda Garcés" in text
    assert "Introduction" in text and "For the first time, the Forum will be an integral part" in text
    assert "Cities Alliance; United Nations Development Program (UNDP); International Center" in text
    assert "Part of the Summit of the Global Forum on Migration and Development (GFMD)" in booklets["quito"].pages[0]


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_cover_is_page_1_without_header_or_footer(booklets, name):
    booklet = booklets[name]
    cover = booklet.pages[0]

    assert cover.startswith(f"PROGRAMME {booklet.forum_title} ")
    for text in booklet.cover:
        assert text in cover
    assert "Page 1 of" not in cover
    assert cover.count(booklet.forum_title) == 1  # no running header


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_outline_has_each_day_with_its_sessions(booklets, name):
    booklet = booklets[name]
    outline = pdf_outline(booklet.pdf)

    introduction = ["Introduction"] if booklet.has_introduction else []
    assert [bookmark.title for bookmark in outline] == ["Contents", *introduction, *(day.label for day in booklet.days)]
    assert outline[0].page == 2
    for day, bookmark in zip(booklet.days, outline[-len(booklet.days) :], strict=True):
        assert [child.title for child in bookmark.children] == [session.title for session in day.sessions]
        assert bookmark.page == bookmark.children[0].page
        for child in bookmark.children:
            assert child.page == booklet.session_page(child.title)
            assert child.children == []


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_contents_give_the_page_where_each_session_starts(booklets, name):
    booklet = booklets[name]
    contents = booklet.pages[1]
    sessions = [session for day in booklet.days for session in day.sessions]

    assert contents.startswith("Contents")
    for day in booklet.days:
        day_entry = re.search(re.escape(day.label) + r" [. ]+(\d+) ", contents)
        assert int(day_entry[1]) == booklet.session_page(day.sessions[0].title)
    for session in sessions:
        entry = re.search(r"\d\d:\d\d–\d\d:\d\d " + re.escape(session.title) + r" [. ]+(\d+)\b", contents)
        assert entry, session.title
        assert int(entry[1]) == booklet.session_page(session.title)
    pages = [booklet.session_page(session.title) for session in sessions]
    assert pages == sorted(set(pages))  # one session a page, in programme order
    if name == "twelve":  # session 03's long agenda runs over more pages
        assert booklet.session_page("Booklet session 04") > booklet.session_page("Booklet session 03") + 1


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_starts_each_session_on_a_new_page_under_its_day(booklets, name):
    booklet = booklets[name]

    for day in booklet.days:
        for position, session in enumerate(day.sessions):
            text = booklet.pages[booklet.session_page(session.title) - 1]
            before = text[: text.index(session.title)].removeprefix(booklet.forum_title).strip()
            expected = f"{day.heading} {session.kind}" if position == 0 else session.kind
            assert before.casefold() == expected.casefold()


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_pages_after_the_cover_have_the_running_header_and_page_x_of_y(booklets, name):
    booklet = booklets[name]
    count = len(booklet.pages)

    for number, text in enumerate(booklet.pages[1:], start=2):
        assert re.findall(r"Page \d+ of \d+", text) == [f"Page {number} of {count}"]
        assert booklet.forum_title in text


@pytest.mark.integration
@same_worker
@booklet_test
def test_booklet_is_a_tagged_pdf_with_title_author_and_language(booklets, name):
    booklet = booklets[name]
    catalog, info = pdf_catalog_and_info(booklet.pdf)

    assert info["/Title"] == f"{booklet.forum_title} — Programme"
    assert info["/Author"] == booklet.author
    assert info["/Subject"].startswith(f"Programme of the {booklet.forum_title}, ")
    assert catalog["/Lang"] == "en"
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalog
