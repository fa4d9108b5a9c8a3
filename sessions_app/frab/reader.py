"""Reading a frab ``schedule.xml`` or ``schedule.json`` into plain records.

The format is the one described by ``../shared/schemas/schedule.xml.xsd`` and
``../shared/schemas/schedule.schema.json`` (c3voc, JSON Schema draft-06). Real exports
are rarely valid against those strict schemas (camp2019's slugs are mixed case, pretalx
gives two rooms one guid), so the reader follows what the format's readers accept: it
needs the structure (a schedule, its conference, days, rooms and events) and reads every
value as text, leaving the checks of values to ``sessions_app.frab.plan``. Fields
it does not keep are listed, per record, so that the import report can say what was
ignored.

The format is told by content, not by file name: after an optional byte-order mark and
white space, ``<`` starts XML and ``{`` starts JSON. UTF-8 is expected; a file that
starts with a UTF-16 or UTF-32 byte-order mark is read in that encoding (Windows tools
save XML that way). XML is parsed without DTDs, entities or network access, and at
most 256 levels deep (libxml2's default).

JSON is read as RFC 8259 has it: ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's
parser would accept) are refused; numbers are kept as written, as text, so that a
5,000-digit number or ``1e400`` is a value for the plan to judge, not a crash; a
document nested deeper than Python's recursion limit (a schedule needs eight levels)
is refused.

Texts: every text read (values, names, and the names of ignored fields) loses the
characters that XML 1.0 cannot carry or that are invisible controls (``CONTROL_CHARACTERS``:
C0 and C1 controls other than tab, line feed and carriage return, DEL, U+FFFE and
U+FFFF; they come from copy and paste and would break the ``schedule.xml`` export and
PostgreSQL, which refuses NUL). The import report lists the texts that lost some. A
lone UTF-16 surrogate (``"\\ud800"`` in JSON: half of a character, the text was cut
badly) cannot be stored: the file is refused, naming the field.
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

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
"""Characters removed from every text read: C0 controls but tab, line feed and carriage
return; DEL and the C1 controls (XML 1.0, section 2.2, allows but discourages them);
U+FFFE and U+FFFF (not XML characters)."""

SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone UTF-16 surrogate, which JSON's ``\\uXXXX`` escapes can write but no UTF-8 text holds."""

NAME_LENGTH = 80
"""Labels in messages (an event's guid, id or title) are cut to this many characters."""

BYTE_ORDER_MARKS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
"""The byte-order marks of the wide encodings, UTF-32 first (its little-endian mark starts like UTF-16's)."""


class FrabImportError(Exception):
    """A schedule file that cannot be imported. ``messages`` lists every problem found,
    each naming the record (event guid and title, day, room) and what is wrong."""

    def __init__(self, messages: list[str]):
        self.messages = list(dict.fromkeys(messages))
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
    """A whole schedule file as plain text records; ``cleaned`` names the texts that lost
    control characters (``CONTROL_CHARACTERS``)."""

    format: str
    version: str
    conference: dict[str, str]
    rooms: list[RawRoom]
    tracks: list[str]
    days: list[RawDay]
    events: list[RawEvent]
    ignored: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)


def plain_text(text: str) -> str:
    """``text`` without ``CONTROL_CHARACTERS``, as the reader keeps every text."""
    return CONTROL_CHARACTERS.sub("", text)


def _name(value) -> str:
    """``value`` as a label for messages and notes: text, cleaned, lone surrogates shown as
    U+FFFD, at most ``NAME_LENGTH`` characters."""
    return SURROGATE.sub("\ufffd", plain_text(str(value)))[:NAME_LENGTH]


class _Texts:
    """Cleans the texts of one file (``plain_text``) and collects what it found: ``errors``
    (lone surrogates, values that are not text) and ``cleaned`` (labels of texts that lost
    control characters)."""

    def __init__(self):
        self.errors: list[str] = []
        self.cleaned: list[str] = []

    def text(self, value: str, what: str) -> str:
        """``value`` cleaned and stripped; ``what`` names it in messages ("Event 7: “title”")."""
        if SURROGATE.search(value):
            message = _("%(what)s holds a broken character (half of a UTF-16 surrogate pair): correct it in the file.")
            self.errors.append(message % {"what": what})
            return ""
        cleaned = plain_text(value)
        if cleaned != value:
            self.cleaned.append(what)
        return cleaned.strip()

    def json(self, value, what: str) -> str:
        """A JSON value as text: "" for null, a string or a number (kept as written) cleaned;
        anything else is an error."""
        if value is None:
            return ""
        if not isinstance(value, str):
            self.errors.append(_("%(what)s is not text or a number.") % {"what": what})
            return ""
        return self.text(value, what)


def read_schedule(data: bytes) -> RawSchedule:
    """Read ``data``, a frab ``schedule.xml`` or ``schedule.json`` (told by its first character).

    Raises ``FrabImportError`` for an empty file, a file that is neither, malformed XML or
    JSON (with the parser's line and column), JSON that is not UTF-8 (or UTF-16/32 with a
    byte-order mark), ``NaN``/``Infinity``, nesting too deep, a structure without a
    schedule, conference or list of days, parts of the wrong type (rooms, tracks or
    persons that are not lists) and texts holding lone surrogates.
    """
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data[len(mark) :].decode(encoding)
            except UnicodeDecodeError as error:
                message = _("The file starts as %(encoding)s text but is not (byte %(position)s).")
                raise FrabImportError([message % {"encoding": encoding.upper(), "position": error.start}]) from error
            return _read_wide(text.lstrip())
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"<"):
        return _read_xml(data)
    if data.startswith(b"{"):
        try:
            return _read_json(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise FrabImportError(
                [_("The JSON file is not UTF-8 text (byte %(position)s).") % {"position": error.start}]
            ) from error
    raise _unknown_format(empty=not data)


def _read_wide(text: str) -> RawSchedule:
    """A file decoded from UTF-16 or UTF-32: XML is handed to the parser as UTF-8, whatever
    its declaration says."""
    if text.startswith("<"):
        return _read_xml(text.encode("utf-8"), encoding="utf-8")
    if text.startswith("{"):
        return _read_json(text)
    raise _unknown_format(empty=not text)


def _unknown_format(*, empty: bool) -> FrabImportError:
    if empty:
        return FrabImportError([_("The file is empty.")])
    return FrabImportError([_("The file is neither a schedule.xml (starting with “<”) nor a schedule.json (“{”).")])


def _has_content(value) -> bool:
    return value not in (None, "", [], {}, False)


class _NotJsonNumber(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's JSON parser reads them, RFC 8259 has no such numbers."""


def _refuse_constant(name: str):
    raise _NotJsonNumber(name)


def _json_list(value, what: str, texts: _Texts) -> list:
    """``value`` when it is a list, [] when absent; otherwise an error naming ``what``."""
    if value is None:
        return []
    if not isinstance(value, list):
        texts.errors.append(_("%(what)s is not a list.") % {"what": what})
        return []
    return value


def _parse_json(text: str):
    try:
        return json.loads(text, parse_int=str, parse_float=str, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        message = _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
        raise FrabImportError([message % {"error": error.msg, "line": error.lineno, "column": error.colno}]) from error
    except _NotJsonNumber as error:
        message = _("The file is not valid JSON: %(value)s is not a number JSON allows (RFC 8259, section 6).")
        raise FrabImportError([message % {"value": error}]) from error
    except RecursionError as error:
        message = _("The JSON file nests lists and objects too deeply to be a schedule (one needs eight levels).")
        raise FrabImportError([message]) from error


def _read_json(text: str) -> RawSchedule:
    document = _parse_json(text)
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(conference, dict):
        raise FrabImportError([_("The JSON file has no “schedule” with a “conference” object.")])
    if not isinstance(conference.get("days"), list):
        raise FrabImportError([_("The conference has no list of “days”.")])
    texts = _Texts()
    head = {
        name: texts.json(conference.get(name), _("The conference's “%(field)s”") % {"field": name})
        for name in ("acronym", "title", "start", "end", "time_zone_name")
    }
    ignored = [name for name, value in conference.items() if name not in head and name not in QUIET_CONFERENCE_FIELDS]
    ignored = [_name(name) for name in ignored if _has_content(conference[name])]
    ignored += [name for name in ("base_url",) if _has_content(schedule.get(name))]
    rooms = []
    declared_rooms = _json_list(conference.get("rooms"), _("The conference's “rooms”"), texts)
    for position, room in enumerate(declared_rooms, start=1):
        if not isinstance(room, dict):
            texts.errors.append(_("Room %(position)s of the conference is not an object.") % {"position": position})
            continue
        what = _("Room %(position)s of the conference: “%(field)s”")
        rooms.append(
            RawRoom(
                name=texts.json(room.get("name"), what % {"position": position, "field": "name"}),
                capacity=texts.json(room.get("capacity"), what % {"position": position, "field": "capacity"}),
                declared=True,
                ignored=[
                    _name(name)
                    for name, value in room.items()
                    if name not in ("name", "capacity") and _has_content(value)
                ],
            )
        )
    tracks = []
    for position, track in enumerate(_json_list(conference.get("tracks"), _("The conference's “tracks”"), texts), 1):
        what = _("Track %(position)s of the conference") % {"position": position}
        if isinstance(track, dict):
            tracks.append(texts.json(track.get("name"), what))
        elif isinstance(track, str):
            tracks.append(texts.text(track, what))
        else:
            texts.errors.append(_("%(what)s is neither a name nor an object with a “name”.") % {"what": what})
    days, events = [], []
    for position, day in enumerate(conference["days"], start=1):
        if not isinstance(day, dict) or not isinstance(day.get("rooms", {}), dict):
            texts.errors.append(_("Day %(position)s is not an object with a “rooms” object.") % {"position": position})
            continue
        what = _("Day %(position)s's “%(field)s”")
        days.append(
            RawDay(
                position=position,
                **{
                    attr: texts.json(day.get(name), what % {"position": position, "field": name})
                    for attr, name in (("date", "date"), ("start", "day_start"), ("end", "day_end"))
                },
            )
        )
        for key, room_events in (day.get("rooms") or {}).items():
            room_name = texts.text(key, _("Day %(position)s: the name of a room") % {"position": position})
            rooms.append(RawRoom(name=room_name))
            if not isinstance(room_events, list):
                message = _("Day %(position)s: the events of room “%(room)s” are not a list.")
                texts.errors.append(message % {"position": position, "room": _name(key)})
                continue
            for event in room_events:
                if not isinstance(event, dict):
                    message = _("Day %(position)s, room “%(room)s”: an event is not an object.")
                    texts.errors.append(message % {"position": position, "room": _name(key)})
                    continue
                events.append(_json_event(event, position, room_name, texts))
    if texts.errors:
        raise FrabImportError(texts.errors)
    return RawSchedule(
        format="json",
        version=_name(schedule["version"]).strip() if isinstance(schedule.get("version"), str) else "",
        conference=head,
        rooms=rooms,
        tracks=[track for track in tracks if track],
        days=days,
        events=events,
        ignored=ignored,
        cleaned=texts.cleaned,
    )


def _json_event(event: dict, day: int, room: str, texts: _Texts) -> RawEvent:
    label = _name(event.get("guid") or event.get("id") or event.get("title") or "?")
    what = _("Event %(event)s: “%(field)s”")
    values = {name: texts.json(event.get(name), what % {"event": label, "field": name}) for name in EVENT_FIELDS}
    persons = []
    for person in _json_list(event.get("persons"), what % {"event": label, "field": "persons"}, texts):
        if not isinstance(person, dict):
            texts.errors.append(_("Event %(event)s: a person is not an object.") % {"event": label})
            continue
        name = person.get("name") or person.get("public_name")
        biography = person.get("biography")
        biography_what = what % {"event": label, "field": "biography"}
        persons.append(
            RawPerson(
                name=texts.json(name, what % {"event": label, "field": "name"}),
                guid=texts.json(person.get("guid"), what % {"event": label, "field": "guid"}),
                id=texts.json(person.get("id"), what % {"event": label, "field": "id"}),
                biography=None if biography is None else texts.json(biography, biography_what),
                ignored=[
                    _name(key)
                    for key, value in person.items()
                    if key not in ("name", "public_name", "guid", "id", "biography") and _has_content(value)
                ],
            )
        )
    ignored = [
        _name(key) for key, value in event.items() if key not in EVENT_FIELDS + ("persons",) and _has_content(value)
    ]
    return RawEvent(day=day, container_room=room, values=values, persons=persons, ignored=ignored)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _xml_text(element: etree._Element | None, what: str, texts: _Texts) -> str:
    return texts.text("".join(element.itertext()), what) if element is not None else ""


def _xml_attribute(element: etree._Element, name: str, what: str, texts: _Texts) -> str:
    return texts.text(element.get(name) or "", what)


def _read_xml(data: bytes, encoding: str | None = None) -> RawSchedule:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, encoding=encoding
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = _("The file is not well-formed XML: %(error)s (line %(line)s, column %(column)s).")
        line, column = error.position
        problem = re.sub(r", line \d+, column \d+$", "", error.msg)
        raise FrabImportError([message % {"error": problem, "line": line, "column": column}]) from error
    if _local(root) != "schedule":
        raise FrabImportError(
            [_("The XML file's root element is “%(tag)s”, not “schedule”.") % {"tag": _name(_local(root))}]
        )
    children = {_local(child): child for child in root}
    conference = children.get("conference")
    if conference is None:
        raise FrabImportError([_("The XML file has no “conference” element.")])
    texts = _Texts()
    head_elements = {_local(child): child for child in conference}
    what = _("The conference's “%(field)s”")
    head = {
        name: _xml_text(head_elements.get(name), what % {"field": name}, texts)
        for name in ("acronym", "title", "start", "end", "time_zone_name")
    }
    ignored = [
        _name(name)
        for name, element in head_elements.items()
        if name not in head
        and name not in QUIET_CONFERENCE_FIELDS
        and ("".join(element.itertext()).strip() or len(element.attrib))
    ]
    tracks = [
        texts.text(child.get("name") or "".join(child.itertext()), _("A track of the conference"))
        for child in conference
        if _local(child) == "track"
    ]
    rooms, days, events = [], [], []
    for position, day in enumerate((child for child in root if _local(child) == "day"), start=1):
        what = _("Day %(position)s's “%(field)s”")
        days.append(
            RawDay(
                position=position,
                **{
                    attr: _xml_attribute(day, name, what % {"position": position, "field": name}, texts)
                    for attr, name in (("date", "date"), ("start", "start"), ("end", "end"))
                },
            )
        )
        for room in (child for child in day if _local(child) == "room"):
            room_name = _xml_attribute(
                room, "name", _("Day %(position)s: the name of a room") % {"position": position}, texts
            )
            rooms.append(RawRoom(name=room_name))
            events += [_xml_event(event, position, room_name, texts) for event in room if _local(event) == "event"]
    if texts.errors:
        raise FrabImportError(texts.errors)
    return RawSchedule(
        format="xml",
        version=_name("".join(children["version"].itertext())).strip() if "version" in children else "",
        conference=head,
        rooms=rooms,
        tracks=[track for track in tracks if track],
        days=days,
        events=events,
        ignored=ignored,
        cleaned=texts.cleaned,
    )


def _xml_event(event: etree._Element, day: int, room: str, texts: _Texts) -> RawEvent:
    elements = {_local(child): child for child in event}
    title = elements.get("title")
    label = _name(event.get("guid") or event.get("id") or ("".join(title.itertext()) if title is not None else "?"))
    what = _("Event %(event)s: “%(field)s”")
    values = {
        name: _xml_text(elements.get(name), what % {"event": label, "field": name}, texts) for name in EVENT_FIELDS
    }
    values["guid"] = _xml_attribute(event, "guid", what % {"event": label, "field": "guid"}, texts)
    values["id"] = _xml_attribute(event, "id", what % {"event": label, "field": "id"}, texts)
    persons_element = elements.get("persons")
    persons = [
        RawPerson(
            name=_xml_text(person, what % {"event": label, "field": "person"}, texts),
            guid=_xml_attribute(person, "guid", what % {"event": label, "field": "guid"}, texts),
            id=_xml_attribute(person, "id", what % {"event": label, "field": "id"}, texts),
            biography=None,
        )
        for person in (persons_element if persons_element is not None else [])
        if _local(person) == "person"
    ]
    ignored = [
        _name(name)
        for name, element in elements.items()
        if name not in EVENT_FIELDS + ("persons",)
        and ("".join(element.itertext()).strip() or len(element) or len(element.attrib))
    ]
    ignored += [_name(name) for name in event.attrib if name not in ("guid", "id")]
    return RawEvent(day=day, container_room=room, values=values, persons=persons, ignored=ignored)
