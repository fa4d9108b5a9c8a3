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
from collections import defaultdict
from collections.abc import Callable, Iterable
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
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SpeakerRole, Theme
from sessions_app.published import public_schedule
from sessions_app.reads import in_language, language_columns, slug_urls, translated_texts

UNRELEASED_VERSION = "0 (unreleased)"
"""The schedule ``version`` of a forum that has no ``ProgrammeRelease`` yet."""

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
"""The ``$id`` of the JSON schema, given as the document's ``$schema``."""

TIME_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
"""The JSON schema's pattern for ``time_zone_name`` (searched, as JSON Schema does)."""

XML_EVENT_TAGS = "date start duration room slug url title subtitle track type language abstract description".split()
"""The text elements of an ``<event>``, in the XSD's order (before ``<persons>`` and ``<links>``)."""

XML_OWN_VALUES = frozenset("date start duration slug url type language".split())
"""The ``XML_EVENT_TAGS`` whose values this module writes itself (dates, durations, slugs
of ``[a-z0-9_-]``, URLs from ``reverse``, fixed words): they carry no control character."""

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


def schedule_sessions(forum: Forum, *, rooms: Iterable[Room], themes: Iterable[Theme]) -> list[Session]:
    """The forum's sessions as released (``published.public_schedule``) that are not
    cancelled, in time order, each given its room and theme from ``rooms`` and
    ``themes`` (the forum's, already read: cheaper than joining them to every session):
    two queries whatever the programme's size (three once the forum has a release: its
    rooms too). A room or theme missing from them is read when used. What the export
    prints of their agendas, key questions and references is read apart
    (``ScheduleTexts``)."""
    rooms_by_id = {room.pk: room for room in rooms}
    themes_by_id = {theme.pk: theme for theme in themes}
    sessions = list(Session.objects.filter(forum=forum).order_by("start", "title", "pk"))
    for session in sessions:
        if session.room_id in rooms_by_id:
            session.room = rooms_by_id[session.room_id]
        if session.theme_id in themes_by_id:
            session.theme = themes_by_id[session.theme_id]
    return [session for session in public_schedule(forum).apply(sessions) if not session.is_cancelled]


class ScheduleTexts:
    """What the export prints of the agendas, key questions and references of
    ``sessions`` (of one forum), read as plain values rather than model instances (the
    same rows ``frab_prefetches`` reads, four queries whatever their number):

    - ``people[session_id]``: the people named in the session's agenda, in agenda order,
      each once (as ``session_people``), as ``(guid, id, name, bio, slug)``;
    - ``questions[session_id]``: ``(order, text)`` of its key questions in order, text in
      the active language (modeltranslation's fallback applies, as on the model);
    - ``references[session_id]``: ``(number, citation)`` of its references in order.
    """

    def __init__(self, sessions: Iterable[Session]):
        ids = [session.pk for session in sessions]
        items = defaultdict(list)
        agenda = AgendaItem.objects.rewrite(False).filter(session_id__in=ids).order_by("session_id", "order")
        for item_id, session_id in agenda.values_list("pk", "session"):
            items[session_id].append(item_id)
        roles = defaultdict(list)
        for item_id, *person in (
            SpeakerRole.objects.filter(agenda_item__session_id__in=ids, person__isnull=False)
            .order_by("agenda_item_id", "order")
            .values_list("agenda_item_id", "person__guid", "person_id", "person__name", "person__bio", "person__slug")
        ):
            roles[item_id].append(tuple(person))
        self.people: dict[int, list[tuple]] = {}
        for session_id, item_ids in items.items():
            people = {}
            for item_id in item_ids:
                for person in roles[item_id]:
                    people.setdefault(person[1], person)
            self.people[session_id] = list(people.values())
        self.questions: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for session_id, order, *texts in (
            KeyQuestion.objects.rewrite(False)
            .filter(session_id__in=ids)
            .order_by("order")
            .values_list("session", "order", *language_columns(KeyQuestion, "text"))
        ):
            self.questions[session_id].append((order, in_language(texts)))
        self.references: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for session_id, number, citation in (
            Reference.objects.filter(session_id__in=ids).order_by("number").values_list("session", "number", "citation")
        ):
            self.references[session_id].append((number, citation))


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
    return describe(
        headings=description_headings(),
        context=session.context,
        methodology=session.methodology,
        questions=[(question.order, question.text) for question in session.key_question_list],
        expected_result=session.expected_result,
        references=[(reference.number, reference.citation) for reference in session.reference_list],
    )


def description_headings() -> tuple[str, str, str]:
    """The headings "Methodology", "Key questions" and "Expected result" in the active language."""
    return _("Methodology"), _("Key questions"), _("Expected result")


def describe(
    *,
    headings: tuple[str, str, str],
    context: str,
    methodology: str,
    questions: list[tuple[int, str]],
    expected_result: str,
    references: list[tuple[int, str]],
) -> str:
    """``event_description`` of these texts: ``headings`` from ``description_headings``,
    ``questions`` as ``(order, text)`` and ``references`` as ``(number, citation)``, each in order."""
    methodology_heading, questions_heading, expected_result_heading = headings
    parts = [context.strip()]
    if methodology := methodology.strip():
        parts.append(f"{methodology_heading}\n{methodology}")
    if questions:
        numbered = "\n".join(f"{order}. {text.strip()}" for order, text in questions)
        parts.append(f"{questions_heading}\n{numbered}")
    if expected_result := expected_result.strip():
        parts.append(f"{expected_result_heading}\n{expected_result}")
    if references:
        parts.append("\n".join(f"[^{number}]: {citation.strip()}" for number, citation in references))
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


SESSION_TEXTS = ("title", "objective", "context", "methodology", "expected_result")
"""The translated session texts an event prints, read through ``reads.translated_texts``."""


class _EventMaker:
    """Makes the events of one ``schedule.json``: what is the same for every event
    (zone, language, URLs reversed once, track titles, people met before, the columns
    of each translated text) is worked out once per document."""

    def __init__(self, forum: Forum, sessions: list[Session], *, language: str, absolute_url: AbsoluteUrl):
        self.zone = forum.tzinfo
        self.language = language
        self.texts = ScheduleTexts(sessions)
        self.session_url = slug_urls(
            "sessions_app:session-detail", "session_slug", {"forum_slug": forum.slug}, absolute=absolute_url
        )
        self.person_url = slug_urls(
            "forum:speaker-detail", "person_slug", {"forum_slug": forum.slug}, absolute=absolute_url
        )
        self.headings = description_headings()
        self.text = translated_texts(Session, SESSION_TEXTS)
        self.tracks: dict[int, str] = {}
        self.persons: dict[int, dict] = {}

    def person(self, guid, pk: int, name: str, bio: str, slug: str) -> dict:
        if pk not in self.persons:
            self.persons[pk] = {
                "guid": str(guid),
                "id": pk,
                "name": name,
                "biography": bio,
                "url": self.person_url(slug),
            }
        return self.persons[pk]

    def track(self, session: Session) -> str | None:
        if session.theme_id is None:
            return None
        if session.theme_id not in self.tracks:
            self.tracks[session.theme_id] = session.theme.title
        return self.tracks[session.theme_id]

    def event(self, session: Session, *, room_name: str, slug: str) -> dict:
        start, end = session.start.astimezone(self.zone), session.end.astimezone(self.zone)
        texts = self.texts
        return {
            "guid": str(session.guid),
            "id": session.pk,
            "date": start.isoformat(timespec="seconds"),
            "start": f"{start.hour:02d}:{start.minute:02d}",
            "end": end.isoformat(timespec="seconds"),
            "duration": hours_minutes(session.end - session.start),
            "room": room_name,
            "slug": slug,
            "url": self.session_url(session.slug),
            "title": self.text(session, "title"),
            "subtitle": "",
            "track": self.track(session),
            "type": EVENT_TYPES[session.kind],
            "language": self.language,
            "abstract": self.text(session, "objective"),
            "description": describe(
                headings=self.headings,
                context=self.text(session, "context"),
                methodology=self.text(session, "methodology"),
                questions=texts.questions[session.pk],
                expected_result=self.text(session, "expected_result"),
                references=texts.references[session.pk],
            ),
            "persons": [self.person(*person) for person in texts.people.get(session.pk, [])],
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
    rooms: list[Room] = list(forum.rooms.order_by("name"))
    themes: list[Theme] = list(forum.themes.order_by("order", "title"))
    sessions = schedule_sessions(forum, rooms=rooms, themes=themes)
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
    events = _EventMaker(forum, sessions, language=language, absolute_url=absolute_url)
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
            by_room[room_name].append(events.event(session, room_name=room_name, slug=slug))
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
        "tracks": [{"name": theme.title} for theme in themes],
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
    """``frab_schedule`` as UTF-8 JSON (``schedule.schema.json``), on one line: the
    standard library writes indented JSON about seven times slower (``indent`` turns
    its C encoder off), which a whole forum's programme would feel at every request."""
    return json.dumps(frab_schedule(forum, absolute_url=absolute_url), ensure_ascii=False).encode()


def _xml_safe(value) -> str:
    """``value`` as text XML 1.0 can carry: without the control characters an organizer may
    have pasted into a title (``reader.CONTROL_CHARACTERS``; lxml refuses them)."""
    return plain_text(str(value))


def _text(parent: etree._Element, tag: str, value, attributes: dict[str, str] | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
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
                    if tag in XML_OWN_VALUES:
                        etree.SubElement(element, tag).text = event[tag]
                    else:
                        _text(element, tag, event[tag])
                persons = etree.SubElement(element, "persons")
                for person in event["persons"]:
                    _text(persons, "person", person["name"], {"id": str(person["id"]), "guid": person["guid"]})
                etree.SubElement(element, "links")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
