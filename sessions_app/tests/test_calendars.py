"""iCalendar files of the programme and of one session, read back with ``icalendar`` as a
calendar app would: local times across a daylight-saving change, escaping and folding,
stable UIDs, cancelled sessions, 404s, language and query counts."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from icalendar import Calendar, Event

from forum.tests.factories import ForumFactory, RoomFactory
from sessions_app.calendars import Attendance, personal_calendar, session_page_urls
from sessions_app.models import Session
from sessions_app.tests.factories import SessionFactory, ThemeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

MADRID = ZoneInfo("Europe/Madrid")
FEED_QUERIES = 3  # the forum, its latest release, its sessions with room and theme
SESSION_FILE_QUERIES = 2  # the session with forum, room and theme; the latest release


def madrid(day: int, hour: int) -> datetime:
    """``day`` October 2025 at ``hour``:00 in Madrid; summer time ends on the 26th at 03:00."""
    return datetime(2025, 10, day, hour, tzinfo=MADRID)


def programme_ics_url(forum) -> str:
    return reverse("calendars:programme-ics", kwargs={"forum_slug": forum.slug})


def session_ics_url(session) -> str:
    return reverse("calendars:session-ics", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug})


def session_page_url(session) -> str:
    return reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def parsed(response) -> Calendar:
    """The calendar of a 200 ``text/calendar`` response."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def only_event(response) -> Event:
    [event] = parsed(response).events
    return event


def local(moment: datetime) -> tuple[str, datetime]:
    """``moment``'s TZID and wall-clock time, as a calendar app reads them."""
    return str(moment.tzinfo), moment.replace(tzinfo=None)


@pytest.fixture
def madrid_forum(db):
    """A forum in Madrid over the weekend summer time ends (25–27 October 2025)."""
    return ForumFactory(
        time_zone="Europe/Madrid",
        start_date=date(2025, 10, 25),
        end_date=date(2025, 10, 27),
        venue="Palacio de Congresos",
        city="Madrid",
    )


# Times and time zones.


def test_programme_feed_keeps_local_times_across_the_end_of_summer_time(client, madrid_forum):
    SessionFactory(forum=madrid_forum, title="Saturday", start=madrid(25, 10), end=madrid(25, 11))
    SessionFactory(forum=madrid_forum, title="Monday", start=madrid(27, 10), end=madrid(27, 11))

    response = client.get(programme_ics_url(madrid_forum))

    calendar = parsed(response)
    events = {str(event["SUMMARY"]): event for event in calendar.events}
    saturday, monday = events["Saturday"], events["Monday"]
    assert saturday["DTSTART"].params["TZID"] == monday["DTEND"].params["TZID"] == "Europe/Madrid"
    assert local(saturday.start) == ("Europe/Madrid", datetime(2025, 10, 25, 10))
    assert local(saturday.end) == ("Europe/Madrid", datetime(2025, 10, 25, 11))
    assert local(monday.start) == ("Europe/Madrid", datetime(2025, 10, 27, 10))
    assert saturday.start.astimezone(UTC) == datetime(2025, 10, 25, 8, tzinfo=UTC)  # CEST, UTC+2
    assert monday.start.astimezone(UTC) == datetime(2025, 10, 27, 9, tzinfo=UTC)  # CET, UTC+1
    text = response.content.decode()
    assert "DTSTART;TZID=Europe/Madrid:20251025T100000\r\n" in text
    assert "DTSTART;TZID=Europe/Madrid:20251027T100000\r\n" in text
    [zone] = calendar.timezones
    assert zone.tz_name == "Europe/Madrid"
    assert zone.standard and zone.daylight
    own_rules = zone.to_tz(lookup_tzid=False)  # the offsets the file itself gives, not the tz database's
    assert datetime(2025, 10, 25, 10, tzinfo=own_rules).utcoffset() == timedelta(hours=2)
    assert datetime(2025, 10, 27, 10, tzinfo=own_rules).utcoffset() == timedelta(hours=1)


def test_session_crossing_midnight_ends_on_the_next_day(client, madrid_forum):
    session = SessionFactory(forum=madrid_forum, start=madrid(25, 23), end=madrid(26, 1))

    response = client.get(session_ics_url(session))

    event = only_event(response)
    assert local(event.start) == ("Europe/Madrid", datetime(2025, 10, 25, 23))
    assert local(event.end) == ("Europe/Madrid", datetime(2025, 10, 26, 1))
    assert event.end - event.start == timedelta(hours=2)
    assert "DTEND;TZID=Europe/Madrid:20251026T010000\r\n" in response.content.decode()


def test_forum_in_utc_gets_utc_times_and_no_vtimezone(client):
    forum = ForumFactory(time_zone="UTC")
    session = SessionFactory(forum=forum, start=datetime(2020, 1, 22, 19, tzinfo=UTC))

    response = client.get(session_ics_url(session))

    calendar = parsed(response)
    assert calendar.timezones == []
    assert "DTSTART:20200122T190000Z\r\n" in response.content.decode()
    assert calendar.events[0].start == datetime(2020, 1, 22, 19, tzinfo=UTC)


def test_vtimezone_is_shared_by_feeds_of_one_zone_and_years_and_follows_each_zone_and_year(client):
    """VTIMEZONEs are kept per process by zone and years (``calendars.vtimezone``): two
    Madrid forums of 2025 carry the same one; a Madrid forum of 2031 and a Santiago forum
    carry their own, with the offsets of their own dates."""

    def feed_zone(time_zone: str, year: int, month: int):
        zone = ZoneInfo(time_zone)
        forum = ForumFactory(time_zone=time_zone, start_date=date(year, month, 10), end_date=date(year, month, 11))
        SessionFactory(
            forum=forum, start=datetime(year, month, 10, 9, tzinfo=zone), end=datetime(year, month, 10, 10, tzinfo=zone)
        )
        [vtimezone] = parsed(client.get(programme_ics_url(forum))).timezones
        return vtimezone

    autumn, spring = feed_zone("Europe/Madrid", 2025, 10), feed_zone("Europe/Madrid", 2025, 3)
    later = feed_zone("Europe/Madrid", 2031, 7)
    santiago = feed_zone("America/Santiago", 2025, 7)

    assert autumn.to_ical() == spring.to_ical()
    assert later.to_ical() != autumn.to_ical()
    later_rules = later.to_tz(lookup_tzid=False)
    assert datetime(2031, 7, 10, 9, tzinfo=later_rules).utcoffset() == timedelta(hours=2)
    assert datetime(2031, 12, 10, 9, tzinfo=later_rules).utcoffset() == timedelta(hours=1)
    assert santiago.tz_name == "America/Santiago"
    santiago_rules = santiago.to_tz(lookup_tzid=False)
    assert datetime(2025, 7, 10, 9, tzinfo=santiago_rules).utcoffset() == timedelta(hours=-4)
    assert datetime(2025, 1, 10, 9, tzinfo=santiago_rules).utcoffset() == timedelta(hours=-3)


def test_session_urls_made_once_per_file_equal_reversed_ones_and_refuse_what_reverse_refuses(madrid_forum):
    urls = session_page_urls(madrid_forum)

    assert urls("mesa-1_b") == settings.SITE_URL + reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": madrid_forum.slug, "session_slug": "mesa-1_b"}
    )
    with translation.override("es"):
        assert session_page_urls(madrid_forum)("mesa") == settings.SITE_URL + reverse(
            "sessions_app:session-detail", kwargs={"forum_slug": madrid_forum.slug, "session_slug": "mesa"}
        )
    with pytest.raises(NoReverseMatch):
        urls("mesa uno")


# Text: escaping, folding, what each property says.


def test_text_is_escaped_and_folded_and_reads_back_unchanged(client, madrid_forum):
    title = (
        "Ciudades, migración; y derechos — participación ciudadana en la acogida de personas "
        "en situación de movilidad humana en América Latina"
    )
    objective = "Analizar: acogida, integración; y derechos.\n\nSegundo párrafo — “niñas, niños y adolescentes”."
    room = RoomFactory(forum=madrid_forum, name="Sala Quitumbe, piso 2; ala norte")
    session = SessionFactory(
        forum=madrid_forum, title=title, objective=objective, room=room, start=madrid(25, 10), end=madrid(25, 11)
    )

    response = client.get(session_ics_url(session))

    lines = response.content.split(b"\r\n")
    assert lines[-1] == b""  # every line, the last included, ends with CRLF
    assert all(len(line) <= 75 for line in lines)
    assert [line.decode() for line in lines]  # no line breaks a UTF-8 character in two
    assert any(line.startswith(b" ") for line in lines)  # the long title was folded
    unfolded = response.content.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Ciudades\\, migración\\; y derechos" in unfolded
    assert "DESCRIPTION:Analizar: acogida\\, integración\\; y derechos.\\n\\nSegundo párrafo" in unfolded
    event = only_event(response)
    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]) == f"{objective}\n\n{settings.SITE_URL}{session_page_url(session)}"
    assert str(event["LOCATION"]) == "Sala Quitumbe, piso 2; ala norte, Palacio de Congresos, Madrid"


def test_session_file_is_a_download_with_every_property(client, madrid_forum):
    theme = ThemeFactory(forum=madrid_forum, title="Cities and migration")
    session = SessionFactory(forum=madrid_forum, slug="welcome", theme=theme, start=madrid(25, 10), end=madrid(25, 11))

    response = client.get(session_ics_url(session))

    assert response["Content-Disposition"] == f'attachment; filename="{madrid_forum.slug}-welcome.ics"'
    calendar = parsed(response)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar["PRODID"]
    assert "X-WR-CALNAME" not in calendar  # importing one event makes no new calendar
    [event] = calendar.events
    assert str(event["UID"]) == str(session.guid)
    assert str(event["URL"]) == settings.SITE_URL + session_page_url(session)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Palacio de Congresos, Madrid"  # no room
    assert [str(category) for category in event.categories] == ["Parallel session", "Cities and migration"]
    stamp = event["DTSTAMP"].dt
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_programme_feed_is_named_and_asks_for_hourly_refresh(client, madrid_forum):
    SessionFactory(forum=madrid_forum, start=madrid(25, 10), end=madrid(25, 11))

    calendar = parsed(client.get(programme_ics_url(madrid_forum)))

    assert madrid_forum.title in str(calendar["X-WR-CALNAME"])
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"


# Identity and status.


def test_uid_is_the_session_guid_and_survives_edits(client, madrid_forum):
    session = SessionFactory(forum=madrid_forum, title="Before", start=madrid(25, 10), end=madrid(25, 11))
    other = SessionFactory(forum=madrid_forum, start=madrid(25, 10), end=madrid(25, 11))
    before = only_event(client.get(session_ics_url(session)))

    session.title = "After"
    session.start, session.end = madrid(27, 15), madrid(27, 16)
    session.room = RoomFactory(forum=madrid_forum)
    session.save()
    after = only_event(client.get(session_ics_url(session)))

    assert str(after["SUMMARY"]) == "After"
    assert str(before["UID"]) == str(after["UID"]) == str(session.guid)
    feed = parsed(client.get(programme_ics_url(madrid_forum)))
    assert sorted(str(event["UID"]) for event in feed.events) == sorted([str(session.guid), str(other.guid)])


def test_cancelled_session_is_marked_cancelled(client, madrid_forum):
    cancelled = SessionFactory(
        forum=madrid_forum, title="Gone", is_cancelled=True, start=madrid(25, 10), end=madrid(25, 11)
    )
    SessionFactory(forum=madrid_forum, title="Still on", start=madrid(25, 10), end=madrid(25, 11))

    feed = parsed(client.get(programme_ics_url(madrid_forum)))
    own_file = only_event(client.get(session_ics_url(cancelled)))

    statuses = {str(event["UID"]): str(event["STATUS"]) for event in feed.events}
    assert statuses[str(cancelled.guid)] == "CANCELLED"
    assert sorted(statuses.values()) == ["CANCELLED", "CONFIRMED"]
    assert str(own_file["STATUS"]) == "CANCELLED"
    assert str(own_file["SUMMARY"]) == "Cancelled: Gone"


def test_personal_calendar_marks_what_is_not_certain_tentative():
    forum = ForumFactory.build(time_zone="Europe/Madrid")
    plenary = SessionFactory.build(forum=forum, kind=Session.Kind.PLENARY, title="Opening")
    waiting = SessionFactory.build(forum=forum, title="Housing")
    pending = SessionFactory.build(forum=forum, title="Jobs")
    entries = [(plenary, Attendance.CONFIRMED), (waiting, Attendance.WAITLISTED), (pending, Attendance.TENTATIVE)]

    calendar = personal_calendar(forum, entries, stamp=datetime(2025, 10, 1, tzinfo=UTC))

    read_back = Calendar.from_ical(calendar.to_ical())
    assert [(str(event["SUMMARY"]), str(event["STATUS"])) for event in read_back.events] == [
        ("Opening", "CONFIRMED"),
        ("Waitlist: Housing", "TENTATIVE"),
        ("Jobs", "TENTATIVE"),
    ]
    assert read_back.events[0]["DTSTAMP"].dt == datetime(2025, 10, 1, tzinfo=UTC)


# Who sees what.


@pytest.mark.parametrize("which", ["programme", "session"])
def test_unpublished_forum_answers_404(client, which):
    session = SessionFactory(forum=ForumFactory(is_published=False))
    url = programme_ics_url(session.forum) if which == "programme" else session_ics_url(session)

    assert client.get(url).status_code == 404


def test_unknown_forum_or_session_answers_404(client):
    session = SessionFactory()
    elsewhere = SessionFactory()

    assert client.get(reverse("calendars:programme-ics", kwargs={"forum_slug": "nowhere"})).status_code == 404
    wrong_forum = reverse(
        "calendars:session-ics", kwargs={"forum_slug": session.forum.slug, "session_slug": elsewhere.slug}
    )
    assert client.get(wrong_forum).status_code == 404


# Language.


@pytest.mark.parametrize("language", ["en", "es"])
def test_feed_in_the_language_of_its_url_links_to_pages_in_that_language(client, madrid_forum, language):
    session = SessionFactory(forum=madrid_forum, start=madrid(25, 10), end=madrid(25, 11))
    with translation.override(language):
        url = programme_ics_url(madrid_forum)
        page = session_page_url(session)

    event = only_event(client.get(url))

    assert url.startswith(f"/{language}/")
    assert page.startswith(f"/{language}/")
    assert str(event["URL"]) == settings.SITE_URL + page
    assert str(event["DESCRIPTION"]).endswith(settings.SITE_URL + page)


def test_title_and_objective_empty_in_the_language_of_the_url_fall_back_to_the_other_language(client, madrid_forum):
    SessionFactory(
        forum=madrid_forum,
        start=madrid(25, 10),
        end=madrid(25, 11),
        title_en="",
        title_es="Vivienda asequible",
        objective_en="Affordable housing for all.",
        objective_es="",
    )
    with translation.override("es"):
        spanish_url = programme_ics_url(madrid_forum)

    english, spanish = only_event(client.get(programme_ics_url(madrid_forum))), only_event(client.get(spanish_url))

    assert str(english["SUMMARY"]) == str(spanish["SUMMARY"]) == "Vivienda asequible"
    assert str(english["DESCRIPTION"]).startswith("Affordable housing for all.\n\n")
    assert str(spanish["DESCRIPTION"]).startswith("Affordable housing for all.\n\n")


# Query counts.


def test_programme_feed_query_count_does_not_grow_with_sessions(client, madrid_forum, django_assert_max_num_queries):
    def add_session(hour: int) -> None:
        SessionFactory(
            forum=madrid_forum,
            room=RoomFactory(forum=madrid_forum),
            theme=ThemeFactory(forum=madrid_forum),
            start=madrid(25, 0) + timedelta(minutes=30 * hour),
            end=madrid(25, 0) + timedelta(minutes=30 * hour + 25),
        )

    add_session(0)
    with django_assert_max_num_queries(FEED_QUERIES):
        response = client.get(programme_ics_url(madrid_forum))
    assert len(parsed(response).events) == 1

    for hour in range(1, 31):
        add_session(hour)
    with django_assert_max_num_queries(FEED_QUERIES):
        response = client.get(programme_ics_url(madrid_forum))
    assert len(parsed(response).events) == 31


def test_session_file_takes_one_query(client, madrid_forum, django_assert_max_num_queries):
    session = SessionFactory(
        forum=madrid_forum,
        room=RoomFactory(forum=madrid_forum),
        theme=ThemeFactory(forum=madrid_forum),
        start=madrid(25, 10),
        end=madrid(25, 11),
    )

    with django_assert_max_num_queries(SESSION_FILE_QUERIES):
        response = client.get(session_ics_url(session))

    assert str(only_event(response)["UID"]) == str(session.guid)


# The session page.


def test_session_page_links_to_its_calendar_file(client, madrid_forum):
    session = SessionFactory(forum=madrid_forum, start=madrid(25, 10), end=madrid(25, 11))

    response = client.get(session_page_url(session))

    assert response.status_code == 200
    assert f'href="{session_ics_url(session)}"' in response.content.decode()
    assert "Add to calendar" in response.content.decode()
    assert "session-cancelled" not in response.content.decode()


def test_session_page_shows_a_cancelled_badge(client, madrid_forum):
    session = SessionFactory(forum=madrid_forum, is_cancelled=True, start=madrid(25, 10), end=madrid(25, 11))

    response = client.get(session_page_url(session))

    html = response.content.decode()
    heading = html[html.index('<h1 class="page-title">') : html.index("</h1>")]
    assert "Cancelled" in heading
