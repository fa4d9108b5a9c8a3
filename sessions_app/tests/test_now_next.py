"""The "now and next" screen for the venue, seen at several moments of a two-day forum in Quito."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from forum.tests.factories import ForumFactory, RoomFactory
from sessions_app.models import Session
from sessions_app.selectors import Phase, now_and_next_of
from sessions_app.tests.factories import QUITO, SessionFactory, quito_time
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

NOW_NEXT_QUERIES = 3  # the forum, its latest release, its sessions with rooms and themes


def now_next_url(forum, at: str | None = None) -> str:
    url = reverse("sessions_app:now-next", kwargs={"forum_slug": forum.slug})
    return f"{url}?at={at}" if at is not None else url


@pytest.fixture
def forum():
    """22–23 January 2020 in Quito (UTC−5).

    22nd: opening plenary 09:00–10:00 (Main hall); Sala 1: A 10:30–12:00, C 14:00–15:00;
    Sala 2: B 10:30–12:00 (cancelled), evening session 20:00–21:30 (01:00–02:30 UTC on the
    23rd). 23rd: closing plenary 17:00–18:00 (Main hall).
    """
    forum = ForumFactory(title="Mayoral Forum Quito", end_date=quito_time(0).date() + timedelta(days=1))
    hall, sala_1, sala_2 = (RoomFactory(forum=forum, name=name) for name in ("Main hall", "Sala 1", "Sala 2"))

    def session(title, start, end, room, **kwargs):
        return SessionFactory(forum=forum, title=title, start=start, end=end, room=room, **kwargs)

    session("Opening plenary", quito_time(9), quito_time(10), hall, kind=Session.Kind.PLENARY)
    session("Parallel A", quito_time(10, 30), quito_time(12), sala_1)
    session("Parallel B", quito_time(10, 30), quito_time(12), sala_2, is_cancelled=True)
    session("Parallel C", quito_time(14), quito_time(15), sala_1)
    session("Evening session", quito_time(20), quito_time(21, 30), sala_2)
    next_day = timedelta(days=1)
    session("Closing plenary", quito_time(17) + next_day, quito_time(18) + next_day, hall, kind=Session.Kind.PLENARY)
    return forum


def screen(client, forum, at: str | None = None):
    response = client.get(now_next_url(forum, at))
    assert response.status_code == 200
    return response


def row_text(response, room: str) -> str:
    """The text of the table row of ``room`` ("Plenary" for the plenaries' row)."""
    html = response.content.decode()
    for row in re.findall(r'<tr class="now-next-row">.*?</tr>', html, flags=re.S):
        text = page_text(row)
        if text.startswith(room + " "):
            return text
    raise AssertionError(f"no row for {room!r}: {page_text(html)}")


def rooms_shown(response) -> list[str]:
    html = response.content.decode()
    return [page_text(th) for th in re.findall(r'<th scope="row">(.*?)</th>', html, flags=re.S)]


def test_before_the_forum_names_its_first_day_and_first_sessions(client, forum):
    text = page_text(screen(client, forum, "2020-01-21T18:00").content)

    assert "The forum starts on Wednesday 22 January 2020." in text
    assert "First sessions on Wednesday 22 January 09:00 · Opening plenary · Main hall" in text
    assert "Parallel A" not in text


def test_early_on_the_first_day_shows_what_comes_next_in_each_room(client, forum):
    response = screen(client, forum, "2020-01-22T08:00")

    assert rooms_shown(response) == ["Plenary", "Sala 1", "Sala 2"]
    assert row_text(response, "Plenary") == "Plenary — No session Opening plenary at 09:00 · Main hall"
    assert row_text(response, "Sala 1") == "Sala 1 — No session Parallel A at 10:30"
    assert row_text(response, "Sala 2") == "Sala 2 — No session Evening session at 20:00"  # B is cancelled
    assert "The forum starts" not in page_text(response.content)


def test_during_a_session_shows_it_now_and_the_next_one_of_its_room(client, forum):
    response = screen(client, forum, "2020-01-22T11:00")

    assert rooms_shown(response) == ["Sala 1", "Sala 2"]  # no plenary left today
    assert row_text(response, "Sala 1") == "Sala 1 Parallel A until 12:00 Parallel C at 14:00"
    assert row_text(response, "Sala 2") == "Sala 2 — No session Evening session at 20:00"
    assert "11:00 Wednesday 22 January 2020" in page_text(response.content)


def test_a_cancelled_session_is_never_now_or_next_and_is_listed_as_cancelled_until_it_would_end(client, forum):
    during = screen(client, forum, "2020-01-22T11:00")
    before = screen(client, forum, "2020-01-22T08:00")
    after = screen(client, forum, "2020-01-22T12:00")

    for response in (during, before):
        section = re.search(r'<section class="now-next-cancelled.*?</section>', response.content.decode(), re.S)
        assert page_text(section.group(0)) == "Cancelled today Cancelled 10:30–12:00 · Parallel B · Sala 2"
        assert "Parallel B" not in row_text(response, "Sala 2")
    assert "Parallel B" not in page_text(after.content) and "Cancelled today" not in page_text(after.content)


def test_between_sessions_shows_only_what_comes_next(client, forum):
    response = screen(client, forum, "2020-01-22T12:30")

    assert row_text(response, "Sala 1") == "Sala 1 — No session Parallel C at 14:00"
    assert row_text(response, "Sala 2") == "Sala 2 — No session Evening session at 20:00"


def test_a_plenary_running_now_is_in_the_plenary_row_with_its_room(client, forum):
    response = screen(client, forum, "2020-01-22T09:15")

    assert row_text(response, "Plenary") == "Plenary Opening plenary until 10:00 · Main hall — No session"
    assert row_text(response, "Sala 1") == "Sala 1 — No session Parallel A at 10:30"


def test_the_screen_keeps_to_the_forum_day_across_the_utc_date_boundary(client, forum):
    """20:30 in Quito is 01:30 UTC on the 23rd: the screen is still on the 22nd, and the
    closing plenary of the 23rd is not "next today"."""
    response = screen(client, forum, "2020-01-22T20:30")

    text = page_text(response.content)
    assert "20:30 Wednesday 22 January 2020" in text
    assert "01:30" not in text and "Thursday" not in text
    assert rooms_shown(response) == ["Sala 2"]
    assert row_text(response, "Sala 2") == "Sala 2 Evening session until 21:30 — No session"
    assert 'datetime="2020-01-22T20:30:00-05:00"' in response.content.decode()


def test_after_the_day_s_last_session_names_the_next_day(client, forum):
    text = page_text(screen(client, forum, "2020-01-22T22:00").content)

    assert "No more sessions today." in text
    assert "The programme continues on Thursday 23 January 2020." in text
    assert "First sessions on Thursday 23 January 17:00 · Closing plenary · Main hall" in text


def test_after_the_forum_says_it_has_ended(client, forum):
    for at in ("2020-01-23T18:00", "2021-06-01T10:00"):
        text = page_text(screen(client, forum, at).content)
        assert "The forum has ended." in text
        assert "Closing plenary" not in text


def test_a_preview_says_which_moment_it_shows(client, forum):
    text = page_text(screen(client, forum, "2020-01-22T11:00").content)

    assert "Preview of this screen on Wednesday 22 January 2020, 11:00." in text


@pytest.mark.parametrize("at", ["yesterday", "2020-13-45T10:00", "2020-01-22 11:00", "2020-01-22T25:00", "9" * 10_000])
def test_an_invalid_moment_is_reported_and_the_screen_shows_the_current_time(client, forum, at):
    response = screen(client, forum, at)

    text = page_text(response.content)
    assert "Showing the current time instead." in text
    assert "YYYY-MM-DDTHH:MM" in text
    assert "Preview of this screen" not in text
    assert "The forum has ended." in text  # the forum was in 2020


def test_a_moment_with_a_nul_character_is_refused(client, forum):
    assert client.get(now_next_url(forum) + "?at=%00").status_code == 400


def test_the_screen_updates_itself_without_reloading_and_keeps_lang_title_and_landmarks(client, forum):
    html = screen(client, forum, "2020-01-22T11:00").content.decode()

    head, body = html.split("</head>")
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in head, "reloads without script"
    assert 'http-equiv="refresh"' not in re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)
    assert re.search(r'<body [^>]*data-refresh-seconds="60" data-refreshing="true">', body)
    assert re.search(r'<header id="now-next-header"[^>]* data-refresh-part>', body)
    assert re.search(r'<main id="main"[^>]* data-refresh-part>', body)
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/js/live-update.js" defer>']
    assert re.search(r'<html lang="en">', html)
    assert "<title>Now and next · Mayoral Forum Quito</title>" in html
    for landmark in ("<header", "<main", "<footer"):
        assert html.count(landmark) == 1, landmark
    assert "All times are local to Quito (America/Guayaquil)." in page_text(html)
    programme = reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug})
    assert f'href="{programme}"' in html


def test_a_forum_without_sessions_says_the_programme_is_not_published(client):
    forum = ForumFactory()

    assert "The programme has not been published yet." in page_text(screen(client, forum).content)


def test_the_screen_of_an_unknown_or_unpublished_forum_is_404(client, forum):
    forum.is_published = False
    forum.save()

    assert client.get(now_next_url(forum)).status_code == 404
    assert client.get(reverse("sessions_app:now-next", kwargs={"forum_slug": "nowhere"})).status_code == 404


def test_the_screen_query_count_does_not_grow_with_the_programme(client, forum):
    with CaptureQueriesContext(connection) as small:
        screen(client, forum, "2020-01-22T11:00")
    rooms = [RoomFactory(forum=forum) for _ in range(8)]
    for number in range(48):
        start = quito_time(8 + number // 8)
        SessionFactory(forum=forum, room=rooms[number % 8], start=start, end=start + timedelta(minutes=50))

    with CaptureQueriesContext(connection) as big:
        response = screen(client, forum, "2020-01-22T11:00")

    assert len(rooms_shown(response)) == 2 + 8
    assert len(small) == len(big) == NOW_NEXT_QUERIES


def test_now_and_next_of_a_forum_across_a_daylight_saving_change():
    """Madrid, last Sunday of October 2020: 02:30 happens twice; a session 01:30–04:00
    local (00:30–03:00 UTC) is running at 02:30 on either side of the change."""
    madrid = ForumFactory.build(time_zone="Europe/Madrid")
    session = SessionFactory.build(
        forum=madrid,
        start=datetime(2020, 10, 24, 23, 30, tzinfo=UTC),
        end=datetime(2020, 10, 25, 3, 0, tzinfo=UTC),
    )

    for at in (datetime(2020, 10, 25, 0, 30, tzinfo=UTC), datetime(2020, 10, 25, 1, 30, tzinfo=UTC)):
        result = now_and_next_of([session], at=at, tz=madrid.tzinfo)
        assert result.phase == Phase.DURING
        assert result.rooms[0].now == [session]
        assert result.at.strftime("%H:%M") == "02:30"


def test_now_and_next_of_no_session_is_empty():
    result = now_and_next_of([], at=quito_time(10), tz=QUITO)

    assert result.phase == Phase.EMPTY and result.rows == []


def test_a_preview_moment_is_read_in_the_forum_time_zone_even_on_a_daylight_saving_change(client):
    madrid = ForumFactory(time_zone="Europe/Madrid", start_date=date(2020, 10, 25), end_date=date(2020, 10, 25))
    SessionFactory(
        forum=madrid,
        title="Night session",
        start=datetime(2020, 10, 24, 23, 30, tzinfo=UTC),
        end=datetime(2020, 10, 25, 3, 0, tzinfo=UTC),
    )

    response = screen(client, madrid, "2020-10-25T02:30")

    html = response.content.decode()
    assert 'datetime="2020-10-25T02:30:00+02:00"' in html  # the first 02:30, before clocks go back
    assert row_text(response, "Room not given") == "Room not given Night session until 04:00 — No session"


def test_the_screen_in_spanish_has_spanish_dates(client, forum):
    with translation.override("es"):
        url = now_next_url(forum, "2020-01-22T11:00")

    response = client.get(url)

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    assert "miércoles" in page_text(response.content).lower()
