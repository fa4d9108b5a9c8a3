"""Printing a session agenda and a programme: HTML from templates, PDF from WeasyPrint."""

import hashlib
import string
import subprocess
import urllib.request
from datetime import date, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation
from weasyprint.urls import URLFetcherResponse

from forum.tests.factories import ForumFactory, RoomFactory
from sessions_app import pdf
from sessions_app.models import Session
from sessions_app.tests.factories import (
    AgendaItemFactory,
    SessionFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.pdf_support import QUITO_KEY_QUESTIONS, loaded_for_print, normalize, pdf_text

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


@pytest.mark.unit
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/static/css/pdf.css",
        "http://forum.invalid/static/css/pdf.css",
        "data:text/css;base64,Ym9keXt9",
        "https://forum.invalid/media/documents/x.pdf",
        "https://forum.invalid/static/../../etc/passwd",
        "https://forum.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://forum.invalid/static//etc/passwd",
        "https://forum.invalid/static/css/",
        "https://forum.invalid/static/css/missing.css",
    ],
)
def test_static_files_fetcher_refuses_anything_else(url):
    with pytest.raises(pdf.ResourceRefused):
        pdf.StaticFilesFetcher().fetch(url)


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
      </head><body><p>Visible text</p>
      <img src="file:///etc/passwd" alt=""><img src="http://example.com/x.png" alt="">
      <img src="data:image/png;base64,iVBORw0KGgo=" alt=""></body></html>"""

    text = pdf_text(pdf.html_to_pdf(html))

    assert "Visible text" in text
    assert "LEAKED-SECRET" not in text
    assert "root:" not in text
    assert "Page 1 of 1" in text  # the static stylesheet was served: its @page footer printed
    assert opened == []
    for url in (secret.as_uri(), "file:///etc/passwd", "http://example.com/x.png"):
        assert url in caplog.text
    assert "ResourceRefused" in caplog.text


# Session agenda.


@pytest.mark.integration
def test_session_agenda_pdf_prints_the_concept_note(quito_session):
    text = pdf_text(pdf.html_to_pdf(pdf.render_session_agenda_html(loaded_for_print(quito_session))))

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
    assert "Page 1 of" in text


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
def test_session_agenda_html_is_deterministic_whatever_the_active_language_and_zone(quito_session):
    session = loaded_for_print(quito_session)
    first = pdf.render_session_agenda_html(session)

    with translation.override("es"), timezone.override("Asia/Tokyo"):
        second = pdf.render_session_agenda_html(loaded_for_print(quito_session))

    assert first == second
    assert "Wednesday 22 January 2020, 14:00–16:30" in normalize(first)


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
def test_programme_pdf_prints_the_forum_and_its_sessions(quito_forum, quito_session):
    text = pdf_text(pdf.html_to_pdf(pdf.render_programme_html(quito_forum, programme_sessions(quito_forum))))

    assert quito_forum.title in text
    assert "Programme" in text
    assert quito_session.title in text
    assert "María Fernanda Garcés" in text
    assert "Wednesday 22 January 2020" in text
    assert "For the first time, the Forum will be an integral part" in text
    assert "Cities Alliance; United Nations Development Program (UNDP); International Center" in text


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

    order = [
        "Wednesday 22 January 2020",
        opening.title,
        "Welcome words",
        "Jorge Yunda Machado</span>, Mayor of Quito",
        "Parallel sessions: Cities as first responders",
        parallel_a.title,
        parallel_b.title,
        "Thursday 23 January 2020",
        closing.title,
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    assert "09:00–11:30" in html  # local Quito time, not UTC
    assert "22–23 January 2020" in html


@pytest.mark.integration
def test_programme_gives_each_day_its_utc_offset_and_a_session_its_own_when_it_differs(db):
    forum = madrid_forum_across_dst()
    SessionFactory(forum=forum, title="Saturday morning", start=madrid_time(28, 10), end=madrid_time(28, 11))
    SessionFactory(forum=forum, title="Before the change", start=madrid_time(29, 1), end=madrid_time(29, 1, 30))
    SessionFactory(forum=forum, title="Sunday morning", start=madrid_time(29, 10), end=madrid_time(29, 11))

    text = pdf_text(pdf.html_to_pdf(pdf.render_programme_html(forum, programme_sessions(forum))))

    assert "All times are local time in Europe/Madrid" in text
    assert "Saturday 28 March 2020 (UTC+0100) Parallel sessions 10:00–11:00 Saturday morning" in text
    assert "Sunday 29 March 2020 (UTC+0100) Parallel sessions 01:00–01:30 Before the change" in text
    assert "Parallel sessions 10:00–11:00 (UTC+0200) Sunday morning" in text
    assert "UTC+01:00" not in text and "UTC+02:00" not in text
