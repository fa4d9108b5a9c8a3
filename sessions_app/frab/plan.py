"""Checking a read frab schedule and turning it into what the import writes.

``plan_schedule`` takes the plain records of ``sessions_app.frab.reader`` and checks
every value without touching the database. Everything wrong is collected and raised
together as one ``FrabImportError``, each message naming the record and the problem.

Rules (``../shared/schemas/schedule.schema.json`` and ``schedule.xml.xsd`` describe the
fields; where real files stray from them the rule says what is accepted):

- The conference ``acronym`` names the forum: its slug is ``identifiers.slug_for_acronym``.
- Time zone: ``time_zone_name`` when it is an IANA zone (``is_iana_zone``: a name of
  ``zoneinfo.available_timezones()`` but ``forum.models.NOT_PLACE_ZONES``, ``localtime``,
  ``Factory`` and ``posixrules``, which name no place; "Mars/Olympus" is no name at all). Otherwise
  (absent or not a zone, with a note) the time zone of the existing forum when there is
  one; else the first UTC offset of the file's dates as a fixed ``Etc/GMT±N`` zone (UTC
  when the offset is not whole hours, or when there is none). A date without an offset
  is read in that zone; a date with one is kept as its offset says (a note tells when
  offsets and the zone disagree, as in pretalx's democon); times are stored in UTC.
- Dates and times are ISO 8601 from the years 1900 to 2999 (the forum's own limits),
  anything else is refused naming the field.
- Days: ``date`` (else the local date of ``day_start``), ``day_start`` and ``day_end``
  (else local midnight to midnight). The forum runs from the first day's date to the
  last day's date, widened to the local dates on which events start and end (frab days
  run past midnight, and a forum's dates hold all its sessions, ``Forum.clean``); the
  forum's own rules apply (at most 31 days, years 1900–2999): an event ending beyond
  what a forum starting on the first date can last is refused, naming it.
- Rooms: a capacity is a whole number of seats up to ``MAX_ROOM_CAPACITY``; larger is
  refused, a capacity that is not a whole number is ignored with a note.
- Events: a UUID ``guid`` (derived from the acronym and ``id`` when missing), unique in
  the file; a title; a room (the event's ``room``, else the room it is listed under;
  it must be one of the file's rooms); a start (``date``, else the day's date and
  ``start``, the next calendar day when earlier than the day's start) inside the
  conference's days (first ``day_start`` to last ``day_end``); a positive
  ``duration`` (``HH:MM`` or ``HH:MM:SS``, minutes and seconds up to 59; ``end`` when
  there is no duration). Sessions may cross midnight.
- Persons: ``name`` or ``public_name``; ``guid`` when given (it must be a UUID), else
  ``identifiers.derived_person_guid``. A person without a name is skipped. An event
  has at most ``MAX_NUMBER`` (999) persons, the most an agenda item numbers.
- Abstracts, descriptions and biographies are plain text: their markup is removed
  (``forum.sanitize.strip_markup``) as the fields that store them remove it.
"""

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forum.models import MAX_FORUM_DAYS, Forum, Person, Room, place_time_zones
from forum.sanitize import LONG_TEXT_MAX_CHARS, strip_markup
from sessions_app.frab.identifiers import (
    derived_guid,
    derived_person_guid,
    kind_for_type,
    session_slug_from_event,
    slug_for_acronym,
)
from sessions_app.frab.reader import NAME_LENGTH, FrabImportError, RawEvent, RawSchedule
from sessions_app.models import MAX_NUMBER, Session, Theme

DURATION = re.compile(r"^(-)?\s*(\d{1,4}):(\d{1,2})(?::(\d{1,2}))?$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
KINDS = ("forum", "rooms", "days", "themes", "sessions", "people")
"""The kinds of records the import reports on, in the order the report lists them."""

MAX_ROOM_CAPACITY = 100_000
"""The most seats a room may have (a stadium's); far below PostgreSQL's integer limit."""

EARLIEST = datetime(1899, 12, 31, tzinfo=UTC)
LATEST = datetime(3000, 1, 2, tzinfo=UTC)
"""Moments outside these (a day's margin around the forum's years 1900–2999, for every
UTC offset) are refused: a forum could not hold them, and they could not be shifted to a
time zone without leaving the years ``datetime`` knows."""

CLEANED_SHOWN = 5
"""How many of the texts that lost control characters the report names."""


def is_iana_zone(name: str) -> bool:
    """True when ``name`` is a zone a forum may use (``forum.models.place_time_zones``)."""
    return name in place_time_zones()


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _without_markup(text: str | None) -> str | None:
    """``text`` as a ``SanitizedTextField`` stores it (``forum.sanitize.strip_markup``), None
    kept: the plan holds what will be stored, so importing a file again changes nothing."""
    return None if text is None else strip_markup(text)


@dataclass
class PersonPlan:
    """A person to find (by ``guid``) or create."""

    guid: UUID
    name: str
    biography: str | None


@dataclass
class EventPlan:
    """A session to find (by ``guid``) or create, with its values checked; ``given_slug`` is
    the event's slug as the file gives it, ``slug`` the session slug made of it."""

    guid: UUID
    label: str
    title: str
    slug: str
    given_slug: str
    kind: str
    track: str
    room: str
    start: datetime
    end: datetime
    objective: str
    context: str
    persons: list[UUID]


@dataclass
class SchedulePlan:
    """A checked schedule: the forum's values, rooms (name, capacity or None), tracks,
    events and persons, and the notes and skipped records per kind (``KINDS``).

    ``title_given`` is False when the file has no conference title (``title`` is then the
    acronym, for a new forum only); ``time_zone`` is the zone the file's times were read in.
    """

    format: str
    version: str
    slug: str
    title: str
    title_given: bool
    time_zone: str
    start_date: date
    end_date: date
    rooms: list[tuple[str, int | None]]
    tracks: list[str]
    events: list[EventPlan]
    persons: dict[UUID, PersonPlan]
    notes: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    skipped: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})


def _moment(text: str, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """``text`` (ISO 8601) as an aware datetime, read in ``zone`` when it has no offset; None if unreadable."""
    try:
        value = datetime.fromisoformat(text)
        value = value if value.tzinfo else value.replace(tzinfo=zone)
        value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return value


def _readable(text: str) -> bool:
    """True when ``text`` is ISO 8601, even a moment ``_moment`` cannot place (year 1 at +14:00)."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _in_years(moment: datetime) -> bool:
    """True when ``moment`` lies within the forum's years (``EARLIEST`` to ``LATEST``)."""
    return EARLIEST <= moment <= LATEST


def _offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _zone_for_offset(offset: timedelta | None) -> str | None:
    """The fixed IANA zone of a whole-hour UTC offset (``Etc/GMT-1`` for +01:00: the sign is
    inverted in those names), ``UTC`` for none or zero, None for other offsets."""
    if not offset:
        return "UTC"
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= hours <= 14:
        return None
    return f"Etc/GMT{-hours:+d}"


def last_instant_date(moment: datetime, zone: zoneinfo.ZoneInfo) -> date:
    """The local date of the instant just before ``moment``: a session ending at midnight ends on the day before."""
    return (moment - timedelta(microseconds=1)).astimezone(zone).date()


class _Planner:
    """Builds a ``SchedulePlan`` from a ``RawSchedule``, collecting every error."""

    def __init__(self, raw: RawSchedule, forum_time_zone: str | None):
        self.raw = raw
        self.forum_time_zone = forum_time_zone
        self.errors: list[str] = []
        self.notes: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.skipped: dict[str, list[str]] = {kind: [] for kind in KINDS}

    def event_error(self, label: str, problem: str) -> None:
        self.errors.append(_("Event %(event)s: %(problem)s") % {"event": label, "problem": problem})

    def plan(self) -> SchedulePlan:
        raw = self.raw
        acronym = raw.conference["acronym"]
        slug = slug_for_acronym(acronym)
        if not acronym:
            raise FrabImportError([_("The conference has no acronym: the import needs it to name the forum.")])
        if not slug:
            message = _("The conference acronym “%(acronym)s” has no letter or digit to make the forum's slug from.")
            raise FrabImportError([message % {"acronym": acronym}])
        title = raw.conference["title"] or acronym
        if not raw.conference["title"]:
            self.notes["forum"].append(_("The conference has no title: the forum is named after its acronym."))
        title = self.truncated(title, _max_length(Forum, "title"), "forum")
        zone_name = self.time_zone()
        zone = zoneinfo.ZoneInfo(zone_name)
        days = self.days(zone)
        rooms = self.rooms()
        persons: dict[UUID, PersonPlan] = {}
        events = self.events(days, zone, {name.casefold(): name for name, _capacity in rooms}, persons)
        self.ignored_notes()
        self.cleaned_note()
        day_dates = sorted({day for day, _start, _end in days.values()})
        if not day_dates and raw.days:
            raise FrabImportError(self.errors)  # every day was refused, with its reason
        if not day_dates:
            day_dates = self.conference_dates(zone)
        start_date = min([day_dates[0], *(event.start.astimezone(zone).date() for event in events)])
        events = self.reachable(events, start_date, zone)
        end_date = max([day_dates[-1], *(last_instant_date(event.end, zone) for event in events)])
        if (start_date, end_date) != (day_dates[0], day_dates[-1]):
            message = _(
                "The forum runs from %(first)s to %(last)s, to hold every event (the file's days run from "
                "%(first_day)s to %(last_day)s)."
            )
            self.notes["days"].append(
                message
                % {
                    "first": start_date.isoformat(),
                    "last": end_date.isoformat(),
                    "first_day": day_dates[0].isoformat(),
                    "last_day": day_dates[-1].isoformat(),
                }
            )
        self.check_forum(title, slug, start_date, end_date, zone_name)
        if self.errors:
            raise FrabImportError(self.errors)
        tracks = list(dict.fromkeys([*(self.raw.tracks), *(event.track for event in events)]))
        max_theme = _max_length(Theme, "title")
        return SchedulePlan(
            format=raw.format,
            version=raw.version,
            slug=slug,
            title=title,
            title_given=bool(raw.conference["title"]),
            time_zone=zone_name,
            start_date=start_date,
            end_date=end_date,
            rooms=rooms,
            tracks=list(dict.fromkeys(track[:max_theme] for track in tracks if track)),
            events=events,
            persons=persons,
            notes=self.notes,
            skipped=self.skipped,
        )

    def reachable(self, events: list[EventPlan], start_date: date, zone) -> list[EventPlan]:
        """``events`` without those ending after the last date a forum starting on
        ``start_date`` may have (``MAX_FORUM_DAYS``, the year 2999), each refused by name."""
        last = min(start_date + timedelta(days=MAX_FORUM_DAYS - 1), date(2999, 12, 31))
        kept = []
        for event in events:
            if last_instant_date(event.end, zone) <= last:
                kept.append(event)
                continue
            problem = _(
                "it ends at %(end)s, after %(last)s, the last day a forum starting on %(first)s can have "
                "(at most %(days)s days, before the year 3000)."
            )
            self.event_error(
                event.label,
                problem
                % {
                    "end": event.end.astimezone(zone).isoformat(),
                    "last": last.isoformat(),
                    "first": start_date.isoformat(),
                    "days": MAX_FORUM_DAYS,
                },
            )
        return kept

    def events(self, days, zone, known_rooms: dict[str, str], persons: dict[UUID, PersonPlan]) -> list[EventPlan]:
        """The file's events checked (``event``), each guid once; fills ``persons``."""
        if not days:
            return []
        span = (min(start for _day, start, _end in days.values()), max(end for *_rest, end in days.values()))
        events: list[EventPlan] = []
        seen: dict[UUID, str] = {}
        derived = 0
        for event in self.raw.events:
            if event.day not in days:
                continue  # the day's own error is reported
            planned = self.event(event, days[event.day], span, zone, known_rooms, persons)
            if planned is None:
                continue
            if not event.values["guid"]:
                derived += 1
            if planned.guid in seen:
                problem = _("its guid %(guid)s is also the guid of the event “%(other)s”; each event needs its own.")
                self.event_error(planned.label, problem % {"guid": planned.guid, "other": seen[planned.guid]})
                continue
            seen[planned.guid] = planned.title
            events.append(planned)
        if derived:
            self.notes["sessions"].append(
                ngettext(
                    "%(count)s event has no guid: its guid is derived from the acronym and its id.",
                    "%(count)s events have no guid: their guids are derived from the acronym and their ids.",
                    derived,
                )
                % {"count": derived}
            )
        return events

    def truncated(self, text: str, limit: int, kind: str) -> str:
        if len(text) <= limit:
            return text
        message = _("“%(text)s…” is longer than %(limit)s characters and was cut there.")
        self.notes[kind].append(message % {"text": text[:40], "limit": limit})
        return text[:limit]

    def moment(self, text: str, zone: zoneinfo.ZoneInfo, unreadable: str, out_of_range: str) -> datetime | None:
        """``text`` read by ``_moment``; None, after recording the error ``unreadable`` or
        ``out_of_range`` (messages ready to print), when it is not a date and time or lies
        outside the forum's years."""
        value = _moment(text, zone)
        if value is None and not _readable(text):
            self.errors.append(unreadable)
        elif value is None or not _in_years(value):
            self.errors.append(out_of_range)
            value = None
        return value

    def offsets(self) -> list[timedelta]:
        """The UTC offsets written in the days' starts and the events' dates, in file order."""
        offsets = []
        for text in [day.start for day in self.raw.days] + [event.values["date"] for event in self.raw.events]:
            try:
                offset = datetime.fromisoformat(text).utcoffset() if text else None
            except ValueError:
                offset = None
            if offset is not None:
                offsets.append(offset)
        return offsets

    def time_zone(self) -> str:
        name = self.raw.conference["time_zone_name"]
        if name and is_iana_zone(name):
            self.check_offsets(zoneinfo.ZoneInfo(name), name)
            return name
        if self.forum_time_zone:
            if name:
                message = _("“%(name)s” is not an IANA time zone: the forum keeps its time zone %(zone)s.")
            else:
                message = _("The file gives no time zone name: the forum keeps its time zone %(zone)s.")
            self.notes["forum"].append(message % {"name": name, "zone": self.forum_time_zone})
            self.check_offsets(zoneinfo.ZoneInfo(self.forum_time_zone), self.forum_time_zone)
            return self.forum_time_zone
        offsets = self.offsets()
        offset = offsets[0] if offsets else None
        derived = _zone_for_offset(offset)
        label = _offset_label(offset) if offset is not None else "+00:00"
        if derived is None:
            message = _(
                "The UTC offset %(offset)s has no fixed IANA zone: times are kept as their offsets say "
                "and shown in UTC."
            )
            self.notes["forum"].append(message % {"offset": label})
            derived = "UTC"
        elif name:
            message = _(
                "“%(name)s” is not an IANA time zone: the forum's zone is %(zone)s, from the UTC offset %(offset)s."
            )
            self.notes["forum"].append(message % {"name": name, "zone": derived, "offset": label})
        else:
            message = _(
                "The file gives no time zone name: the forum's zone is %(zone)s, from the UTC offset %(offset)s."
            )
            self.notes["forum"].append(message % {"zone": derived, "offset": label})
        return derived

    def check_offsets(self, zone: zoneinfo.ZoneInfo, name: str) -> None:
        for text in [event.values["date"] for event in self.raw.events]:
            moment = _moment(text, zone) if text else None
            if moment is not None and _in_years(moment) and moment.utcoffset() != moment.astimezone(zone).utcoffset():
                message = _(
                    "The dates carry the UTC offset %(offset)s, which is not %(zone)s's: each time is kept as "
                    "its offset says and shown in %(zone)s."
                )
                self.notes["forum"].append(message % {"offset": _offset_label(moment.utcoffset()), "zone": name})
                return

    def days(self, zone: zoneinfo.ZoneInfo) -> dict[int, tuple[date, datetime, datetime]]:
        days = {}
        unreadable = _("Day %(position)s: the %(field)s “%(value)s” is not a date and time (ISO 8601).")
        out_of_range = _("Day %(position)s: the %(field)s “%(value)s” is outside the years 1900 to 2999.")
        for day in self.raw.days:
            start, end = (
                self.moment(
                    text,
                    zone,
                    unreadable % {"position": day.position, "field": name, "value": text},
                    out_of_range % {"position": day.position, "field": name, "value": text},
                )
                if text
                else None
                for text, name in ((day.start, "day_start"), (day.end, "day_end"))
            )
            if (day.start and start is None) or (day.end and end is None):
                continue
            try:
                local_date = (
                    date.fromisoformat(day.date) if day.date else (start.astimezone(zone).date() if start else None)
                )
            except ValueError:
                message = _("Day %(position)s: the date “%(value)s” is not a date (YYYY-MM-DD).")
                self.errors.append(message % {"position": day.position, "value": day.date})
                continue
            if local_date is None:
                self.errors.append(_("Day %(position)s has no date.") % {"position": day.position})
                continue
            if not 1900 <= local_date.year <= 2999:
                message = out_of_range % {"position": day.position, "field": "date", "value": local_date.isoformat()}
                self.errors.append(message)
                continue
            start = start or datetime.combine(local_date, time.min, tzinfo=zone)
            end = end or datetime.combine(local_date + timedelta(days=1), time.min, tzinfo=zone)
            if end <= start:
                self.errors.append(_("Day %(position)s ends before it starts.") % {"position": day.position})
                continue
            days[day.position] = (local_date, start, end)
        return days

    def conference_dates(self, zone: zoneinfo.ZoneInfo) -> list[date]:
        dates = []
        unreadable = _("The conference's %(field)s “%(value)s” is not a date and time (ISO 8601).")
        out_of_range = _("The conference's %(field)s “%(value)s” is outside the years 1900 to 2999.")
        for name in ("start", "end"):
            text = self.raw.conference[name]
            values = {"field": name, "value": text}
            moment = self.moment(text, zone, unreadable % values, out_of_range % values) if text else None
            if moment is not None:
                dates.append(moment.astimezone(zone).date())
        if not dates:
            raise FrabImportError(self.errors + [_("The conference has no days and no start date.")])
        return sorted(dates)

    def capacity(self, room: str, text: str) -> int | None:
        """The seats of ``room`` given as ``text``: None (with a note) when it is not a whole
        number of seats; an error above ``MAX_ROOM_CAPACITY``."""
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0 or value != value.to_integral_value():
            message = _("Room “%(room)s”: the capacity “%(value)s” is not a number of seats and was ignored.")
            self.notes["rooms"].append(message % {"room": room, "value": text[:NAME_LENGTH]})
            return None
        if value > MAX_ROOM_CAPACITY:
            message = _("Room “%(room)s”: the capacity %(value)s is more than the %(limit)s seats a room may have.")
            limit = number_format(MAX_ROOM_CAPACITY, force_grouping=True)
            self.errors.append(message % {"room": room, "value": text[:NAME_LENGTH], "limit": limit})
            return None
        return int(value)

    def rooms(self) -> list[tuple[str, int | None]]:
        rooms: dict[str, tuple[str, int | None]] = {}
        limit = _max_length(Room, "name")
        for room in self.raw.rooms:
            if not room.name:
                if room.declared:
                    self.skipped["rooms"].append(_("A room without a name in the conference's list of rooms."))
                continue
            name = self.truncated(room.name, limit, "rooms")
            capacity = self.capacity(name, room.capacity) if room.capacity else None
            known = rooms.get(name.casefold())
            if known is None:
                rooms[name.casefold()] = (name, capacity)
            elif capacity is not None:
                rooms[name.casefold()] = (known[0], capacity)
        ignored = Counter(key for room in self.raw.rooms for key in room.ignored)
        for key, count in sorted(ignored.items()):
            message = ngettext(
                "The field “%(field)s” of %(count)s room was ignored (rooms here have no such field).",
                "The field “%(field)s” of %(count)s rooms was ignored (rooms here have no such field).",
                count,
            )
            self.notes["rooms"].append(message % {"field": key, "count": count})
        return list(rooms.values())

    def event(self, event: RawEvent, day, span, zone, known_rooms, persons) -> EventPlan | None:
        values = event.values
        label = f"{values['guid'] or values['id'] or '?'} “{values['title']}”"
        errors_before = len(self.errors)
        guid = None
        if values["guid"]:
            try:
                guid = UUID(values["guid"])
            except ValueError:
                self.event_error(label, _("the guid “%(guid)s” is not a UUID.") % {"guid": values["guid"]})
        elif values["id"]:
            guid = derived_guid(self.raw.conference["acronym"], "event", values["id"])
        else:
            self.event_error(label, _("it has neither a guid nor an id."))
        if not values["title"]:
            self.event_error(label, _("it has no title."))
        room = values["room"] or event.container_room
        if not room:
            self.event_error(label, _("it has no room."))
        elif room[: _max_length(Room, "name")].casefold() not in known_rooms:
            self.event_error(label, _("its room “%(room)s” is not one of the file's rooms.") % {"room": room})
        start = self.event_start(label, values, day, zone)
        length = self.event_length(label, values, start, zone)
        if start is not None and not span[0] <= start < span[1]:
            problem = _("it starts at %(start)s, outside the conference's days (%(first)s to %(last)s).")
            self.event_error(
                label,
                problem
                % {
                    "start": start.isoformat(),
                    "first": span[0].astimezone(zone).isoformat(),
                    "last": span[1].astimezone(zone).isoformat(),
                },
            )
        person_guids = self.event_persons(label, event, persons)
        if len(self.errors) > errors_before:
            return None
        title = self.truncated(values["title"], _max_length(Session, "title"), "sessions")
        return EventPlan(
            guid=guid,
            label=label,
            title=title,
            slug=self.event_slug(label, values, title, guid),
            given_slug=values["slug"],
            kind=kind_for_type(values["type"]),
            track=values["track"][: _max_length(Theme, "title")],
            room=known_rooms[room[: _max_length(Room, "name")].casefold()],
            start=start.astimezone(UTC),  # as stored: PostgreSQL refuses offsets past ±15:59 ("+23:59")
            end=(start + length).astimezone(UTC),
            objective=self.truncated(strip_markup(values["abstract"]), LONG_TEXT_MAX_CHARS, "sessions"),
            context=self.truncated(strip_markup(values["description"]), LONG_TEXT_MAX_CHARS, "sessions"),
            persons=person_guids,
        )

    def event_moment(self, label: str, name: str, text: str, zone: zoneinfo.ZoneInfo) -> datetime | None:
        """The event's ``date`` or ``end`` (``name``) read by ``moment``, its errors naming the event."""
        unreadable = {
            "date": _("the date “%(value)s” is not a date and time (ISO 8601)."),
            "end": _("the end “%(value)s” is not a date and time (ISO 8601)."),
        }[name]
        out_of_range = _("the %(field)s “%(value)s” is outside the years 1900 to 2999.")
        problems = [
            _("Event %(event)s: %(problem)s") % {"event": label, "problem": problem % {"field": name, "value": text}}
            for problem in (unreadable, out_of_range)
        ]
        return self.moment(text, zone, *problems)

    def event_start(self, label, values, day, zone) -> datetime | None:
        if values["date"]:
            return self.event_moment(label, "date", values["date"], zone)
        clock = CLOCK.match(values["start"])
        if not clock:
            if values["start"]:
                self.event_error(label, _("the start “%(value)s” is not a time (HH:MM).") % {"value": values["start"]})
            else:
                self.event_error(label, _("it has no date and no start time."))
            return None
        hour, minute, second = (int(part or 0) for part in clock.groups())
        try:
            start = datetime.combine(day[0], time(hour, minute, second), tzinfo=zone)
        except ValueError:
            self.event_error(label, _("the start “%(value)s” is not a time (HH:MM).") % {"value": values["start"]})
            return None
        return start + timedelta(days=1) if start < day[1] else start

    def event_length(self, label, values, start, zone) -> timedelta | None:
        text = values["duration"]
        if not text and values["end"]:
            end = self.event_moment(label, "end", values["end"], zone)
            if end is None:
                return None
            length = end - start if start is not None else timedelta(minutes=1)
        elif not text:
            self.event_error(label, _("it has no duration."))
            return None
        else:
            match = DURATION.match(text)
            if not match:
                problem = _("the duration “%(value)s” is not hours and minutes (HH:MM).")
                self.event_error(label, problem % {"value": text})
                return None
            sign, hours, minutes, seconds = match.groups()
            if int(minutes) > 59 or int(seconds or 0) > 59:
                problem = _("the duration “%(value)s” has more than 59 minutes or seconds (write 01:30, not 00:90).")
                self.event_error(label, problem % {"value": text})
                return None
            length = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))
            if sign:
                self.event_error(label, _("the duration “%(value)s” is negative.") % {"value": text})
                return None
        if length <= timedelta(0):
            value = text or values["end"]
            self.event_error(
                label, _("the duration “%(value)s” is not positive: an event must last.") % {"value": value}
            )
            return None
        return length

    def event_persons(self, label, event: RawEvent, persons: dict[UUID, PersonPlan]) -> list[UUID]:
        guids: list[UUID] = []
        acronym = self.raw.conference["acronym"]
        if len(event.persons) > MAX_NUMBER:
            problem = _("it lists %(count)s persons; a session's agenda item holds at most %(limit)s.")
            self.event_error(label, problem % {"count": len(event.persons), "limit": MAX_NUMBER})
            return guids
        for person in event.persons:
            if not person.name:
                message = _("Event %(event)s: a person without a name (id “%(id)s”) was skipped.")
                self.skipped["people"].append(message % {"event": label, "id": person.id})
                continue
            if person.guid:
                try:
                    guid = UUID(person.guid)
                except ValueError:
                    problem = _("the guid “%(guid)s” of %(name)s is not a UUID.")
                    self.event_error(label, problem % {"guid": person.guid, "name": person.name})
                    continue
            else:
                guid = derived_person_guid(acronym, person.id, person.name)
            if guid in guids:
                message = _("Event %(event)s: %(name)s is listed twice; listed once.")
                self.skipped["people"].append(message % {"event": label, "name": person.name})
                continue
            guids.append(guid)
            name = self.truncated(person.name, _max_length(Person, "name"), "people")
            known = persons.get(guid)
            if known is None:
                persons[guid] = PersonPlan(guid=guid, name=name, biography=_without_markup(person.biography))
            elif known.name != name:
                message = _("%(guid)s is named both “%(first)s” and “%(other)s”: the first name is kept.")
                self.notes["people"].append(message % {"guid": guid, "first": known.name, "other": name})
            elif known.biography is None:
                known.biography = _without_markup(person.biography)
        return guids

    def event_slug(self, label: str, values: dict, title: str, guid: UUID) -> str:
        given = session_slug_from_event(values["slug"], acronym=self.raw.conference["acronym"], event_id=values["id"])
        limit = _max_length(Session, "slug")
        slug = slugify(given).lower()[:limit].strip("-_")
        if not slug:
            slug = slugify(title)[:limit].strip("-_") or f"event-{values['id'] or guid.hex[:12]}"
        if given and slug != given:
            message = _(
                "Event %(event)s: the slug “%(given)s” is stored as “%(slug)s” (lower-case letters, digits, - and _)."
            )
            self.notes["sessions"].append(message % {"event": label, "given": given, "slug": slug})
        return slug

    def ignored_notes(self) -> None:
        """Notes naming the fields with content that no model here keeps, with how often."""
        for key, count in sorted(Counter(key for event in self.raw.events for key in event.ignored).items()):
            message = ngettext(
                "The field “%(field)s” of %(count)s event was ignored (sessions here have no such field).",
                "The field “%(field)s” of %(count)s events was ignored (sessions here have no such field).",
                count,
            )
            self.notes["sessions"].append(message % {"field": key, "count": count})
        people = Counter(key for event in self.raw.events for person in event.persons for key in person.ignored)
        for key, count in sorted(people.items()):
            message = ngettext(
                "The field “%(field)s” of %(count)s person was ignored (people here have no such field).",
                "The field “%(field)s” of %(count)s persons was ignored (people here have no such field).",
                count,
            )
            self.notes["people"].append(message % {"field": key, "count": count})
        for key in self.raw.ignored:
            message = _("The conference's “%(field)s” was ignored (forums here have no such field).")
            self.notes["forum"].append(message % {"field": key})

    def cleaned_note(self) -> None:
        """A note naming the first ``CLEANED_SHOWN`` texts that lost control characters."""
        cleaned = list(dict.fromkeys(self.raw.cleaned))
        if not cleaned:
            return
        message = ngettext(
            "Invisible control characters (other than tabs and line breaks) were removed from %(count)s text: "
            "%(texts)s.",
            "Invisible control characters (other than tabs and line breaks) were removed from %(count)s texts: "
            "%(texts)s.",
            len(cleaned),
        )
        shown = "; ".join(cleaned[:CLEANED_SHOWN])
        if len(cleaned) > CLEANED_SHOWN:
            shown += "; " + _("and %(count)s more") % {"count": len(cleaned) - CLEANED_SHOWN}
        self.notes["forum"].append(message % {"count": len(cleaned), "texts": shown})

    def check_forum(self, title: str, slug: str, start_date: date, end_date: date, zone_name: str) -> None:
        """The forum's own rules on the dates (years 1900–2999, end not before start, at most
        ``MAX_FORUM_DAYS``), checked on an unsaved copy so that sessions are not compared
        (the importer checks the saved forum with them)."""
        candidate = Forum(
            edition=1,
            title=title,
            slug=slug,
            city="-",
            country="-",
            start_date=start_date,
            end_date=end_date,
            time_zone=zone_name,
        )
        try:
            candidate.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            message = _("The conference's days (%(first)s to %(last)s): %(problem)s")
            for problems in error.message_dict.values():
                for problem in problems:
                    self.errors.append(
                        message % {"first": start_date.isoformat(), "last": end_date.isoformat(), "problem": problem}
                    )


def plan_schedule(raw: RawSchedule, *, forum_time_zone: str | None = None) -> SchedulePlan:
    """Check ``raw`` and return what the import writes (``SchedulePlan``).

    ``forum_time_zone`` is the zone of the existing forum the file updates, if any: it is
    kept when the file names no IANA zone. Pure: no database query. Raises
    ``FrabImportError`` listing every problem found: no acronym, unreadable dates or
    times or ones outside the years 1900–2999, an event without a room or in a room the
    file does not name, a duplicate or malformed guid, a duration that is not positive or
    not HH:MM, an event outside the conference's days or ending beyond what a forum may
    last, an event with more than 999 persons, a room with more than
    ``MAX_ROOM_CAPACITY`` seats, days the forum could not hold. See the module docstring
    for the rules.
    """
    return _Planner(raw, forum_time_zone).plan()
