"""Checking a read frab schedule and turning it into what the import writes.

``plan_schedule`` takes the plain records of ``sessions_app.frab.reader`` and checks
every value without touching the database. Everything wrong is collected and raised
together as one ``FrabImportError``, each message naming the record and the problem.

Rules (``../shared/schemas/schedule.schema.json`` and ``schedule.xml.xsd`` describe the
fields; where real files stray from them the rule says what is accepted):

- The conference ``acronym`` names the forum: its slug is ``identifiers.slug_for_acronym``.
- Time zone: ``time_zone_name`` when it is an IANA name; otherwise the first UTC offset
  of the file's dates as a fixed ``Etc/GMT±N`` zone (UTC when the offset is not whole
  hours, or when there is none). A date without an offset is read in that zone; a
  date with one is kept as its offset says (a note tells when offsets and
  ``time_zone_name`` disagree, as in pretalx's democon).
- Days: ``date`` (else the local date of ``day_start``), ``day_start`` and ``day_end``
  (else local midnight to midnight). The forum runs from the first day's date to the
  last day's date, or to the last event's start date when an event starts after it
  (frab days run past midnight); the forum's own rules apply (at most 31 days, years
  1900–2999).
- Events: a UUID ``guid`` (derived from the acronym and ``id`` when missing), unique in
  the file; a title; a room (the event's ``room``, else the room it is listed under;
  it must be one of the file's rooms); a start (``date``, else the day's date and
  ``start``, the next calendar day when earlier than the day's start) inside the
  conference's days (first ``day_start`` to last ``day_end``); a positive
  ``duration`` (``HH:MM`` or ``HH:MM:SS``; ``end`` when there is no duration). Sessions
  may cross midnight.
- Persons: ``name`` or ``public_name``; ``guid`` when given (it must be a UUID), else
  ``identifiers.derived_person_guid``. A person without a name is skipped.
"""

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forum.models import Forum, Person, Room
from sessions_app.frab.identifiers import (
    derived_guid,
    derived_person_guid,
    kind_for_type,
    session_slug_from_event,
    slug_for_acronym,
)
from sessions_app.frab.reader import FrabImportError, RawEvent, RawSchedule
from sessions_app.models import Session, Theme

DURATION = re.compile(r"^(-)?\s*(\d{1,4}):(\d{1,2})(?::(\d{1,2}))?$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
KINDS = ("forum", "rooms", "days", "themes", "sessions", "people")
"""The kinds of records the import reports on, in the order the report lists them."""


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


@dataclass
class PersonPlan:
    """A person to find (by ``guid``) or create."""

    guid: UUID
    name: str
    biography: str | None


@dataclass
class EventPlan:
    """A session to find (by ``guid``) or create, with its values checked."""

    guid: UUID
    label: str
    title: str
    slug: str
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
    events and persons, and the notes and skipped records per kind (``KINDS``)."""

    format: str
    version: str
    slug: str
    title: str
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


class _Planner:
    """Builds a ``SchedulePlan`` from a ``RawSchedule``, collecting every error."""

    def __init__(self, raw: RawSchedule):
        self.raw = raw
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
        dates = sorted({day for day, _start, _end in days.values()})
        if not dates:
            dates = self.conference_dates(zone)
        start_date, end_date = dates[0], max([dates[-1], *(e.start.astimezone(zone).date() for e in events)])
        if end_date > dates[-1]:
            message = _("The forum's last date is %(date)s, when the last event starts (after the last day's date).")
            self.notes["days"].append(message % {"date": end_date.isoformat()})
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
        if name and name in zoneinfo.available_timezones():
            self.check_offsets(zoneinfo.ZoneInfo(name), name)
            return name
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
            if moment is not None and moment.utcoffset() != moment.astimezone(zone).utcoffset():
                message = _(
                    "The dates carry the UTC offset %(offset)s, which is not %(zone)s's: each time is kept as "
                    "its offset says and shown in %(zone)s."
                )
                self.notes["forum"].append(message % {"offset": _offset_label(moment.utcoffset()), "zone": name})
                return

    def days(self, zone: zoneinfo.ZoneInfo) -> dict[int, tuple[date, datetime, datetime]]:
        days = {}
        for day in self.raw.days:
            start = _moment(day.start, zone) if day.start else None
            end = _moment(day.end, zone) if day.end else None
            for text, value, name in ((day.start, start, "day_start"), (day.end, end, "day_end")):
                if text and value is None:
                    message = _("Day %(position)s: the %(field)s “%(value)s” is not a date and time (ISO 8601).")
                    self.errors.append(message % {"position": day.position, "field": name, "value": text})
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
            start = start or datetime.combine(local_date, time.min, tzinfo=zone)
            end = end or datetime.combine(local_date + timedelta(days=1), time.min, tzinfo=zone)
            if end <= start:
                self.errors.append(_("Day %(position)s ends before it starts.") % {"position": day.position})
                continue
            days[day.position] = (local_date, start, end)
        return days

    def conference_dates(self, zone: zoneinfo.ZoneInfo) -> list[date]:
        dates = []
        for name in ("start", "end"):
            moment = _moment(self.raw.conference[name], zone) if self.raw.conference[name] else None
            if moment is not None:
                dates.append(moment.astimezone(zone).date())
        if not dates:
            raise FrabImportError(self.errors + [_("The conference has no days and no start date.")])
        return sorted(dates)

    def rooms(self) -> list[tuple[str, int | None]]:
        rooms: dict[str, tuple[str, int | None]] = {}
        limit = _max_length(Room, "name")
        for room in self.raw.rooms:
            if not room.name:
                if room.declared:
                    self.skipped["rooms"].append(_("A room without a name in the conference's list of rooms."))
                continue
            name = self.truncated(room.name, limit, "rooms")
            capacity = None
            if room.capacity:
                try:
                    capacity = int(float(room.capacity))
                except ValueError:
                    capacity = -1
                if capacity < 0:
                    message = _("Room “%(room)s”: the capacity “%(value)s” is not a number of seats and was ignored.")
                    self.notes["rooms"].append(message % {"room": name, "value": room.capacity})
                    capacity = None
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
            kind=kind_for_type(values["type"]),
            track=values["track"][: _max_length(Theme, "title")],
            room=known_rooms[room[: _max_length(Room, "name")].casefold()],
            start=start,
            end=start + length,
            objective=values["abstract"],
            context=values["description"],
            persons=person_guids,
        )

    def event_start(self, label, values, day, zone) -> datetime | None:
        if values["date"]:
            start = _moment(values["date"], zone)
            if start is None:
                problem = _("the date “%(value)s” is not a date and time (ISO 8601).")
                self.event_error(label, problem % {"value": values["date"]})
            return start
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
            end = _moment(values["end"], zone)
            if end is None:
                self.event_error(
                    label, _("the end “%(value)s” is not a date and time (ISO 8601).") % {"value": values["end"]}
                )
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
                persons[guid] = PersonPlan(guid=guid, name=name, biography=person.biography)
            elif known.name != name:
                message = _("%(guid)s is named both “%(first)s” and “%(other)s”: the first name is kept.")
                self.notes["people"].append(message % {"guid": guid, "first": known.name, "other": name})
            elif known.biography is None:
                known.biography = person.biography
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

    def check_forum(self, title: str, slug: str, start_date: date, end_date: date, zone_name: str) -> None:
        """The forum's own rules on the dates (years 1900–2999, end not before start, at most
        ``MAX_FORUM_DAYS``), checked on an unsaved copy so that sessions are not compared:
        imported sessions may run past the last day's midnight."""
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


def plan_schedule(raw: RawSchedule) -> SchedulePlan:
    """Check ``raw`` and return what the import writes (``SchedulePlan``).

    Pure: no database query. Raises ``FrabImportError`` listing every problem found:
    no acronym, unreadable dates or times, an event without a room or in a room the file
    does not name, a duplicate or malformed guid, a duration that is not positive, an
    event outside the conference's days, days the forum could not hold. See the module
    docstring for the rules.
    """
    return _Planner(raw).plan()
