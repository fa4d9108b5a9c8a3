"""Importing frab schedules (schedule.xml, schedule.json): the project's own small schedule,
the two real exports of ../shared/schedules, re-imports, round trips through the export,
malformed files, the management command and the admin upload page."""

import io
import json
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from forum.models import Forum, Person, Room
from forum.tests.factories import ForumFactory, UserFactory
from sessions_app.frab import admin_views
from sessions_app.frab.export import frab_schedule, frab_schedule_json, frab_schedule_xml
from sessions_app.frab.identifiers import kind_for_type
from sessions_app.frab.importer import ForumExistsError, FrabImportError, ImportReport, frab_schedule_import
from sessions_app.models import AgendaItem, Session, SpeakerRole
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.frab_support import (
    SMALL_JSON,
    SMALL_XML,
    as_bytes,
    events,
    json_schema_errors,
    shared_file,
    small_schedule,
    stored_programme,
    stored_texts,
    tiny_schedule,
    without_event_ids,
)
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

GUID = {number: uuid.UUID(f"0b6f0c1e-3a4d-4f5e-8a9b-1c2d3e4f5a0{number}") for number in range(1, 6)}
MARIA, LIN = uuid.UUID("5e0f2b6a-7c1d-4e8f-9a2b-3c4d5e6f7a01"), uuid.UUID("5e0f2b6a-7c1d-4e8f-9a2b-3c4d5e6f7a03")
REAL_FILES = {
    "camp2019": ("camp2019.schedule.json", "camp2019", 5, 2, 79),
    "democon": ("pretalx-democon.schedule.json", "democon", 3, 2, 36),
}


def absolute_url(path: str) -> str:
    return "https://forum.example.org" + path


def small_event(document: dict, number: int) -> dict:
    return next(event for event in events(document) if event["guid"] == str(GUID[number]))


def expected_uuid5(acronym: str, person_id: int) -> uuid.UUID:
    """The documented guid of a person the file gives none for."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:x-forum-frab:{acronym}:person:{person_id}")


def speaker_guids(session: Session) -> list[uuid.UUID]:
    roles = SpeakerRole.objects.filter(agenda_item__session=session).order_by("agenda_item__order", "order")
    return [role.person.guid for role in roles.select_related("person")]


def assert_nothing_changed(report: ImportReport) -> None:
    for kind in report.kinds:
        assert (kind.kind, kind.created, kind.updated) == (kind.kind, [], [])


def small_data(kind: str) -> bytes:
    return (SMALL_JSON if kind == "json" else SMALL_XML).read_bytes()


# The project's own small schedule (no ../shared needed).


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_small_schedule_imports_forum_rooms_days_themes_sessions_and_people(kind):
    report = frab_schedule_import(data=small_data(kind))

    forum = Forum.objects.get(slug="ciudades-2021")
    assert (report.format, report.version, report.forum_pk) == (kind, "7", forum.pk)
    assert (forum.title, forum.time_zone, forum.is_published) == (
        "Foro de Alcaldes — Ciudades 2021",
        "Europe/Madrid",
        False,
    )
    assert (forum.start_date, forum.end_date) == (date(2021, 10, 30), date(2021, 10, 31))
    assert sorted(forum.rooms.values_list("name", flat=True)) == ["Auditorio", "Sala Andrés Bello"]
    assert list(forum.themes.order_by("order").values_list("title", flat=True)) == ["Movilidad humana", "Ciudades"]
    assert forum.sessions.count() == 5
    assert {kind_.kind: len(kind_.created) for kind_ in report.kinds} == {
        "forum": 1,
        "rooms": 2,
        "days": 2,
        "themes": 2,
        "sessions": 5,
        "people": 3,
    }
    assert report.people.skipped == [
        f"Event {GUID[5]} “Financiar la acogida”: a person without a name (id “4”) was skipped."
    ]
    assert Person.objects.count() == 3


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_small_schedule_sessions_keep_kind_times_room_theme_texts_and_speakers(kind):
    frab_schedule_import(data=small_data(kind))

    sessions = {session.guid: session for session in Session.objects.select_related("room", "theme")}
    opening, workshop, night = sessions[GUID[1]], sessions[GUID[2]], sessions[GUID[3]]
    assert [sessions[GUID[number]].kind for number in range(1, 6)] == [
        "plenary",  # Keynote
        "parallel",  # Workshop
        "parallel",  # Talk
        "plenary",  # plenary
        "parallel",  # Lecture
    ]
    assert (opening.start, opening.end) == (
        datetime(2021, 10, 30, 8, tzinfo=UTC),
        datetime(2021, 10, 30, 9, tzinfo=UTC),
    )
    assert (opening.room.name, opening.theme, opening.objective) == (
        "Auditorio",
        None,
        "Dar la bienvenida a las delegaciones.",
    )
    # 23:30 to 00:30 (summer time), stored as it is across midnight
    assert (night.start, night.end) == (
        datetime(2021, 10, 30, 21, 30, tzinfo=UTC),
        datetime(2021, 10, 30, 22, 30, tzinfo=UTC),
    )
    # the clocks went back on 31 October: 10:00+01:00
    assert sessions[GUID[4]].start == datetime(2021, 10, 31, 9, tzinfo=UTC)
    assert workshop.context == "Primer párrafo.\n\nSegundo párrafo con una nota [^1]."
    assert (workshop.slug, workshop.theme.title, workshop.room.name) == (
        "taller_integracion",
        "Movilidad humana",
        "Sala Andrés Bello",
    )
    assert speaker_guids(workshop) == [MARIA, expected_uuid5("ciudades_2021", 2)]
    item = AgendaItem.objects.get(session=workshop)
    assert (item.start, item.end, item.title) == (workshop.start, workshop.end, workshop.title)
    assert set(SpeakerRole.objects.filter(agenda_item=item).values_list("role", flat=True)) == {"speaker"}
    assert not AgendaItem.objects.filter(session=sessions[GUID[4]]).exists()  # no persons, no agenda
    assert Person.objects.get(guid=expected_uuid5("ciudades_2021", 2)).name == "Kofi Mensah"


def test_small_schedule_report_names_what_it_ignored_and_fixed():
    report = frab_schedule_import(data=small_data("json"))

    assert (
        f"Event {GUID[2]} “Taller: integración socioeconómica”: the slug “Taller_Integración” is stored as "
        "“taller_integracion” (lower-case letters, digits, - and _)."
    ) in report.sessions.notes
    assert "The field “subtitle” of 1 event was ignored (sessions here have no such field)." in report.sessions.notes
    assert "The field “links” of 1 event was ignored (sessions here have no such field)." in report.sessions.notes
    assert "The conference's “base_url” was ignored (forums here have no such field)." in report.forum.notes
    assert "The field “guid” of 2 rooms was ignored (rooms here have no such field)." in report.rooms.notes


def test_json_and_xml_twins_describe_the_same_schedule():
    frab_schedule_import(data=small_data("json"))
    before = stored_programme()

    report = frab_schedule_import(data=small_data("xml"), update_existing=True)

    assert_nothing_changed(report)
    assert stored_programme() == before


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_second_import_of_the_same_file_creates_nothing_and_reports_everything_unchanged(kind):
    frab_schedule_import(data=small_data(kind))
    before = stored_programme()

    report = frab_schedule_import(data=small_data(kind), update_existing=True)

    assert_nothing_changed(report)
    assert {kind_.kind: len(kind_.unchanged) for kind_ in report.kinds} == {
        "forum": 1,
        "rooms": 2,
        "days": 2,
        "themes": 2,
        "sessions": 5,
        "people": 3,
    }
    assert stored_programme() == before


def test_changed_file_updates_what_changed_and_leaves_unlisted_sessions():
    frab_schedule_import(data=small_data("json"))
    document = small_schedule()
    document["schedule"]["conference"]["title"] = "Foro de Alcaldes 2021"
    small_event(document, 2)["title"] = "Taller: integración laboral"
    small_event(document, 3)["date"] = "2021-10-30T22:30:00+02:00"
    small_event(document, 5)["persons"] = [
        {"guid": str(LIN), "name": "Lin Wei"},
        {"id": 9, "public_name": "Nadia Haddad"},
    ]
    sala = document["schedule"]["conference"]["days"][1]["rooms"]["Sala Andrés Bello"]
    sala.remove(small_event(document, 4))

    report = frab_schedule_import(data=as_bytes(document), update_existing=True)

    sessions = {session.guid: session for session in Session.objects.all()}
    assert Forum.objects.get(slug="ciudades-2021").title == "Foro de Alcaldes 2021"
    assert report.forum.updated == ["Foro de Alcaldes 2021 (ciudades-2021): title"]
    assert sessions[GUID[2]].title == "Taller: integración laboral"
    assert sessions[GUID[3]].start == datetime(2021, 10, 30, 20, 30, tzinfo=UTC)
    assert speaker_guids(sessions[GUID[5]]) == [LIN, expected_uuid5("ciudades_2021", 9)]
    assert AgendaItem.objects.get(session=sessions[GUID[3]]).start == sessions[GUID[3]].start
    assert sorted(report.sessions.updated) == [
        "Financiar la acogida (2021-10-31 12:00): persons",
        "Noche de datos abiertos (2021-10-30 22:30): start, end",
        "Taller: integración laboral (2021-10-30 11:30): title",
    ]
    assert report.people.created == ["Nadia Haddad"]
    assert GUID[4] in sessions  # not in the file: left as it is
    assert report.sessions.notes[-1] == (
        "Sessions of this forum that the file does not list were left as they are: Plenaria de cierre."
    )


def test_a_cancelled_session_listed_again_is_reinstated():
    frab_schedule_import(data=small_data("json"))
    Session.objects.filter(guid=GUID[1]).update(is_cancelled=True)

    report = frab_schedule_import(data=small_data("json"), update_existing=True)

    assert not Session.objects.get(guid=GUID[1]).is_cancelled
    assert report.sessions.updated == ["Apertura: bienvenida de la alcaldía (2021-10-30 10:00): is_cancelled"]


def test_dry_run_reports_what_it_would_do_and_saves_nothing():
    before = stored_programme()

    report = frab_schedule_import(data=small_data("xml"), dry_run=True)

    assert (report.dry_run, report.forum_pk, len(report.sessions.created)) == (True, None, 5)
    assert report.lines()[-1] == "Dry run: nothing was saved."
    assert stored_programme() == before


def test_small_schedule_round_trips_through_the_export():
    frab_schedule_import(data=small_data("json"))
    forum = Forum.objects.get(slug="ciudades-2021")
    exported = frab_schedule(forum, absolute_url=absolute_url)
    before = stored_programme()

    assert_nothing_changed(
        frab_schedule_import(data=frab_schedule_json(forum, absolute_url=absolute_url), update_existing=True)
    )
    assert_nothing_changed(
        frab_schedule_import(data=frab_schedule_xml(forum, absolute_url=absolute_url), update_existing=True)
    )
    assert stored_programme() == before

    forum.delete()
    frab_schedule_import(data=json.dumps(exported).encode())
    again = frab_schedule(Forum.objects.get(slug="ciudades-2021"), absolute_url=absolute_url)
    assert without_event_ids(again) == without_event_ids(exported)
    assert [event["id"] for event in events(again)] != [event["id"] for event in events(exported)]


def test_export_import_export_of_the_quito_seed_gives_the_same_schedule(quito_forum):
    exported = frab_schedule(quito_forum, absolute_url=absolute_url)
    persons = [person["guid"] for event in events(exported) for person in event["persons"]]
    quito_forum.delete()

    report = frab_schedule_import(data=json.dumps(exported).encode())

    again = frab_schedule(Forum.objects.get(slug="quito-2020"), absolute_url=absolute_url)
    assert without_event_ids(again) == without_event_ids(exported)
    assert len(persons) == len(report.people.unchanged) > 5  # the seed's people, found again by guid
    # the export's placeholder of sessions without a room is no room
    assert report.rooms.created == []
    assert (
        "“Room to be announced” is how this site lists sessions without a room: no room was created, its "
        "events have none." in report.rooms.notes
    )
    assert not Session.objects.filter(room__isnull=False).exists()


def test_xml_export_import_export_gives_the_same_schedule(quito_forum):
    exported = frab_schedule(quito_forum, absolute_url=absolute_url)
    body = frab_schedule_xml(quito_forum, absolute_url=absolute_url)
    quito_forum.delete()

    frab_schedule_import(data=body)

    again = frab_schedule(Forum.objects.get(slug="quito-2020"), absolute_url=absolute_url)
    assert without_event_ids(again) == without_event_ids(exported)


# An existing forum: changed only on request, kept valid, and our own export changes nothing.

QUITO_TITLE = "6th Mayoral Forum on Human Mobility, Migration, and Development"
EXISTS = f"A forum with this acronym already exists: “{QUITO_TITLE}”."


def quito_export(forum, **conference) -> dict:
    """The Quito forum's schedule.json with ``conference`` values changed."""
    document = frab_schedule(forum, absolute_url=absolute_url)
    document["schedule"]["conference"].update(conference)
    return document


@pytest.mark.parametrize("acronym", ["quito_2020", "QUITO-2020"])
def test_a_file_naming_an_existing_forum_is_refused_without_the_request_to_update_it(quito_forum, acronym):
    document = small_schedule()
    document["schedule"]["conference"]["acronym"] = acronym
    before = stored_programme()

    with pytest.raises(ForumExistsError) as raised:
        frab_schedule_import(data=as_bytes(document))

    assert raised.value.messages == [f"{EXISTS} To import into it, ask for an update of the existing forum."]
    assert stored_programme() == before


def test_a_dry_run_on_an_existing_forum_says_what_an_update_would_change(quito_forum):
    document = quito_export(quito_forum, title="Mayoral Forum 2020", time_zone_name="America/Bogota")
    before = stored_programme()

    report = frab_schedule_import(data=as_bytes(document), dry_run=True)

    assert (report.existing_forum, report.needs_update_request) == (True, True)
    assert report.forum.updated == ["Mayoral Forum 2020 (quito-2020): title, time_zone"]
    assert stored_programme() == before


def test_update_changes_a_published_forum_title_and_time_zone_and_keeps_it_valid(quito_forum):
    document = quito_export(quito_forum, title="Mayoral Forum 2020", time_zone_name="America/Bogota")

    report = frab_schedule_import(data=as_bytes(document), update_existing=True)

    forum = Forum.objects.get(slug="quito-2020")
    assert (forum.title_en, forum.time_zone, forum.is_published) == ("Mayoral Forum 2020", "America/Bogota", True)
    assert report.forum.updated == ["Mayoral Forum 2020 (quito-2020): title, time_zone"]
    forum.full_clean()


def test_update_keeps_the_days_of_sessions_the_file_does_not_list():
    frab_schedule_import(data=small_data("json"))
    Forum.objects.filter(slug="ciudades-2021").update(city="Madrid", country="Spain")
    document = small_schedule()
    conference = document["schedule"]["conference"]
    conference["days"] = conference["days"][1:]  # 31 October only: the sessions of the 30th are not listed
    conference["start"] = "2021-10-31"
    before = {session.guid: session.start for session in Session.objects.all()}

    report = frab_schedule_import(data=as_bytes(document), update_existing=True)

    forum = Forum.objects.get(slug="ciudades-2021")
    assert (forum.start_date, forum.end_date) == (date(2021, 10, 30), date(2021, 10, 31))
    assert report.days.notes == [
        "The forum runs from 2021-10-30 to 2021-10-31, beyond the file's days, to keep its sessions that the file "
        "does not list."
    ]
    assert {session.guid: session.start for session in Session.objects.all()} == before
    forum.full_clean()


def test_update_that_would_stretch_the_forum_beyond_31_days_is_refused():
    frab_schedule_import(data=small_data("json"))
    document = tiny_schedule()
    document["schedule"]["conference"]["acronym"] = "ciudades_2021"
    for day in document["schedule"]["conference"]["days"]:  # the same day in December, the old sessions unlisted
        day.update(date="2021-12-20", day_start="2021-12-20T08:00:00+01:00", day_end="2021-12-20T20:00:00+01:00")
        day["rooms"]["Hall A"][0]["date"] = "2021-12-20T10:00:00+01:00"
    before = stored_programme()

    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=as_bytes(document), update_existing=True)

    assert raised.value.messages == [
        "The forum “Foro de Alcaldes — Ciudades 2021” would not be valid after this import: A forum lasts at "
        "most 31 days."
    ]
    assert stored_programme() == before


def give_spanish_texts(forum, session) -> None:
    """Spanish texts for the Quito forum, its theme and its session, as an organizer writes them."""
    Forum.objects.filter(pk=forum.pk).update(title_es="6.º Foro de Alcaldes sobre Movilidad Humana")
    forum.themes.update(title_es="Respuestas de las ciudades")
    Session.objects.filter(pk=session.pk).update(
        title_es="Fortalecer alianzas para la respuesta local a la inmigración",
        objective_es="Analizar las alianzas.",
        methodology_es="Panel y debate.",
    )


def session_pages(client, session) -> dict[str, str]:
    """The text of the session's page in each language."""
    pages = {}
    for language in ("en", "es"):
        with translation.override(language):
            url = reverse(
                "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
            )
        pages[language] = page_text(client.get(url).content)
    return pages


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("url_name", ["schedule:schedule-json", "schedule:schedule-xml"])
def test_reimporting_our_own_export_changes_nothing(client, quito_forum, quito_session, language, url_name):
    give_spanish_texts(quito_forum, quito_session)
    pages = session_pages(client, quito_session)
    with translation.override(language):
        body = client.get(reverse(url_name, kwargs={"forum_slug": quito_forum.slug})).content
    before = stored_programme()

    with translation.override("en"):  # the report is written in the active language; the pages left Spanish active
        report = frab_schedule_import(data=body, update_existing=True)

    assert_nothing_changed(report)
    assert [len(kind.unchanged) for kind in report.kinds] == [1, 0, 1, 1, 1, 10]
    placeholder = {"en": "Room to be announced", "es": "Sala por confirmar"}[language]
    assert (
        f"“{placeholder}” is how this site lists sessions without a room: no room was created, its events have none."
    ) in report.rooms.notes
    assert not Room.objects.exists()
    assert stored_programme() == before  # the English fields hold no Spanish, the context is the context
    assert session_pages(client, quito_session) == pages


def test_import_writes_the_default_content_language_whatever_language_is_active(settings):
    settings.LANGUAGE_CODE = "es"
    translation.activate("es")

    frab_schedule_import(data=small_data("json"))

    assert stored_texts()["forums"] == [("ciudades-2021", "Foro de Alcaldes — Ciudades 2021", None)]
    session = Session.objects.get(guid=GUID[2])
    assert (session.title_en, session.title_es) == ("Taller: integración socioeconómica", None)
    assert (session.objective_es, session.context_es) == (None, None)
    assert [title_es for *_rest, title_es in stored_texts()["themes"]] == [None, None]
    assert AgendaItem.objects.get(session=session).title_en == "Taller: integración socioeconómica"


def test_a_person_of_another_forum_is_linked_as_they_are(quito_session):
    speaker = Person.objects.filter(speaker_roles__agenda_item__session=quito_session).distinct().first()
    name, bio = speaker.name, speaker.bio
    document = small_schedule()
    small_event(document, 1)["persons"] = [{"guid": str(speaker.guid), "name": "Someone Else", "biography": "New."}]

    report = frab_schedule_import(data=as_bytes(document))

    speaker.refresh_from_db()
    assert (speaker.name, speaker.bio) == (name, bio)
    assert speaker_guids(Session.objects.get(guid=GUID[1])) == [speaker.guid]
    assert report.people.notes == [
        f"{name} also appears in the programme of “{QUITO_TITLE}”: linked as they are, without the file's changes "
        "to their name or biography."
    ]
    assert name in report.people.unchanged


# The real exports in ../shared/schedules.


def persons_in_file(document: dict) -> set:
    """Distinct persons of a real export, by guid, else frab id (both files give ids)."""
    return {person.get("guid") or person["id"] for event in events(document) for person in event["persons"]}


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_export_imports_with_its_days_rooms_events_and_persons(name):
    filename, slug, days, rooms, event_count = REAL_FILES[name]
    path = shared_file("schedules", filename)
    document = json.loads(path.read_text(encoding="utf-8"))

    report = frab_schedule_import(data=path.read_bytes())

    forum = Forum.objects.get(slug=slug)
    expected_persons = len(persons_in_file(document))
    assert ((forum.end_date - forum.start_date).days + 1, len(report.days.created)) == (days, days)
    assert forum.rooms.count() == len(report.rooms.created) == rooms
    assert forum.sessions.count() == len(report.sessions.created) == len(events(document)) == event_count
    assert len(report.people.created) == expected_persons
    people = Person.objects.filter(speaker_roles__agenda_item__session__forum=forum).distinct()
    assert people.count() == expected_persons
    per_event = Counter(len(event["persons"]) for event in events(document))
    assert SpeakerRole.objects.filter(agenda_item__session__forum=forum).count() == sum(
        size * count for size, count in per_event.items()
    )


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_export_round_trips(name):
    filename, slug, *_counts = REAL_FILES[name]
    frab_schedule_import(data=shared_file("schedules", filename).read_bytes())
    forum = Forum.objects.get(slug=slug)
    exported = frab_schedule(forum, absolute_url=absolute_url)
    before = stored_programme()

    assert_nothing_changed(
        frab_schedule_import(data=frab_schedule_json(forum, absolute_url=absolute_url), update_existing=True)
    )
    assert_nothing_changed(
        frab_schedule_import(data=frab_schedule_xml(forum, absolute_url=absolute_url), update_existing=True)
    )
    assert stored_programme() == before

    forum.delete()
    frab_schedule_import(data=json.dumps(exported).encode())
    again = frab_schedule(Forum.objects.get(slug=slug), absolute_url=absolute_url)
    assert without_event_ids(again) == without_event_ids(exported)


def test_camp2019_is_not_valid_against_the_strict_schema_yet_imports():
    path = shared_file("schedules", "camp2019.schedule.json")
    errors = json_schema_errors(json.loads(path.read_text(encoding="utf-8")))
    assert any("Camp2019" in error for error in errors)  # the acronym is not lower case

    frab_schedule_import(data=path.read_bytes())

    jinxx = Person.objects.get(guid=expected_uuid5("camp2019", 7797))
    assert jinxx.name == "jinxx"
    opening = Session.objects.get(guid="a0a0fcfe-b7fb-46e3-84b6-97a5406016b4")
    assert (opening.slug, opening.start) == ("opening_ceremony", datetime(2019, 8, 21, 9, tzinfo=UTC))
    assert speaker_guids(opening) == [expected_uuid5("camp2019", 7797), expected_uuid5("camp2019", 4827)]


def test_democon_offsets_win_over_its_time_zone_name_and_are_reported():
    report = frab_schedule_import(data=shared_file("schedules", "pretalx-democon.schedule.json").read_bytes())

    assert Forum.objects.get(slug="democon").time_zone == "UTC"
    first = Session.objects.get(guid="8079583e-8321-506c-95af-fd2903a5f075")
    assert first.start == datetime(2020, 12, 14, 8, tzinfo=UTC)  # 09:00+01:00
    assert report.forum.notes[0] == (
        "The dates carry the UTC offset +01:00, which is not UTC's: each time is kept as its offset says and "
        "shown in UTC."
    )
    assert Person.objects.get(guid=expected_uuid5("democon", 26)).bio.startswith("Break through direction.")


# Files that cannot be imported: a clear error, and the database as it was.


def set_event(number: int, **values):
    def change(document):
        small_event(document, number).update(values)

    return change


def move_to_unnamed_room(document):
    event = small_event(document, 1)
    event["room"] = ""
    rooms = document["schedule"]["conference"]["days"][0]["rooms"]
    rooms["Auditorio"].remove(event)
    rooms[""] = [event]


def days_into_december(document):
    second = document["schedule"]["conference"]["days"][1]
    second.update(date="2021-12-31", day_start="2021-12-31T09:00:00+01:00", day_end="2022-01-01T02:00:00+01:00")


APERTURA = f"Event {GUID[1]} “Apertura: bienvenida de la alcaldía”: "
BROKEN = {
    "missing room": (move_to_unnamed_room, [APERTURA + "it has no room."]),
    "unknown room": (
        set_event(1, room="Sala Fantasma"),
        [APERTURA + "its room “Sala Fantasma” is not one of the file's rooms."],
    ),
    "duplicate guid": (
        set_event(2, guid=str(GUID[1])),
        [
            f"Event {GUID[1]} “Taller: integración socioeconómica”: its guid {GUID[1]} is also the guid of the "
            "event “Apertura: bienvenida de la alcaldía”; each event needs its own."
        ],
    ),
    "negative duration": (set_event(1, duration="-00:30"), [APERTURA + "the duration “-00:30” is negative."]),
    "zero duration": (
        set_event(1, duration="00:00"),
        [APERTURA + "the duration “00:00” is not positive: an event must last."],
    ),
    "unreadable duration": (
        set_event(1, duration="una hora"),
        [APERTURA + "the duration “una hora” is not hours and minutes (HH:MM)."],
    ),
    "unreadable date": (
        set_event(1, date="2021-10-32T10:00:00+02:00"),
        [APERTURA + "the date “2021-10-32T10:00:00+02:00” is not a date and time (ISO 8601)."],
    ),
    "outside the days": (
        set_event(1, date="2021-11-05T10:00:00+01:00"),
        [
            APERTURA + "it starts at 2021-11-05T10:00:00+01:00, outside the conference's days "
            "(2021-10-30T09:00:00+02:00 to 2021-11-01T02:00:00+01:00)."
        ],
    ),
    "malformed guid": (
        set_event(1, guid="not-a-uuid"),
        ["Event not-a-uuid “Apertura: bienvenida de la alcaldía”: the guid “not-a-uuid” is not a UUID."],
    ),
    "too many days": (
        days_into_december,
        ["The conference's days (2021-10-30 to 2021-12-31): A forum lasts at most 31 days."],
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_schedule_is_refused_with_a_clear_message_and_nothing_changes(case):
    frab_schedule_import(data=small_data("json"))
    change, messages = BROKEN[case]
    document = small_schedule()
    document["schedule"]["conference"]["title"] = "Un título nuevo"
    small_event(document, 5)["title"] = "Un título cambiado"
    change(document)
    before = stored_programme()

    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=as_bytes(document), update_existing=True)

    assert raised.value.messages == messages
    assert stored_programme() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SMALL_XML.read_bytes()[:1500], "The file is not well-formed XML: "),
        (SMALL_JSON.read_bytes()[:1500], "The file is not valid JSON: "),
        (b"  ", "The file is empty."),
        (b"acronym;title", "The file is neither a schedule.xml"),
        (b'{"schedule": {"version": "1"}}', "The JSON file has no “schedule” with a “conference” object."),
        (b"<schedule><version>1</version></schedule>", "The XML file has no “conference” element."),
    ],
    ids=["malformed xml", "malformed json", "empty", "csv", "json without conference", "xml without conference"],
)
def test_malformed_file_is_refused_and_nothing_changes(data, message):
    frab_schedule_import(data=small_data("xml"))
    before = stored_programme()

    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=data)

    assert raised.value.messages[0].startswith(message)
    assert stored_programme() == before


def test_malformed_xml_message_gives_the_line():
    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=b"<schedule>\n<conference>\n<title>x</conference></schedule>")
    assert raised.value.messages == [
        "The file is not well-formed XML: Opening and ending tag mismatch: title line 3 and conference "
        "(line 3, column 22)."
    ]


def test_event_guid_of_another_forum_rolls_back_the_whole_import():
    other = ForumFactory(title="Otro foro")
    SessionFactory(forum=other, guid=GUID[3], title="Sesión de otro foro")
    before = stored_programme()

    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=small_data("json"))

    assert raised.value.messages == [
        f"Event {GUID[3]} “Sesión de otro foro”: its guid is already the session “Sesión de otro foro” of the "
        "forum “Otro foro”."
    ]
    assert stored_programme() == before  # the forum, rooms and people written before the check are gone
    assert not Forum.objects.filter(slug="ciudades-2021").exists()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("Keynote", "plenary"),
        ("plenary", "plenary"),
        ("Plenaria", "plenary"),
        ("lecture", "parallel"),
        ("", "parallel"),
    ],
)
def test_kind_for_type(event_type, kind):
    assert kind_for_type(event_type) == kind


# The management command.


def test_command_imports_and_prints_the_report():
    out = io.StringIO()
    call_command("import_frab_schedule", str(SMALL_JSON), stdout=out)

    output = out.getvalue()
    assert "Sessions: 5 created, 0 updated, 0 unchanged, 0 skipped" in output
    assert "  created: Taller: integración socioeconómica (2021-10-30 11:30)" in output
    assert Session.objects.filter(forum__slug="ciudades-2021").count() == 5


def test_command_dry_run_reports_and_rolls_back():
    before = stored_programme()
    out = io.StringIO()

    call_command("import_frab_schedule", str(SMALL_XML), "--dry-run", stdout=out)

    assert "People: 3 created, 0 updated, 0 unchanged, 1 skipped" in out.getvalue()
    assert "Dry run: nothing was saved." in out.getvalue()
    assert stored_programme() == before


def test_command_refuses_a_broken_file_and_changes_nothing(tmp_path):
    frab_schedule_import(data=small_data("json"))
    document = small_schedule()
    small_event(document, 1)["duration"] = "-00:30"
    path = tmp_path / "schedule.json"
    path.write_bytes(as_bytes(document))
    before = stored_programme()

    with pytest.raises(CommandError) as raised:
        call_command("import_frab_schedule", str(path), "--update-existing", stdout=io.StringIO())

    assert str(raised.value) == (
        "The schedule was not imported; nothing was changed.\n" + APERTURA + "the duration “-00:30” is negative."
    )
    assert stored_programme() == before


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*absent.json: No such file or directory"):
        call_command("import_frab_schedule", str(tmp_path / "absent.json"))


def test_command_updates_an_existing_forum_only_with_update_existing(quito_forum, tmp_path):
    path = tmp_path / "schedule.json"
    path.write_bytes(as_bytes(quito_export(quito_forum, title="Mayoral Forum 2020")))
    before = stored_programme()

    with pytest.raises(CommandError) as raised:
        call_command("import_frab_schedule", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_frab_schedule", str(path), "--dry-run", stdout=out)

    assert str(raised.value) == (
        f"The schedule was not imported; nothing was changed.\n{EXISTS} To import into it, run the command again "
        "with --update-existing (with --dry-run first to see what would change)."
    )
    assert "  updated: Mayoral Forum 2020 (quito-2020): title" in out.getvalue()
    assert (
        f"{EXISTS} This dry run shows what updating it would change; to import, run the command again with "
        "--update-existing."
    ) in out.getvalue()
    assert stored_programme() == before

    call_command("import_frab_schedule", str(path), "--update-existing", stdout=io.StringIO())
    assert Forum.objects.get(slug="quito-2020").title_en == "Mayoral Forum 2020"


# The admin upload page.


IMPORT_URL = "admin:forum_forum_import_frab"


def upload(client, data: bytes, name: str = "schedule.json", **extra):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse(IMPORT_URL), {"file": file, **extra})


def test_forum_changelist_links_to_the_import_page(admin_client):
    response = admin_client.get(reverse("admin:forum_forum_changelist"))
    assert f'href="{reverse(IMPORT_URL)}">Import a frab schedule</a>' in response.content.decode()
    page = admin_client.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert "schedule.xml or schedule.json" in page.content.decode()


def test_admin_upload_imports_and_shows_the_report(admin_client):
    response = upload(admin_client, small_data("xml"), "schedule.xml")

    assert response.status_code == 200
    text = response.content.decode()
    forum = Forum.objects.get(slug="ciudades-2021")
    assert "Sessions: 5 created, 0 updated, 0 unchanged, 0 skipped" in text
    assert "<li>Taller: integración socioeconómica (2021-10-30 11:30)</li>" in text
    assert reverse("admin:forum_forum_change", args=[forum.pk]) in text
    assert forum.sessions.count() == 5


def test_admin_upload_dry_run_saves_nothing(admin_client):
    before = stored_programme()

    response = upload(admin_client, small_data("json"), dry_run="on")

    assert "Dry run: nothing was saved. This is what the import would do." in response.content.decode()
    assert stored_programme() == before


def test_admin_upload_of_a_malformed_file_shows_the_error_and_changes_nothing(admin_client):
    frab_schedule_import(data=small_data("json"))
    before = stored_programme()

    response = upload(admin_client, small_data("xml")[:1500], "schedule.xml")

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and errors[0].startswith("The file is not well-formed XML: ")
    assert "The schedule was not imported; nothing was changed." in response.content.decode()
    assert stored_programme() == before


def test_admin_upload_refuses_a_file_over_the_limit(admin_client, monkeypatch):
    monkeypatch.setattr(admin_views, "MAX_UPLOAD_BYTES", 1024 * 1024)
    response = upload(admin_client, b" " * (1024 * 1024 + 200_000))
    assert response.context["form"].errors["file"] == ["The file is 1.2 MB; the limit is 1 MB."]
    assert not Forum.objects.exists()


def test_admin_upload_needs_the_permission_to_add_forums(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_forum"))
    client.force_login(staff)

    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, small_data("json")).status_code == 403
    assert "Import a frab schedule" not in client.get(reverse("admin:forum_forum_changelist")).content.decode()
    assert not Forum.objects.exists()

    staff.user_permissions.add(Permission.objects.get(codename="add_forum"))
    assert client.get(reverse(IMPORT_URL)).status_code == 200


def test_admin_upload_is_for_staff_only(client):
    client.force_login(UserFactory())
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_upload_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(reverse(IMPORT_URL), {})
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_admin_upload_updates_an_existing_forum_only_when_asked(admin_client, quito_forum):
    data = as_bytes(quito_export(quito_forum, title="Mayoral Forum 2020"))
    before = stored_programme()

    refused = upload(admin_client, data)
    dry_run = upload(admin_client, data, dry_run="on")

    assert refused.status_code == 200
    assert refused.context["form"].errors["update_existing"] == [
        f"{EXISTS} To import into it, tick “Update the existing forum” (with “Only check the file” first to see what "
        "would change)."
    ]
    assert "The schedule was not imported; nothing was changed." in page_text(refused.content)
    assert (
        f"{EXISTS} This dry run shows what updating it would change; to import, tick “Update the existing forum”."
    ) in page_text(dry_run.content)
    assert "Mayoral Forum 2020 (quito-2020): title" in page_text(dry_run.content)
    assert stored_programme() == before

    updated = upload(admin_client, data, update_existing="on")

    assert "Forum: 0 created, 1 updated, 0 unchanged, 0 skipped" in page_text(updated.content)
    assert Forum.objects.get(slug="quito-2020").title_en == "Mayoral Forum 2020"
