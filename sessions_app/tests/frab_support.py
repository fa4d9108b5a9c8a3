"""Test helpers for the frab schedule exchange: the c3voc schemas and real exports from the
shared folder, the project's own small schedules, and snapshots of the stored programme.

The shared folder lives beside the project (``../shared``) or where ``FORUM_SHARED_DIR``
points; a test that needs a file from it is skipped, with the reason, when it is absent.
The project's own schedules (``data/frab-small.schedule.json`` and its XML twin) cover
the same paths without it.
"""

import json
import os
import uuid
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from jsonschema import Draft6Validator, FormatChecker
from lxml import etree

from forum.models import Forum, Person, Room
from sessions_app.models import AgendaItem, Session, SpeakerRole, Theme

DATA = Path(__file__).parent / "data"
SMALL_JSON = DATA / "frab-small.schedule.json"
SMALL_XML = DATA / "frab-small.schedule.xml"


def shared_dir() -> Path:
    """``$FORUM_SHARED_DIR``, by default ``../shared`` beside the project."""
    return Path(os.environ.get("FORUM_SHARED_DIR") or Path(settings.BASE_DIR).parent / "shared")


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
        "people": sorted((str(guid), name) for guid, name in Person.objects.values_list("guid", "name")),
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
