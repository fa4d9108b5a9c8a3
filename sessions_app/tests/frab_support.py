"""Test helpers for the frab schedule exchange: the c3voc schemas and real exports from the
shared folder, the project's own small schedules, and snapshots of the stored programme.

The shared folder lives beside the project (``../shared``) or where ``FORUM_SHARED_DIR``
points; a test that needs a file from it is skipped, with the reason, when it is absent.
The project's own schedules (``data/frab-small.schedule.json`` and its XML twin) cover
the same paths without it.
"""

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jsonschema import Draft6Validator, FormatChecker
from lxml import etree

from forum.models import Forum, Person, Room
from sessions_app.models import AgendaItem, Session, SpeakerRole, Theme
from sessions_app.tests.support import shared_dir

DATA = Path(__file__).parent / "data"
SMALL_JSON = DATA / "frab-small.schedule.json"
SMALL_XML = DATA / "frab-small.schedule.xml"
TINY_GUID = uuid.UUID("8bdf851e-5715-494c-b81c-52b7af46723a")
"""The guid of the one event of ``tiny_schedule``."""


def shared_file(*parts: str) -> Path:
    """A file of the shared folder; skips the calling test when it is not there."""
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (set FORUM_SHARED_DIR to the shared folder holding schemas/ and schedules/)")
    return path


def _format_checker() -> FormatChecker:
    """Every format jsonschema checks with what is installed, plus the formats the schema
    uses that need optional packages (uuid, date, date-time, uri), checked with the
    standard library."""
    checker = FormatChecker()

    @checker.checks("uuid", raises=ValueError)
    def is_uuid(value) -> bool:
        return not isinstance(value, str) or bool(uuid.UUID(value))

    @checker.checks("date", raises=ValueError)
    def is_date(value) -> bool:
        return not isinstance(value, str) or bool(date.fromisoformat(value))

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value) -> bool:
        return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("uri")
    def is_uri(value) -> bool:
        parts = urlparse(value) if isinstance(value, str) else None
        return parts is None or bool(parts.scheme and parts.netloc)

    return checker


def json_schema_errors(document: dict) -> list[str]:
    """The errors of ``document`` against ``schedule.schema.json`` (draft-06, formats checked)."""
    schema = json.loads(shared_file("schemas", "schedule.schema.json").read_text(encoding="utf-8"))
    validator = Draft6Validator(schema, format_checker=_format_checker())
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def xml_schema_errors(body: bytes) -> list[str]:
    """The errors of the XML document ``body`` against ``schedule.xml.xsd``."""
    schema = etree.XMLSchema(etree.parse(str(shared_file("schemas", "schedule.xml.xsd"))))
    schema.validate(etree.fromstring(body))
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def small_schedule() -> dict:
    """``data/frab-small.schedule.json`` as a document to change in a test."""
    return json.loads(SMALL_JSON.read_text(encoding="utf-8"))


def tiny_schedule() -> dict:
    """A schedule.json document to break in a test: conference ``tiny_2021`` (“Tiny”), one day
    (1 May 2021, 08:00 to 20:00 in Berlin), one room (“Hall A”) and one event (``TINY_GUID``,
    “Talk one”, 10:00 for an hour, track “Track”) with one speaker."""
    event = {
        "guid": str(TINY_GUID),
        "id": 1,
        "date": "2021-05-01T10:00:00+02:00",
        "start": "10:00",
        "duration": "01:00",
        "room": "Hall A",
        "slug": "talk-one",
        "title": "Talk one",
        "track": "Track",
        "type": "lecture",
        "abstract": "Abstract.",
        "description": "Description.",
        "persons": [{"guid": "35209209-f4e3-4ba8-85b3-8635ed421bfb", "name": "Alice Example"}],
    }
    day = {
        "index": 1,
        "date": "2021-05-01",
        "day_start": "2021-05-01T08:00:00+02:00",
        "day_end": "2021-05-01T20:00:00+02:00",
        "rooms": {"Hall A": [event]},
    }
    conference = {
        "acronym": "tiny_2021",
        "title": "Tiny",
        "start": "2021-05-01",
        "end": "2021-05-01",
        "time_zone_name": "Europe/Berlin",
        "rooms": [{"name": "Hall A"}],
        "days": [day],
    }
    return {"schedule": {"version": "1", "conference": conference}}


def as_bytes(document: dict) -> bytes:
    """A schedule.json document as the UTF-8 bytes of a file."""
    return json.dumps(document, ensure_ascii=False).encode()


def table_counts() -> dict[str, int]:
    """Rows of every table an import writes."""
    return {
        model.__name__: model.objects.count()
        for model in (Forum, Room, Theme, Session, AgendaItem, SpeakerRole, Person)
    }


def stored_programme() -> dict:
    """The counts of ``table_counts`` and the values an import may change, to compare before/after."""
    return {
        "counts": table_counts(),
        "forums": sorted(Forum.objects.values_list("slug", "title", "start_date", "end_date", "time_zone")),
        "rooms": sorted(Room.objects.values_list("forum__slug", "name", "capacity")),
        "sessions": sorted(
            (str(guid), *rest)
            for guid, *rest in Session.objects.values_list("guid", "title", "slug", "start", "end", "room__name")
        ),
        "people": sorted((str(guid), *rest) for guid, *rest in Person.objects.values_list("guid", "name", "bio")),
        "texts": stored_texts(),
    }


def stored_texts() -> dict:
    """Every language's column of the texts an import may write (forums, themes, sessions,
    agenda items), to tell which language an import wrote in."""
    return {
        "forums": sorted(Forum.objects.values_list("slug", "title_en", "title_es")),
        "themes": sorted(Theme.objects.values_list("forum__slug", "title_en", "title_es"), key=str),
        "sessions": sorted(
            Session.objects.values_list(
                "slug", "title_en", "title_es", "objective_en", "objective_es", "context_en", "context_es"
            ),
            key=str,
        ),
        "agenda": sorted(AgendaItem.objects.values_list("session__slug", "order", "title_en", "title_es"), key=str),
    }


def events(document: dict) -> list[dict]:
    """Every event of a schedule.json document, in file order."""
    return [
        event
        for day in document["schedule"]["conference"]["days"]
        for room_events in day["rooms"].values()
        for event in room_events
    ]


def without_event_ids(document: dict) -> dict:
    """A copy of a schedule.json document without its events' ``id`` (``Session.pk``, which
    a new import numbers anew): the one field that legitimately differs between an export
    and the export of its import."""
    copy = json.loads(json.dumps(document))
    for event in events(copy):
        del event["id"]
    return copy
