"""Hostile and odd schedule files (the testers' reproductions, as small inline fixtures): every
one is refused with a message naming the event or field, or imported cleanly; never a
crash, and a refused file leaves the database as it was."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from forum.models import Forum, Person, Room
from sessions_app.frab.importer import FrabImportError, frab_schedule_import
from sessions_app.models import Session
from sessions_app.tests.frab_support import (
    SMALL_JSON,
    SMALL_XML,
    TINY_GUID,
    as_bytes,
    stored_programme,
    tiny_schedule,
)
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

EVENT = f"Event {TINY_GUID} “Talk one”: "
TOO_DEEP = "The JSON file nests lists and objects too deeply to be a schedule (one needs eight levels)."


def tiny_event(document: dict) -> dict:
    return document["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]


def tiny_json(change=None) -> str:
    """``tiny_schedule`` as JSON text, after ``change(document)``."""
    document = tiny_schedule()
    if change:
        change(document)
    return json.dumps(document)


def with_capacity(value: str) -> bytes:
    """The tiny schedule whose room has the capacity written as ``value`` (JSON text)."""
    return tiny_json().replace('{"name": "Hall A"}', f'{{"name": "Hall A", "capacity": {value}}}').encode()


def with_event(**values) -> bytes:
    return tiny_json(lambda document: tiny_event(document).update(values)).encode()


def with_conference(**values) -> bytes:
    return tiny_json(lambda document: document["schedule"]["conference"].update(values)).encode()


def last_day_of_9999(document: dict) -> None:
    day = document["schedule"]["conference"]["days"][0]
    day["date"] = "9999-12-31"
    del day["day_start"], day["day_end"]
    tiny_event(document).update(date="", start="10:00")


def last_day_of_2999(document: dict) -> None:
    day = document["schedule"]["conference"]["days"][0]
    day.update(date="2999-12-31", day_start="2999-12-31T08:00:00+01:00", day_end="2999-12-31T20:00:00+01:00")
    tiny_event(document).update(date="2999-12-31T10:00:00+01:00", duration="9999:59")


def thousand_persons(document: dict) -> None:
    tiny_event(document)["persons"] = [{"id": number, "name": f"Person {number}"} for number in range(1000)]


def capacity_refused(value: str) -> str:
    return f"Room “Hall A”: the capacity {value} is more than the 100,000 seats a room may have."


HOSTILE = {
    "nested 1,000 levels": (b'{"schedule": ' + b"[" * 1000 + b"]" * 1000 + b"}", [TOO_DEEP]),
    "nested 100,000 levels": (b'{"schedule": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", [TOO_DEEP]),
    "objects nested 100,000 levels": (b'{"schedule": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001, [TOO_DEEP]),
    "NaN": (
        tiny_json().replace('"duration": "01:00"', '"duration": NaN').encode(),
        ["The file is not valid JSON: NaN is not a number JSON allows (RFC 8259, section 6)."],
    ),
    "-Infinity": (
        with_capacity("-Infinity"),
        ["The file is not valid JSON: -Infinity is not a number JSON allows (RFC 8259, section 6)."],
    ),
    "capacity 1e400": (with_capacity("1e400"), [capacity_refused("1e400")]),
    "capacity 1e20": (with_capacity("1e20"), [capacity_refused("1e20")]),
    "capacity 1e12": (with_capacity("1e12"), [capacity_refused("1e12")]),
    "capacity 3000000000": (with_capacity("3000000000"), [capacity_refused("3000000000")]),
    "capacity of 5,000 digits": (with_capacity("9" * 5000), [capacity_refused("9" * 80)]),
    "rooms a number": (with_conference(rooms=5), ["The conference's “rooms” is not a list."]),
    "tracks a number": (with_conference(tracks=5), ["The conference's “tracks” is not a list."]),
    "persons a number": (with_event(persons=5), [f"Event {TINY_GUID}: “persons” is not a list."]),
    "lone surrogate": (
        tiny_json().replace('"Talk one"', '"Talk \\ud800 one"').encode(),
        [
            f"Event {TINY_GUID}: “title” holds a broken character (half of a UTF-16 surrogate pair): correct it in "
            "the file."
        ],
    ),
    "day 9999-12-31 without day_end": (
        tiny_json(last_day_of_9999).encode(),
        ["Day 1: the date “9999-12-31” is outside the years 1900 to 2999."],
    ),
    "1,000 persons": (
        tiny_json(thousand_persons).encode(),
        [EVENT + "it lists 1000 persons; a session's agenda item holds at most 999."],
    ),
    "duration 99:99": (
        with_event(duration="99:99"),
        [EVENT + "the duration “99:99” has more than 59 minutes or seconds (write 01:30, not 00:90)."],
    ),
    "duration 9999:59": (
        with_event(duration="9999:59"),
        [
            EVENT + "it ends at 2022-06-22T01:59:00+02:00, after 2021-05-31, the last day a forum starting on "
            "2021-05-01 can have (at most 31 days, before the year 3000)."
        ],
    ),
    "duration 9999:59 from the last day of 2999": (
        tiny_json(last_day_of_2999).encode(),
        [
            EVENT + "it ends at 3001-02-21T01:59:00+01:00, after 2999-12-31, the last day a forum starting on "
            "2999-12-31 can have (at most 31 days, before the year 3000)."
        ],
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_file_is_refused_with_a_clear_message_and_nothing_changes(case):
    frab_schedule_import(data=SMALL_JSON.read_bytes())
    data, messages = HOSTILE[case]
    before = stored_programme()

    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=data)

    assert raised.value.messages == messages
    assert stored_programme() == before


@pytest.mark.parametrize(
    ("capacity", "stored", "notes"),
    [
        ("100000", 100_000, []),
        ("12.0", 12, []),
        ("1.2e1", 12, []),
        ("12.7", None, ["Room “Hall A”: the capacity “12.7” is not a number of seats and was ignored."]),
        ('"many"', None, ["Room “Hall A”: the capacity “many” is not a number of seats and was ignored."]),
    ],
)
def test_room_capacity_is_a_whole_number_of_seats(capacity, stored, notes):
    report = frab_schedule_import(data=with_capacity(capacity))

    assert Room.objects.get(name="Hall A").capacity == stored
    assert [note for note in report.rooms.notes if "capacity" in note] == notes


def test_a_huge_number_where_text_is_read_is_kept_as_written():
    report = frab_schedule_import(data=tiny_json().replace('"id": 1', '"id": ' + "9" * 5000).encode())

    assert report.sessions.created == ["Talk one (2021-05-01 10:00)"]


def test_a_utc_offset_postgresql_cannot_store_is_stored_in_utc():
    def odd_offset(document):
        document["schedule"]["conference"]["time_zone_name"] = ""
        document["schedule"]["conference"]["days"][0].update(
            day_start="2021-05-01T08:00:00+23:59", day_end="2021-05-01T20:00:00+23:59"
        )
        tiny_event(document)["date"] = "2021-05-01T10:00:00+23:59"

    frab_schedule_import(data=tiny_json(odd_offset).encode())

    session = Session.objects.get()
    assert (session.start, session.end) == (
        datetime(2021, 4, 30, 10, 1, tzinfo=UTC),
        datetime(2021, 4, 30, 11, 1, tzinfo=UTC),
    )


def test_control_characters_are_removed_from_json_texts():
    document = tiny_schedule()
    conference = document["schedule"]["conference"]
    event = tiny_event(document)
    event.update(
        room="Hall\x00 A",
        title="Talk\x00 one\x01\x7f\x85",
        track="Tr\x1back",
        description="First line,\ttab.\r\nSecond\x0b line.",
    )
    event["persons"][0]["name"] = "Alice\x00 Example"
    conference["rooms"] = [{"name": "Hall\x00 A"}]
    conference["days"][0]["rooms"] = {"Hall\x00 A": [event]}

    report = frab_schedule_import(data=as_bytes(document))

    session = Session.objects.select_related("room", "theme").get()
    assert (session.title, session.room.name, session.theme.title) == ("Talk one", "Hall A", "Track")
    assert session.context == "First line,\ttab.\nSecond line."
    assert Person.objects.get().name == "Alice Example"
    assert report.forum.notes[0] == (
        "Invisible control characters (other than tabs and line breaks) were removed from 7 texts: Room 1 of the "
        f"conference: “name”; Day 1: the name of a room; Event {TINY_GUID}: “room”; Event {TINY_GUID}: “title”; "
        f"Event {TINY_GUID}: “track”; and 2 more."
    )


def test_a_stored_room_name_with_a_control_character_is_found_again():
    frab_schedule_import(data=tiny_json().encode())
    Room.objects.update(name="Hall\x7f A")  # as pasted in the admin, exported as "Hall A" in schedule.xml

    report = frab_schedule_import(data=tiny_json().encode(), update_existing=True)

    assert (report.rooms.created, report.rooms.unchanged) == ([], ["Hall\x7f A"])
    assert Room.objects.count() == 1


def test_control_characters_are_removed_from_xml_texts_and_refused_where_xml_forbids_them():
    text = SMALL_XML.read_text(encoding="utf-8")
    clean = text.replace("<title>Noche de datos abiertos</title>", "<title>Noche de\x7f datos\x85 abiertos</title>")

    report = frab_schedule_import(data=clean.encode())

    assert Session.objects.filter(title="Noche de datos abiertos").exists()
    assert (
        "Invisible control characters (other than tabs and line breaks) were removed from 1 text: Event "
        "0b6f0c1e-3a4d-4f5e-8a9b-1c2d3e4f5a03: “title”."
    ) in report.forum.notes

    before = stored_programme()
    with pytest.raises(FrabImportError) as raised:
        frab_schedule_import(data=text.replace("<title>Noche", "<title>\x01Noche").encode(), update_existing=True)
    assert raised.value.messages[0].startswith("The file is not well-formed XML: PCDATA invalid Char value 1 (line")
    assert stored_programme() == before


@pytest.mark.parametrize("name", ["localtime", "Factory", "Mars/Olympus"])
def test_a_time_zone_name_that_is_no_iana_zone_is_treated_as_absent(name):
    report = frab_schedule_import(data=with_conference(time_zone_name=name))

    assert Forum.objects.get().time_zone == "Etc/GMT-2"
    assert report.forum.notes[0] == (
        f"“{name}” is not an IANA time zone: the forum's zone is Etc/GMT-2, from the UTC offset +02:00."
    )


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("localtime", "“localtime” is not an IANA time zone: the forum keeps its time zone Europe/Berlin."),
        ("", "The file gives no time zone name: the forum keeps its time zone Europe/Berlin."),
    ],
)
def test_an_existing_forum_keeps_its_time_zone_when_the_file_names_none(name, note):
    frab_schedule_import(data=with_conference())
    before = stored_programme()

    report = frab_schedule_import(data=with_conference(time_zone_name=name), update_existing=True)

    assert Forum.objects.get().time_zone == "Europe/Berlin"
    assert report.forum.notes[0] == note
    assert report.forum.unchanged == ["Tiny (tiny-2021)"]
    assert stored_programme() == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-le"])
def test_xml_in_utf16_or_utf32_with_a_byte_order_mark_is_read(encoding):
    frab_schedule_import(data=SMALL_XML.read_bytes())
    forum = Forum.objects.get()
    before = stored_programme()
    forum.delete()
    text = SMALL_XML.read_text(encoding="utf-8").replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    if encoding.endswith(("-be", "-le")):  # Python writes the mark itself for plain utf-16 and utf-32 only
        text = "\ufeff" + text
    data = text.encode(encoding)

    frab_schedule_import(data=data)

    assert stored_programme() == before


def test_json_in_utf16_with_a_byte_order_mark_is_read():
    frab_schedule_import(data=SMALL_JSON.read_text(encoding="utf-8").encode("utf-16"))

    assert Forum.objects.get().title == "Foro de Alcaldes — Ciudades 2021"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HOSTILE["nested 100,000 levels"][0], TOO_DEEP),
        (HOSTILE["lone surrogate"][0], HOSTILE["lone surrogate"][1][0]),
        (HOSTILE["capacity 3000000000"][0], capacity_refused("3000000000")),
    ],
    ids=["nested", "surrogate", "capacity"],
)
def test_admin_upload_of_a_hostile_file_shows_the_problem(admin_client, data, message):
    before = stored_programme()

    response = admin_client.post(
        reverse("admin:forum_forum_import_frab"), {"file": SimpleUploadedFile("schedule.json", data)}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert message in page_text(response.content)
    assert stored_programme() == before


def test_command_refuses_a_hostile_file_with_its_message(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_bytes(HOSTILE["nested 1,000 levels"][0])

    with pytest.raises(CommandError) as raised:
        call_command("import_frab_schedule", str(path), stdout=io.StringIO())

    assert str(raised.value) == f"The schedule was not imported; nothing was changed.\n{TOO_DEEP}"


def test_an_abstract_or_description_longer_than_a_long_text_is_cut_with_a_note():
    document = tiny_schedule()
    tiny_event(document).update(abstract="A" * 1_000_000, description="Context. " + "B" * 30_000)

    report = frab_schedule_import(data=as_bytes(document))

    session = Session.objects.get()
    assert session.objective == "A" * 20_000
    assert len(session.context) == 20_000 and session.context.startswith("Context. B")
    notes = " ".join(report.sessions.notes)
    assert "is longer than 20000 characters and was cut there." in notes
