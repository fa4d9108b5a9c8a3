"""Reading a frab ``schedule.xml`` or ``schedule.json`` into plain records.

The format is the one described by ``../shared/schemas/schedule.xml.xsd`` and
``../shared/schemas/schedule.schema.json`` (c3voc, JSON Schema draft-06). Real exports
are rarely valid against those strict schemas (camp2019's slugs are mixed case, pretalx
gives two rooms one guid), so the reader follows what the format's readers accept: it
needs the structure (a schedule, its conference, days, rooms and events) and reads every
value as text, leaving the checks of values to ``sessions_app.frab.importer``. Fields
it does not keep are listed, per record, so that the import report can say what was
ignored.

The format is told by content, not by file name: after an optional byte-order mark and
white space, ``<`` starts XML and ``{`` starts JSON. XML is parsed without DTDs,
entities or network access.
"""

import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree

EVENT_FIELDS = (
    "guid",
    "id",
    "date",
    "start",
    "duration",
    "end",
    "room",
    "slug",
    "title",
    "track",
    "type",
    "abstract",
    "description",
)
"""The event fields the import reads; any other field with content is reported as ignored."""

QUIET_CONFERENCE_FIELDS = {"days", "daysCount", "timeslot_duration", "rooms", "tracks", "track"}
"""Conference fields that are read or recomputed, so never reported as ignored."""


class FrabImportError(Exception):
    """A schedule file that cannot be imported. ``messages`` lists every problem found,
    each naming the record (event guid and title, day, room) and what is wrong."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass
class RawPerson:
    """A person of an event: ``name`` (``name`` or ``public_name``), ``guid`` and ``id`` as
    given ("" when absent), ``biography`` (None when the file has no such field)."""

    name: str
    guid: str
    id: str
    biography: str | None
    ignored: list[str] = field(default_factory=list)


@dataclass
class RawEvent:
    """An event as given: ``values`` maps each of ``EVENT_FIELDS`` to its text ("" when
    absent); ``container_room`` is the room it is listed under; ``day`` the 1-based
    position of its day in the file."""

    day: int
    container_room: str
    values: dict[str, str]
    persons: list[RawPerson]
    ignored: list[str] = field(default_factory=list)


@dataclass
class RawDay:
    """A day as given: its 1-based ``position`` in the file, ``date``, ``start`` and ``end`` texts."""

    position: int
    date: str
    start: str
    end: str


@dataclass
class RawRoom:
    """A room the file names: ``capacity`` text ("" when absent); ``declared`` when it comes
    from the conference's room list (JSON ``conference.rooms``) rather than from a day's
    rooms, where events are listed. Both kinds are the file's rooms."""

    name: str
    capacity: str = ""
    declared: bool = False
    ignored: list[str] = field(default_factory=list)


@dataclass
class RawSchedule:
    """A whole schedule file as plain text records."""

    format: str
    version: str
    conference: dict[str, str]
    rooms: list[RawRoom]
    tracks: list[str]
    days: list[RawDay]
    events: list[RawEvent]
    ignored: list[str] = field(default_factory=list)


def read_schedule(data: bytes) -> RawSchedule:
    """Read ``data``, a frab ``schedule.xml`` or ``schedule.json`` (told by its first character).

    Raises ``FrabImportError`` for an empty file, a file that is neither, malformed XML or
    JSON (with the parser's line and column), JSON that is not UTF-8, and a structure
    without a schedule, conference or list of days.
    """
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise FrabImportError([_("The file is empty.")])
    if text.startswith(b"<"):
        return _read_xml(text)
    if text.startswith(b"{"):
        try:
            return _read_json(text.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise FrabImportError(
                [_("The JSON file is not UTF-8 text (byte %(position)s).") % {"position": error.start}]
            ) from error
    raise FrabImportError([_("The file is neither a schedule.xml (starting with “<”) nor a schedule.json (“{”).")])


def _has_content(value) -> bool:
    return value not in (None, "", [], {}, False)


def _json_text(value, what: str, errors: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(_("%(what)s is not text or a number.") % {"what": what})
        return ""
    return str(value).strip()


def _read_json(text: str) -> RawSchedule:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
        raise FrabImportError([message % {"error": error.msg, "line": error.lineno, "column": error.colno}]) from error
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(conference, dict):
        raise FrabImportError([_("The JSON file has no “schedule” with a “conference” object.")])
    if not isinstance(conference.get("days"), list):
        raise FrabImportError([_("The conference has no list of “days”.")])
    errors: list[str] = []
    head = {
        name: _json_text(conference.get(name), _("The conference's “%(field)s”") % {"field": name}, errors)
        for name in ("acronym", "title", "start", "end", "time_zone_name")
    }
    ignored = [name for name, value in conference.items() if name not in head and name not in QUIET_CONFERENCE_FIELDS]
    ignored = [name for name in ignored if _has_content(conference[name])]
    ignored += [name for name in ("base_url",) if _has_content(schedule.get(name))]
    rooms = []
    for position, room in enumerate(conference.get("rooms") or [], start=1):
        if not isinstance(room, dict):
            errors.append(_("Room %(position)s of the conference is not an object.") % {"position": position})
            continue
        what = _("The name of room %(position)s") % {"position": position}
        rooms.append(
            RawRoom(
                name=_json_text(room.get("name"), what, errors),
                capacity=_json_text(room.get("capacity"), what, errors),
                declared=True,
                ignored=[
                    name for name, value in room.items() if name not in ("name", "capacity") and _has_content(value)
                ],
            )
        )
    tracks = [
        _json_text(track.get("name"), _("A track's name"), errors)
        for track in conference.get("tracks") or []
        if isinstance(track, dict)
    ]
    days, events = [], []
    for position, day in enumerate(conference["days"], start=1):
        if not isinstance(day, dict) or not isinstance(day.get("rooms", {}), dict):
            errors.append(_("Day %(position)s is not an object with a “rooms” object.") % {"position": position})
            continue
        what = _("Day %(position)s's “%(field)s”")
        days.append(
            RawDay(
                position=position,
                **{
                    attr: _json_text(day.get(name), what % {"position": position, "field": name}, errors)
                    for attr, name in (("date", "date"), ("start", "day_start"), ("end", "day_end"))
                },
            )
        )
        for room_name, room_events in (day.get("rooms") or {}).items():
            rooms.append(RawRoom(name=room_name.strip()))
            if not isinstance(room_events, list):
                message = _("Day %(position)s: the events of room “%(room)s” are not a list.")
                errors.append(message % {"position": position, "room": room_name})
                continue
            for event in room_events:
                if not isinstance(event, dict):
                    message = _("Day %(position)s, room “%(room)s”: an event is not an object.")
                    errors.append(message % {"position": position, "room": room_name})
                    continue
                events.append(_json_event(event, position, room_name.strip(), errors))
    if errors:
        raise FrabImportError(errors)
    return RawSchedule(
        format="json",
        version=_json_text(schedule.get("version"), "version", []),
        conference=head,
        rooms=rooms,
        tracks=[track for track in tracks if track],
        days=days,
        events=events,
        ignored=ignored,
    )


def _json_event(event: dict, day: int, room: str, errors: list[str]) -> RawEvent:
    label = event.get("guid") or event.get("id") or event.get("title") or "?"
    what = _("Event %(event)s: “%(field)s”")
    values = {
        name: _json_text(event.get(name), what % {"event": label, "field": name}, errors) for name in EVENT_FIELDS
    }
    persons = []
    for person in event.get("persons") or []:
        if not isinstance(person, dict):
            errors.append(_("Event %(event)s: a person is not an object.") % {"event": label})
            continue
        name = person.get("name") or person.get("public_name")
        biography = person.get("biography")
        persons.append(
            RawPerson(
                name=_json_text(name, what % {"event": label, "field": "name"}, errors),
                guid=_json_text(person.get("guid"), what % {"event": label, "field": "guid"}, errors),
                id=_json_text(person.get("id"), what % {"event": label, "field": "id"}, errors),
                biography=None if biography is None else _json_text(biography, "biography", errors),
                ignored=[
                    key
                    for key, value in person.items()
                    if key not in ("name", "public_name", "guid", "id", "biography") and _has_content(value)
                ],
            )
        )
    ignored = [key for key, value in event.items() if key not in EVENT_FIELDS + ("persons",) and _has_content(value)]
    return RawEvent(day=day, container_room=room, values=values, persons=persons, ignored=ignored)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _xml_text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _read_xml(data: bytes) -> RawSchedule:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = _("The file is not well-formed XML: %(error)s (line %(line)s, column %(column)s).")
        line, column = error.position
        problem = re.sub(r", line \d+, column \d+$", "", error.msg)
        raise FrabImportError([message % {"error": problem, "line": line, "column": column}]) from error
    if _local(root) != "schedule":
        raise FrabImportError([_("The XML file's root element is “%(tag)s”, not “schedule”.") % {"tag": _local(root)}])
    children = {_local(child): child for child in root}
    conference = children.get("conference")
    if conference is None:
        raise FrabImportError([_("The XML file has no “conference” element.")])
    head_elements = {_local(child): child for child in conference}
    head = {name: _xml_text(head_elements.get(name)) for name in ("acronym", "title", "start", "end", "time_zone_name")}
    ignored = [
        name
        for name, element in head_elements.items()
        if name not in head and name not in QUIET_CONFERENCE_FIELDS and (_xml_text(element) or len(element.attrib))
    ]
    tracks = [(child.get("name") or _xml_text(child)).strip() for child in conference if _local(child) == "track"]
    rooms, days, events = [], [], []
    for position, day in enumerate((child for child in root if _local(child) == "day"), start=1):
        days.append(
            RawDay(
                position=position,
                date=(day.get("date") or "").strip(),
                start=(day.get("start") or "").strip(),
                end=(day.get("end") or "").strip(),
            )
        )
        for room in (child for child in day if _local(child) == "room"):
            room_name = (room.get("name") or "").strip()
            rooms.append(RawRoom(name=room_name))
            events += [_xml_event(event, position, room_name) for event in room if _local(event) == "event"]
    return RawSchedule(
        format="xml",
        version=_xml_text(children.get("version")),
        conference=head,
        rooms=rooms,
        tracks=[track for track in tracks if track],
        days=days,
        events=events,
        ignored=ignored,
    )


def _xml_event(event: etree._Element, day: int, room: str) -> RawEvent:
    elements = {_local(child): child for child in event}
    values = {name: _xml_text(elements.get(name)) for name in EVENT_FIELDS}
    values["guid"] = (event.get("guid") or "").strip()
    values["id"] = (event.get("id") or "").strip()
    persons_element = elements.get("persons")
    persons = [
        RawPerson(
            name=_xml_text(person),
            guid=(person.get("guid") or "").strip(),
            id=(person.get("id") or "").strip(),
            biography=None,
        )
        for person in (persons_element if persons_element is not None else [])
        if _local(person) == "person"
    ]
    ignored = [
        name
        for name, element in elements.items()
        if name not in EVENT_FIELDS + ("persons",) and (_xml_text(element) or len(element) or len(element.attrib))
    ]
    ignored += [name for name in event.attrib if name not in ("guid", "id")]
    return RawEvent(day=day, container_room=room, values=values, persons=persons, ignored=ignored)
