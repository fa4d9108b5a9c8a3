"""A forum's programme as a frab schedule: ``schedule.json`` and ``schedule.xml``.

Both files follow the c3voc schemas in ``../shared/schemas/`` (``schedule.schema.json``,
JSON Schema draft-06, and ``schedule.xml.xsd``), the format pretalx and frab publish:
a conference, its days (one per calendar day in the forum's time zone, with UTC
offsets), each day's rooms and each room's events.

Decisions where the format leaves room:

- ``version`` is the number of the forum's latest ``ProgrammeRelease`` as a string, or
  ``UNRELEASED_VERSION`` ("0 (unreleased)") while nothing has been released. The
  events are the programme as that release has it (``sessions_app.published``): the
  sessions it holds, at their released times and rooms; before the first release, the
  programme as it stands.
- Cancelled sessions are left out, as pretalx does (readers such as Giggity have no
  "cancelled" mark and would list them as on).
- A session without a room is listed in ``placeholder_room_name`` (the forum's venue,
  or "Room to be announced"): every event needs a room in both schemas.
- ``persons`` are the people named in the session's agenda (every speaker role with a
  person, in agenda order, each once); named groups are not people and are left out.
  Each carries ``guid`` (``Person.guid``), ``id`` (``Person.pk``) and ``name``, the shape
  of the schema's ``PretalxPerson`` (adding ``public_name`` would match ``FrabPerson``
  too, which ``oneOf`` forbids).
- ``type`` is "plenary" or "parallel" (``identifiers.EVENT_TYPES``); ``track`` the
  session's theme; ``language`` the active language; ``abstract`` the objective;
  ``description`` the context followed by the methodology, key questions, expected
  result and footnotes (``[^N]: citation``) as plain text (``event_description``).
- Days run from the forum's first to its last date (widened to any session outside
  them); a day starts at local midnight and ends at the next, or later when one of its
  sessions runs past midnight. ``timeslot_duration`` is the largest step (at most an
  hour) on which every session starts and ends.
- ``time_zone_name`` is left out of the JSON when the forum's zone does not match the
  schema's pattern (``Etc/GMT+5``); the offsets in every date still say it.
- Control characters that XML 1.0 cannot carry (pasted into a title in the admin) are
  left out of ``schedule.xml`` (``reader.plain_text``); the JSON escapes them.
"""

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from uuid import NAMESPACE_URL, uuid5

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from lxml import etree

from forum.models import Forum, Person, Room
from sessions_app.frab.identifiers import EVENT_TYPES, GUID_NAMESPACE, acronym_for_slug, event_slug
from sessions_app.frab.reader import plain_text
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SpeakerRole
from sessions_app.published import public_schedule

UNRELEASED_VERSION = "0 (unreleased)"
"""The schedule ``version`` of a forum that has no ``ProgrammeRelease`` yet."""

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
"""The ``$id`` of the JSON schema, given as the document's ``$schema``."""

TIME_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
"""The JSON schema's pattern for ``time_zone_name`` (searched, as JSON Schema does)."""

XML_EVENT_TAGS = "date start duration room slug url title subtitle track type language abstract description".split()
"""The text elements of an ``<event>``, in the XSD's order (before ``<persons>`` and ``<links>``)."""

AbsoluteUrl = Callable[[str], str]
"""Turns a site path (from ``reverse``) into an absolute URL, e.g. ``request.build_absolute_uri``."""


def frab_prefetches() -> list[Prefetch]:
    """The prefetches of what ``session_people`` and ``event_description`` read: ``frab_items``
    (agenda items in order, each with ``frab_roles``, its speaker roles that name a person,
    person joined), ``key_question_list`` and ``reference_list``; four queries."""
    roles = SpeakerRole.objects.filter(person__isnull=False).select_related("person").order_by("order")
    items = AgendaItem.objects.order_by("order").prefetch_related(
        Prefetch("speaker_roles", roles, to_attr="frab_roles")
    )
    return [
        Prefetch("agenda_items", items, to_attr="frab_items"),
        Prefetch("key_questions", KeyQuestion.objects.order_by("order"), to_attr="key_question_list"),
        Prefetch("references", Reference.objects.order_by("number"), to_attr="reference_list"),
    ]


def schedule_sessions(forum: Forum) -> list[Session]:
    """The forum's sessions as released (``published.public_schedule``) that are not
    cancelled, in time order, with theme and room joined and ``frab_prefetches``: six
    queries whatever the programme's size (seven once the forum has a release: its rooms too)."""
    sessions = public_schedule(forum).apply(
        Session.objects.filter(forum=forum)
        .select_related("theme", "room")
        .prefetch_related(*frab_prefetches())
        .order_by("start", "title", "pk")
    )
    return [session for session in sessions if not session.is_cancelled]


def placeholder_room_name(forum: Forum) -> str:
    """The room under which sessions without a room are listed: the forum's venue, or
    "Room to be announced" (in the active language) when it has none."""
    return forum.venue or _("Room to be announced")


def room_guid(forum_slug: str, room_name: str) -> str:
    """A stable guid for a room (rooms have none): ``uuid5`` of the forum slug and the
    room name case-folded (``identifiers.GUID_NAMESPACE``)."""
    return str(uuid5(NAMESPACE_URL, f"{GUID_NAMESPACE}:{forum_slug}:room:{room_name.casefold()}"))


def event_description(session: Session) -> str:
    """The session's concept note as plain text: the context (footnote markers ``[^N]``
    kept), then "Methodology", "Key questions" (numbered), "Expected result" and the
    footnotes as ``[^N]: citation`` lines, blank lines between the parts; only the
    context when the rest is empty. Needs ``key_question_list`` and ``reference_list``."""
    parts = [session.context.strip()]
    if session.methodology.strip():
        parts.append(f"{_('Methodology')}\n{session.methodology.strip()}")
    if session.key_question_list:
        questions = "\n".join(f"{question.order}. {question.text.strip()}" for question in session.key_question_list)
        parts.append(f"{_('Key questions')}\n{questions}")
    if session.expected_result.strip():
        parts.append(f"{_('Expected result')}\n{session.expected_result.strip()}")
    if session.reference_list:
        parts.append("\n".join(f"[^{ref.number}]: {ref.citation.strip()}" for ref in session.reference_list))
    return "\n\n".join(part for part in parts if part)


def hours_minutes(length: timedelta) -> str:
    """``length`` as the format's ``HH:MM`` duration, e.g. 2 h 30 min → "02:30"."""
    minutes = int(length.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).astimezone(zone)


def _timeslot(sessions: list[Session], zone: tzinfo) -> str:
    step = 60
    for session in sessions:
        for moment in (session.start.astimezone(zone), session.end.astimezone(zone)):
            step = math.gcd(step, moment.hour * 60 + moment.minute)
    return hours_minutes(timedelta(minutes=step))


def session_people(session: Session) -> list[Person]:
    """The people named in the session's agenda, in agenda order, each once (needs ``frab_prefetches``)."""
    people = {}
    for item in session.frab_items:
        for role in item.frab_roles:
            people.setdefault(role.person_id, role.person)
    return list(people.values())


def _persons(session: Session, forum: Forum, absolute_url: AbsoluteUrl) -> list[dict]:
    return [
        {
            "guid": str(person.guid),
            "id": person.pk,
            "name": person.name,
            "biography": person.bio,
            "url": absolute_url(
                reverse("forum:speaker-detail", kwargs={"forum_slug": forum.slug, "person_slug": person.slug})
            ),
        }
        for person in session_people(session)
    ]


def _event(session, *, forum, zone, room_name, slug, language, absolute_url) -> dict:
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    url = reverse("sessions_app:session-detail", kwargs={"forum_slug": forum.slug, "session_slug": session.slug})
    return {
        "guid": str(session.guid),
        "id": session.pk,
        "date": start.isoformat(timespec="seconds"),
        "start": start.strftime("%H:%M"),
        "end": end.isoformat(timespec="seconds"),
        "duration": hours_minutes(session.end - session.start),
        "room": room_name,
        "slug": slug,
        "url": absolute_url(url),
        "title": session.title,
        "subtitle": "",
        "track": session.theme.title if session.theme else None,
        "type": EVENT_TYPES[session.kind],
        "language": language,
        "abstract": session.objective,
        "description": event_description(session),
        "persons": _persons(session, forum, absolute_url),
        "links": [],
    }


def frab_schedule(forum: Forum, *, absolute_url: AbsoluteUrl) -> dict:
    """The forum's programme as a ``schedule.json`` document (a dict ready for ``json.dumps``).

    Inputs: a forum (published or not: the caller decides who may see it) and a function
    making absolute URLs of site paths. Times are in ``forum.time_zone`` with their UTC
    offsets; texts in the active language. Nine queries whatever the programme's size
    (ten once the forum has a release).
    See the module docstring for the format's choices.
    """
    zone = forum.tzinfo
    acronym = acronym_for_slug(forum.slug)
    language = get_language() or "en"
    sessions = schedule_sessions(forum)
    rooms: list[Room] = list(forum.rooms.order_by("name"))
    room_names = [room.name for room in rooms]
    capacities = {room.name: room.capacity for room in rooms}
    placeholder = placeholder_room_name(forum)
    placeholder = next((name for name in room_names if name.casefold() == placeholder.casefold()), placeholder)
    if placeholder not in room_names and any(session.room is None for session in sessions):
        room_names.append(placeholder)
    # A released room renamed or deleted since is listed under its released name.
    room_names.extend(sorted({session.room.name for session in sessions if session.room} - set(room_names)))
    release = forum.releases.order_by("-number").values_list("number", flat=True).first()

    local_dates = [session.start.astimezone(zone).date() for session in sessions]
    first, last = min([forum.start_date, *local_dates]), max([forum.end_date, *local_dates])
    days = []
    slugs: set[str] = set()
    for index in range((last - first).days + 1):
        day = first + timedelta(days=index)
        day_sessions = [session for session, local in zip(sessions, local_dates, strict=True) if local == day]
        day_start = _local_midnight(day, zone)
        day_end = max([_local_midnight(day + timedelta(days=1), zone), *(s.end.astimezone(zone) for s in day_sessions)])
        by_room: dict[str, list[dict]] = {name: [] for name in room_names}
        for session in day_sessions:
            room_name = session.room.name if session.room else placeholder
            slug = event_slug(acronym, session.slug)
            if slug in slugs:
                slug = f"{slug}-{session.pk}"
            slugs.add(slug)
            event = _event(
                session,
                forum=forum,
                zone=zone,
                room_name=room_name,
                slug=slug,
                language=language,
                absolute_url=absolute_url,
            )
            by_room[room_name].append(event)
        days.append(
            {
                "index": index + 1,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(timespec="seconds"),
                "day_end": day_end.isoformat(timespec="seconds"),
                "rooms": by_room,
            }
        )
    conference = {
        "acronym": acronym,
        "title": forum.title,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": _timeslot(sessions, zone),
        "time_zone_name": forum.time_zone,
        "url": absolute_url(reverse("forum:forum-home", kwargs={"forum_slug": forum.slug})),
        "tracks": [{"name": theme.title} for theme in forum.themes.order_by("order", "title")],
        "rooms": [
            {"name": name, "guid": room_guid(forum.slug, name), "capacity": capacities.get(name)} for name in room_names
        ],
        "days": days,
    }
    if not TIME_ZONE_NAME.search(forum.time_zone):
        del conference["time_zone_name"]
    return {
        "$schema": SCHEMA_URL,
        "schedule": {
            "version": str(release) if release is not None else UNRELEASED_VERSION,
            "conference": conference,
        },
    }


def frab_schedule_json(forum: Forum, *, absolute_url: AbsoluteUrl) -> bytes:
    """``frab_schedule`` as UTF-8 JSON, indented (``schedule.schema.json``)."""
    return json.dumps(frab_schedule(forum, absolute_url=absolute_url), ensure_ascii=False, indent=2).encode()


def _xml_safe(value) -> str:
    """``value`` as text XML 1.0 can carry: without the control characters an organizer may
    have pasted into a title (``reader.CONTROL_CHARACTERS``; lxml refuses them)."""
    return plain_text(str(value))


def _text(parent: etree._Element, tag: str, value, **attributes) -> etree._Element:
    element = etree.SubElement(parent, tag, {name: _xml_safe(v) for name, v in attributes.items()})
    element.text = "" if value is None else _xml_safe(value)
    return element


def frab_schedule_xml(forum: Forum, *, absolute_url: AbsoluteUrl, schedule_url: str | None = None) -> bytes:
    """``frab_schedule`` as pretty-printed UTF-8 XML (``schedule.xml.xsd``): ``<url>``
    (``schedule_url``, when given), ``<version>``, ``<conference>``, then one ``<day>`` per
    day with every room and its ``<event>``s. A missing track is an empty ``<track/>``."""
    data = frab_schedule(forum, absolute_url=absolute_url)["schedule"]
    conference = data["conference"]
    root = etree.Element("schedule")
    if schedule_url:
        _text(root, "url", schedule_url)
    _text(root, "version", data["version"])
    head = etree.SubElement(root, "conference")
    for tag in ("acronym", "title", "start", "end"):
        _text(head, tag, conference[tag])
    _text(head, "days", conference["daysCount"])
    _text(head, "timeslot_duration", conference["timeslot_duration"])
    _text(head, "url", conference["url"])
    _text(head, "time_zone_name", forum.time_zone)
    for track in conference["tracks"]:
        etree.SubElement(head, "track", name=_xml_safe(track["name"]))
    guids = {room["name"]: room["guid"] for room in conference["rooms"]}
    for day in conference["days"]:
        day_element = etree.SubElement(
            root, "day", index=str(day["index"]), date=day["date"], start=day["day_start"], end=day["day_end"]
        )
        for room_name, events in day["rooms"].items():
            room_element = etree.SubElement(day_element, "room", name=_xml_safe(room_name), guid=guids[room_name])
            for event in events:
                element = etree.SubElement(room_element, "event", guid=event["guid"], id=str(event["id"]))
                for tag in XML_EVENT_TAGS:
                    _text(element, tag, event[tag])
                persons = etree.SubElement(element, "persons")
                for person in event["persons"]:
                    _text(persons, "person", person["name"], id=person["id"], guid=person["guid"])
                etree.SubElement(element, "links")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
