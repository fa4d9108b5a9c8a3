"""The frab schedule exports (schedule.xml, schedule.json): valid against the c3voc schemas,
holding the programme in the forum's time zone, in a constant number of queries."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from lxml import etree

from forum.models import Person
from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory
from sessions_app.frab.export import UNRELEASED_VERSION, event_description, frab_schedule
from sessions_app.frab.identifiers import acronym_for_slug, event_slug, slug_for_acronym
from sessions_app.models import SpeakerRole
from sessions_app.releases import ProgrammeRelease
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    ReferenceFactory,
    SessionFactory,
    SpeakerRoleFactory,
    ThemeFactory,
)
from sessions_app.tests.frab_support import events, json_schema_errors, xml_schema_errors

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

QUITO = ZoneInfo("America/Guayaquil")
EXPORT_QUERIES = 10  # forum; latest release (schedule); sessions, agenda items, speaker roles, key questions,
# references; rooms; release number; themes


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` January 2020 at ``hour:minute`` in Quito."""
    return datetime(2020, 1, day, hour, minute, tzinfo=QUITO)


def speakers(session, *people, role=SpeakerRole.Role.SPEAKER, group: str = "") -> None:
    """One agenda item spanning ``session`` with ``people`` (and a named ``group``) in order."""
    item = AgendaItemFactory(session=session, order=1, start=session.start, end=session.end)
    for order, person in enumerate(people, start=1):
        SpeakerRoleFactory(agenda_item=item, order=order, person=person, role=role)
    if group:
        SpeakerRoleFactory(agenda_item=item, order=len(people) + 1, person=None, group_name=group)


@pytest.fixture
def programme():
    """A three-day forum in Quito: plenaries and parallel sessions in three rooms, José Núñez
    in two sessions, a session past midnight, one without a room and a cancelled one."""
    forum = ForumFactory(
        slug="foro-ciudades-2020",
        title="Foro de Ciudades — Movilidad",
        start_date=date(2020, 1, 22),
        end_date=date(2020, 1, 24),
    )
    auditorio = RoomFactory(forum=forum, name="Auditorio", capacity=300)
    sala = RoomFactory(forum=forum, name="Sala Andrés Bello", capacity=None)
    RoomFactory(forum=forum, name="Sala 3")
    first = ThemeFactory(forum=forum, title="Respuestas de las ciudades: acogida", order=1)
    second = ThemeFactory(forum=forum, title="Integración socioeconómica", order=2)
    jose = PersonFactory(name="José Núñez", slug="jose-nunez")
    ana = PersonFactory(name="Ana Martínez", slug="ana-martinez")
    opening = SessionFactory(
        forum=forum,
        kind="plenary",
        title="Inauguración del Foro",
        slug="inauguracion",
        room=auditorio,
        start=at(22, 9),
        end=at(22, 10),
        objective="Dar la bienvenida.",
        context="",
    )
    speakers(opening, jose, ana, group="Representantes de la juventud")
    partnerships = SessionFactory(
        forum=forum,
        title="Alianzas para la integración",
        slug="alianzas",
        theme=first,
        room=sala,
        start=at(22, 14),
        end=at(22, 16, 30),
        objective="Analizar las alianzas.",
        context="Las ciudades acogen [^1].",
        methodology="Panel y debate.",
        expected_result="Recomendaciones.",
    )
    KeyQuestionFactory(session=partnerships, order=1, text="¿Cómo financiar la acogida?")
    ReferenceFactory(session=partnerships, number=1, citation="OIM, Informe 2019.")
    speakers(partnerships, jose, role=SpeakerRole.Role.FACILITATOR)
    SessionFactory(forum=forum, title="Trabajo decente", slug="trabajo", theme=second, room=auditorio, start=at(22, 14))
    SessionFactory(
        forum=forum,
        title="Noche de cine",
        slug="cine",
        theme=second,
        room=auditorio,
        start=at(23, 22),
        end=at(24, 0, 30),
    )
    SessionFactory(forum=forum, kind="plenary", title="Clausura", slug="clausura", room=None, start=at(24, 11))
    SessionFactory(
        forum=forum, title="Sesión cancelada", slug="cancelada", room=sala, start=at(23, 9), is_cancelled=True
    )
    return forum


def schedule_xml_url(forum) -> str:
    return reverse("schedule:schedule-xml", kwargs={"forum_slug": forum.slug})


def schedule_json_url(forum) -> str:
    return reverse("schedule:schedule-json", kwargs={"forum_slug": forum.slug})


def get_json(client, forum) -> dict:
    response = client.get(schedule_json_url(forum))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def get_xml(client, forum) -> bytes:
    response = client.get(schedule_xml_url(forum))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    return response.content


def by_title(document: dict) -> dict[str, dict]:
    return {event["title"]: event for event in events(document)}


# Validity against the published schemas (../shared/schemas).


@pytest.mark.parametrize("forum_fixture", ["quito_forum", "programme"])
def test_schedule_json_validates_against_the_json_schema(client, request, forum_fixture):
    forum = request.getfixturevalue(forum_fixture)
    document = get_json(client, forum)
    assert events(document)
    assert json_schema_errors(document) == []


@pytest.mark.parametrize("forum_fixture", ["quito_forum", "programme"])
def test_schedule_xml_validates_against_the_xsd(client, request, forum_fixture):
    forum = request.getfixturevalue(forum_fixture)
    body = get_xml(client, forum)
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<schedule>\n  <url>")
    assert etree.fromstring(body).findall("day/room/event")
    assert xml_schema_errors(body) == []


def test_schedule_xml_leaves_out_control_characters_pasted_into_texts(client, programme):
    programme.sessions.filter(slug="trabajo").update(title_en="Trabajo\x01 decente", objective_en="Uno\x0b dos")
    programme.rooms.filter(name="Auditorio").update(name="Audi\x7ftorio")

    response = client.get(schedule_xml_url(programme))

    assert response.status_code == 200
    root = etree.fromstring(response.content)
    event = next(event for event in root.iter("event") if event.findtext("title") == "Trabajo decente")
    assert (event.findtext("abstract"), event.findtext("room")) == ("Uno dos", "Auditorio")
    assert "Auditorio" in [room.get("name") for room in root.iter("room")]
    assert xml_schema_errors(response.content) == []


# What the files say.


def test_schedule_json_holds_the_programme_in_the_forum_time_zone(client, programme):
    document = get_json(client, programme)
    schedule = document["schedule"]
    conference = schedule["conference"]
    assert schedule["version"] == UNRELEASED_VERSION
    assert conference["acronym"] == "foro_ciudades_2020"
    assert conference["title"] == "Foro de Ciudades — Movilidad"
    assert (conference["start"], conference["end"], conference["daysCount"]) == ("2020-01-22", "2020-01-24", 3)
    assert conference["time_zone_name"] == "America/Guayaquil"
    assert conference["timeslot_duration"] == "00:30"
    assert [track["name"] for track in conference["tracks"]] == [
        "Respuestas de las ciudades: acogida",
        "Integración socioeconómica",
    ]
    assert [(room["name"], room["capacity"]) for room in conference["rooms"]] == [
        ("Auditorio", 300),
        ("Sala 3", 80),
        ("Sala Andrés Bello", None),
        ("Room to be announced", None),
    ]
    days = conference["days"]
    assert [(day["index"], day["date"], day["day_start"]) for day in days] == [
        (1, "2020-01-22", "2020-01-22T00:00:00-05:00"),
        (2, "2020-01-23", "2020-01-23T00:00:00-05:00"),
        (3, "2020-01-24", "2020-01-24T00:00:00-05:00"),
    ]
    assert days[1]["day_end"] == "2020-01-24T00:30:00-05:00"  # the film runs past midnight
    assert days[2]["day_end"] == "2020-01-25T00:00:00-05:00"
    assert {title: event["room"] for title, event in by_title(document).items()} == {
        "Inauguración del Foro": "Auditorio",
        "Alianzas para la integración": "Sala Andrés Bello",
        "Trabajo decente": "Auditorio",
        "Noche de cine": "Auditorio",
        "Clausura": "Room to be announced",
    }
    assert [event["title"] for event in days[0]["rooms"]["Auditorio"]] == ["Inauguración del Foro", "Trabajo decente"]


def test_schedule_json_events_carry_guid_times_type_track_and_texts(client, programme):
    events_by_title = by_title(get_json(client, programme))
    opening = programme.sessions.get(slug="inauguracion")
    event = events_by_title["Inauguración del Foro"]
    assert (event["guid"], event["id"]) == (str(opening.guid), opening.pk)
    assert (event["date"], event["start"], event["duration"]) == ("2020-01-22T09:00:00-05:00", "09:00", "01:00")
    assert event["end"] == "2020-01-22T10:00:00-05:00"
    assert (event["type"], event["track"], event["language"]) == ("plenary", None, "en")
    assert event["slug"] == "foro_ciudades_2020-inauguracion"
    assert event["url"] == "http://testserver" + reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": programme.slug, "session_slug": "inauguracion"}
    )
    assert event["abstract"] == "Dar la bienvenida."
    film = events_by_title["Noche de cine"]
    assert (film["date"], film["duration"], film["type"]) == ("2020-01-23T22:00:00-05:00", "02:30", "parallel")
    partnerships = events_by_title["Alianzas para la integración"]
    assert partnerships["track"] == "Respuestas de las ciudades: acogida"
    assert partnerships["description"] == (
        "Las ciudades acogen [^1].\n\nMethodology\nPanel y debate.\n\nKey questions\n1. ¿Cómo financiar la acogida?"
        "\n\nExpected result\nRecomendaciones.\n\n[^1]: OIM, Informe 2019."
    )


def test_schedule_lists_people_once_per_session_with_their_guid(client, programme):
    events_by_title = by_title(get_json(client, programme))
    jose, ana = (programme_person(name) for name in ("José Núñez", "Ana Martínez"))
    opening = events_by_title["Inauguración del Foro"]["persons"]
    assert [(person["guid"], person["id"], person["name"]) for person in opening] == [
        (str(jose.guid), jose.pk, "José Núñez"),
        (str(ana.guid), ana.pk, "Ana Martínez"),
    ]
    assert [person["guid"] for person in events_by_title["Alianzas para la integración"]["persons"]] == [str(jose.guid)]
    assert events_by_title["Trabajo decente"]["persons"] == []


def programme_person(name: str) -> Person:
    return Person.objects.get(name=name)


def test_schedule_leaves_out_cancelled_sessions(client, programme):
    cancelled = programme.sessions.get(slug="cancelada")
    assert str(cancelled.guid) not in {event["guid"] for event in events(get_json(client, programme))}
    assert str(cancelled.guid).encode() not in get_xml(client, programme)


def test_schedule_xml_holds_the_same_programme_as_the_json(client, programme):
    document = get_json(client, programme)
    root = etree.fromstring(get_xml(client, programme))
    assert root.findtext("version") == UNRELEASED_VERSION
    assert root.findtext("conference/acronym") == "foro_ciudades_2020"
    assert root.findtext("conference/time_zone_name") == "America/Guayaquil"
    assert [day.get("start") for day in root.findall("day")] == [
        day["day_start"] for day in document["schedule"]["conference"]["days"]
    ]
    xml_events = {
        event.get("guid"): (
            event.findtext("title"),
            event.findtext("date"),
            event.findtext("duration"),
            event.findtext("room"),
            event.getparent().get("name"),
            event.findtext("type"),
            event.findtext("track"),
            [(person.get("guid"), person.text) for person in event.findall("persons/person")],
        )
        for event in root.iter("event")
    }
    assert xml_events == {
        event["guid"]: (
            event["title"],
            event["date"],
            event["duration"],
            event["room"],
            event["room"],
            event["type"],
            event["track"] or "",
            [(person["guid"], person["name"]) for person in event["persons"]],
        )
        for event in events(document)
    }


def test_schedule_version_is_the_latest_release_number(client, programme):
    ProgrammeRelease.objects.create(forum=programme, number=1)
    ProgrammeRelease.objects.create(forum=programme, number=2)
    assert get_json(client, programme)["schedule"]["version"] == "2"
    assert etree.fromstring(get_xml(client, programme)).findtext("version") == "2"


def test_schedule_in_spanish_gives_the_language_and_spanish_urls(client, programme):
    with translation.override("es"):
        url = schedule_json_url(programme)
    assert url.startswith("/es/")
    event = by_title(json.loads(client.get(url).content))["Inauguración del Foro"]
    assert event["language"] == "es"
    assert event["url"].startswith("http://testserver/es/")


def test_texts_empty_in_the_language_shown_fall_back_to_the_other_language(client, programme):
    session = SessionFactory(
        forum=programme,
        start=at(23, 15),
        end=at(23, 16),
        title_en="Housing",
        title_es="Vivienda",
        objective_en="",
        objective_es="Objetivo en español.",
        methodology_en="Method in English.",
        methodology_es="",
    )
    KeyQuestionFactory(session=session, order=1, text_en="", text_es="¿Quién paga?")
    english_xml = etree.fromstring(get_xml(client, programme)).find(f"day/room/event[@guid='{session.guid}']")
    english = by_title(get_json(client, programme))["Housing"]
    with translation.override("es"):
        spanish_url = schedule_json_url(programme)
    spanish = by_title(json.loads(client.get(spanish_url).content))["Vivienda"]

    assert english["abstract"] == spanish["abstract"] == "Objetivo en español."
    assert "Key questions\n1. ¿Quién paga?" in english["description"]
    assert "Method in English." in spanish["description"]
    assert english_xml.findtext("title") == "Housing"
    assert english_xml.findtext("abstract") == "Objetivo en español."


@pytest.mark.parametrize("url_name", ["schedule:schedule-xml", "schedule:schedule-json"])
def test_schedule_of_an_unpublished_or_unknown_forum_is_not_found(client, programme, url_name):
    assert client.get(reverse(url_name, kwargs={"forum_slug": "no-such-forum"})).status_code == 404
    programme.is_published = False
    programme.save()
    assert client.get(reverse(url_name, kwargs={"forum_slug": programme.slug})).status_code == 404


# Query counts.


def programme_of(size: int):
    """A published forum with ``size`` sessions, each with key questions, a footnote and two speakers."""
    forum = ForumFactory(start_date=date(2020, 1, 22), end_date=date(2020, 1, 24))
    rooms = [RoomFactory(forum=forum) for _ in range(3)]
    theme = ThemeFactory(forum=forum)
    for number in range(size):
        session = SessionFactory(
            forum=forum,
            theme=theme,
            room=rooms[number % 3],
            start=at(22 + number % 3, 8) + timedelta(minutes=20 * number),
            end=at(22 + number % 3, 8) + timedelta(minutes=20 * number + 15),
        )
        KeyQuestionFactory(session=session)
        ReferenceFactory(session=session)
        speakers(session, PersonFactory(), PersonFactory())
    return forum


@pytest.mark.parametrize("size", [1, 30])
@pytest.mark.parametrize("url_name", ["schedule:schedule-xml", "schedule:schedule-json"])
def test_schedule_export_runs_a_constant_number_of_queries(client, size, url_name):
    forum = programme_of(size)
    url = reverse(url_name, kwargs={"forum_slug": forum.slug})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) == EXPORT_QUERIES
    assert response.content.count(b"guid") >= size


def test_frab_schedule_service_query_count_does_not_grow(django_assert_max_num_queries):
    small, large = programme_of(1), programme_of(30)
    for forum in (small, large):
        with django_assert_max_num_queries(EXPORT_QUERIES - 1):
            frab_schedule(forum, absolute_url=lambda path: "https://forum.example.org" + path)


# Identifiers (pure functions).


@pytest.mark.unit
@pytest.mark.parametrize(
    ("slug", "acronym"),
    [("quito-2020", "quito_2020"), ("camp2019", "camp2019"), ("q", "q___"), ("Foro-Ñ", "foro__")],
)
def test_acronym_for_slug_fits_the_schema_pattern(slug, acronym):
    assert acronym_for_slug(slug) == acronym


@pytest.mark.unit
@pytest.mark.parametrize(
    ("acronym", "slug"), [("quito_2020", "quito-2020"), ("Camp2019", "camp2019"), ("democon", "democon"), ("__", "")]
)
def test_slug_for_acronym_is_the_inverse(acronym, slug):
    assert slug_for_acronym(acronym) == slug


@pytest.mark.unit
@pytest.mark.parametrize(
    ("session_slug", "exported"),
    [("alianzas", "quito_2020-alianzas"), ("ab", "quito_2020-session-ab"), ("Mixed_Case-", "quito_2020-mixed_case")],
)
def test_event_slug_is_lower_case_and_long_enough(session_slug, exported):
    assert event_slug("quito_2020", session_slug) == exported


def test_event_description_is_only_the_context_when_nothing_else_is_written(programme):
    session = programme.sessions.get(slug="inauguracion")
    session.context = "Texto.\n\nCon dos párrafos."
    session.key_question_list, session.reference_list = [], []
    assert event_description(session) == "Texto.\n\nCon dos párrafos."
