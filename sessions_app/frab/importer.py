"""Importing a frab ``schedule.xml`` or ``schedule.json`` into a forum.

``frab_schedule_import`` reads the file (``reader``), checks it (``plan``) and writes
it in one transaction: nothing is stored when anything is wrong. The format is the
one described by ``../shared/schemas/schedule.xml.xsd`` and ``schedule.schema.json``
(c3voc); the schemas are not required to pass (real exports seldom do).

What is written, and how a second import of the same file finds what the first made:

- the forum whose slug is made from the conference acronym
  (``identifiers.slug_for_acronym``); a new one is unpublished, edition 1, without
  city or country (the file has none: the organizer fills them in), its dates the
  file's days and its time zone the file's. An existing forum is changed only when the
  organizer asks for it (``update_existing``; a dry run shows what would change
  without it): it gets the file's title (when the file has one that is not already
  the forum's title in one of its languages), its time zone (when the file names an
  IANA zone) and dates, widened to keep the forum's sessions that the file does not
  list. Afterwards the forum must pass ``Forum.full_clean`` (its dates hold all its
  sessions), or nothing is saved;
- rooms by name (case-insensitive), with the capacity the file gives. The room this
  site's export lists sessions without a room under (``export.placeholder_room_name``:
  the venue or "Room to be announced", in any language) is no room: its events are
  stored without one, and a session without a room stays so;
- a theme per track, found by its title in any language;
- a person per person guid (``Person.guid``; derived when the file has none, see
  ``identifiers.derived_person_guid``), named as the file names them. A person who
  appears in another forum's agenda is linked as they are: the file does not rename
  them or rewrite their biography (the report says so);
- a session per event guid (``Session.guid``): kind (plenary for plenary/keynote
  types), title, slug (unique in the forum), start and end, room, theme, objective
  (abstract) and context (description). Its persons are the speakers of one agenda
  item spanning the session; when an event's times or persons change, its session's
  agenda is replaced by that item (the file is the source of truth for its events).
  A session listed in the file is not cancelled. Sessions of the forum that the file
  does not list are left as they are.

Re-importing this site's own export changes nothing: a text equal to the session's text
in any language (as the export shows it, with fallbacks) is left alone, so the Spanish
export writes no Spanish into the English fields; a description equal to what the
export composes (``export.event_description``: context, methodology, key questions,
expected result, footnotes) leaves all those texts alone; a slug equal to the exported
one (``identifiers.event_slug``) keeps the session's slug.

Content is written in the default content language
(``settings.MODELTRANSLATION_DEFAULT_LANGUAGE``, the ``*_en`` fields) whatever language
is active; the report is in the active language.

The admin-only checks of ``Session.clean`` (same day, room and person clashes) do not
apply: frab sessions may cross midnight and the file is already a schedule. The
database constraints do (end after start, unique slugs and guids).
"""

import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Max, Min
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.utils import build_localized_fieldname

from forum import caching
from forum.models import Forum, Person, Room
from sessions_app.frab.export import event_description, frab_prefetches, placeholder_room_name, session_people
from sessions_app.frab.identifiers import acronym_for_slug, event_slug, slug_for_acronym
from sessions_app.frab.plan import KINDS, EventPlan, SchedulePlan, last_instant_date, plan_schedule
from sessions_app.frab.reader import FrabImportError, plain_text, read_schedule
from sessions_app.models import AgendaItem, Session, SpeakerRole, Theme

__all__ = ["ForumExistsError", "FrabImportError", "ImportReport", "KindReport", "frab_schedule_import"]

KIND_NAMES = {
    "forum": gettext_lazy("Forum"),
    "rooms": gettext_lazy("Rooms"),
    "days": gettext_lazy("Days"),
    "themes": gettext_lazy("Themes"),
    "sessions": gettext_lazy("Sessions"),
    "people": gettext_lazy("People"),
}


def _stored(name: str) -> str:
    """The column that holds a translated field in the default content language (``title`` → ``title_en``)."""
    return build_localized_fieldname(name, settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


def _comparable(text: str | None) -> str:
    """``text`` as the reader would give it back: control characters removed, line breaks as
    ``\\n`` (XML parsers turn ``\\r\\n`` into ``\\n``), outer white space stripped."""
    return plain_text(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _in_languages(show) -> set[str]:
    """``show()`` evaluated with each of ``settings.LANGUAGES`` active, made ``_comparable``:
    what the export writes for a text in each language (translated fields fall back)."""
    shown = set()
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            shown.add(_comparable(show()))
    return shown


class ForumExistsError(FrabImportError):
    """The file's forum exists and the organizer did not ask to update it; ``forum`` is that forum."""

    def __init__(self, forum: Forum):
        self.forum = forum
        message = _(
            "A forum with this acronym already exists: “%(title)s”. To import into it, ask for an update of the "
            "existing forum."
        )
        super().__init__([message % {"title": forum.title}])


@dataclass
class KindReport:
    """What the import did to one kind of record: labels of the records ``created``,
    ``updated`` (with what changed), ``unchanged`` and ``skipped`` (with the reason), and
    ``notes`` (fields ignored, values fixed)."""

    kind: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The kind's name as the report prints it ("Sessions")."""
        return str(KIND_NAMES[self.kind])

    @property
    def summary(self) -> str:
        """Counts, e.g. "3 created, 1 updated, 0 unchanged, 0 skipped"."""
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(skipped)s skipped") % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }


@dataclass
class ImportReport:
    """The outcome of an import: the forum's ``forum_slug`` and ``forum_title`` (``forum_pk``
    None after a dry run, whose writes were rolled back), the file's ``format`` ("xml" or
    "json") and ``version``, ``seconds`` taken and a ``KindReport`` per kind of record.
    ``existing_forum`` is True when the forum existed before; ``update_existing`` whether
    the organizer asked to update it (a dry run without it shows what an update would do)."""

    forum_slug: str
    forum_title: str
    format: str
    version: str
    dry_run: bool
    existing_forum: bool = False
    update_existing: bool = False
    forum: KindReport = field(default_factory=lambda: KindReport("forum"))
    rooms: KindReport = field(default_factory=lambda: KindReport("rooms"))
    days: KindReport = field(default_factory=lambda: KindReport("days"))
    themes: KindReport = field(default_factory=lambda: KindReport("themes"))
    sessions: KindReport = field(default_factory=lambda: KindReport("sessions"))
    people: KindReport = field(default_factory=lambda: KindReport("people"))
    forum_pk: int | None = None
    seconds: float = 0.0

    @property
    def kinds(self) -> list[KindReport]:
        """The reports of every kind, in ``plan.KINDS`` order."""
        return [getattr(self, kind) for kind in KINDS]

    @property
    def changed(self) -> bool:
        """True when anything was (or, in a dry run, would be) created or updated."""
        return any(kind.created or kind.updated for kind in self.kinds)

    @property
    def needs_update_request(self) -> bool:
        """True for a dry run on an existing forum without the request to update it: the
        real import would be refused until the organizer asks for the update."""
        return self.existing_forum and not self.update_existing

    def lines(self) -> list[str]:
        """The report as text lines, for the management command."""
        lines = [
            _("Forum “%(title)s” (%(slug)s), from a schedule.%(format)s, version %(version)s.")
            % {"title": self.forum_title, "slug": self.forum_slug, "format": self.format, "version": self.version}
        ]
        for kind in self.kinds:
            lines.append(f"{kind.name}: {kind.summary}")
            for label, items in (
                (_("created"), kind.created),
                (_("updated"), kind.updated),
                (_("skipped"), kind.skipped),
                (_("note"), kind.notes),
            ):
                lines += [f"  {label}: {item}" for item in items]
        if self.dry_run:
            lines.append(_("Dry run: nothing was saved."))
        return lines


def frab_schedule_import(*, data: bytes, dry_run: bool = False, update_existing: bool = False) -> ImportReport:
    """Import the frab schedule ``data`` (the bytes of a ``schedule.xml`` or ``schedule.json``).

    Creates the forum named by the conference acronym, or updates it when it exists and
    ``update_existing`` is True, with its rooms, themes, sessions and their people, all
    in one transaction; with ``dry_run`` the transaction is rolled back but the report
    still says what would have been done (for an existing forum, what an update would
    do, with or without ``update_existing``). Content is written in the default content
    language (``settings.MODELTRANSLATION_DEFAULT_LANGUAGE``) whatever language is
    active. Raises ``ForumExistsError`` when the forum exists and neither flag is given,
    ``FrabImportError`` (every problem, each naming the event or field and what is
    wrong) when the file cannot be imported; either way the database is unchanged.
    """
    began = time.perf_counter()
    raw = read_schedule(data)
    slug = slug_for_acronym(raw.conference["acronym"])
    existing = Forum.objects.filter(slug=slug).first() if slug else None
    if existing is not None and not (update_existing or dry_run):
        raise ForumExistsError(existing)
    plan = plan_schedule(raw, forum_time_zone=existing.time_zone if existing else None)
    try:
        with transaction.atomic():
            report = _Writer(plan, dry_run=dry_run, update_existing=update_existing).write()
            if dry_run:
                transaction.set_rollback(True)
            else:
                caching.bump()  # bulk writes send no model signals
    except DatabaseError as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise FrabImportError([_("The database refused the import: %(error)s") % {"error": problem}]) from error
    report.seconds = time.perf_counter() - began
    return report


def _day_range(first: date, last: date) -> set[date]:
    return {first + timedelta(days=offset) for offset in range((last - first).days + 1)}


class _Writer:
    """Writes a ``SchedulePlan`` and fills the report as it goes (inside the caller's transaction)."""

    def __init__(self, plan: SchedulePlan, *, dry_run: bool, update_existing: bool):
        self.plan = plan
        self.report = ImportReport(
            forum_slug=plan.slug,
            forum_title=plan.title,
            format=plan.format,
            version=plan.version or "—",
            dry_run=dry_run,
            update_existing=update_existing,
        )
        for kind in self.report.kinds:
            kind.notes += plan.notes[kind.kind]
            kind.skipped += plan.skipped[kind.kind]
        self.placeholders: set[str] = set()

    def write(self) -> ImportReport:
        forum = self.forum()
        rooms = self.rooms(forum)
        themes = self.themes(forum)
        people = self.people(forum)
        self.sessions(forum, rooms, themes, people)
        self.check(forum)
        if not self.report.dry_run:
            self.report.forum_pk = forum.pk
        return self.report

    def forum(self) -> Forum:
        plan, report = self.plan, self.report.forum
        forum = Forum.objects.select_for_update().filter(slug=plan.slug).first()
        days = self.report.days
        if forum is None:
            forum = Forum.objects.create(
                slug=plan.slug,
                edition=1,
                city="",
                country="",
                is_published=False,
                start_date=plan.start_date,
                end_date=plan.end_date,
                time_zone=plan.time_zone,
                **{_stored("title"): plan.title},
            )
            report.created.append(f"{plan.title} ({forum.slug})")
            report.notes.append(
                _("The new forum is not published; give its edition, city and country in the admin, then publish it.")
            )
            days.created += [day.isoformat() for day in sorted(_day_range(plan.start_date, plan.end_date))]
            return forum
        if not (self.report.update_existing or self.report.dry_run):
            raise ForumExistsError(forum)  # made by another import since ``frab_schedule_import`` looked
        self.report.existing_forum = True
        self.report.forum_title = forum.title
        before = _day_range(forum.start_date, forum.end_date)
        start_date, end_date = self.dates_keeping_unlisted(forum)
        wanted = {"start_date": start_date, "end_date": end_date, "time_zone": plan.time_zone}
        changed = [name for name, value in wanted.items() if getattr(forum, name) != value]
        names = list(changed)
        if plan.title_given and _comparable(plan.title) not in _in_languages(lambda: forum.title):
            wanted[_stored("title")] = plan.title
            changed.insert(0, _stored("title"))
            names.insert(0, "title")
        for name in changed:
            setattr(forum, name, wanted[name])
        if changed:
            forum.save(update_fields=changed)
            report.updated.append(f"{forum.title} ({forum.slug}): {', '.join(names)}")
        else:
            report.unchanged.append(f"{forum.title} ({forum.slug})")
        after = _day_range(start_date, end_date)
        for day in sorted(after):
            (days.unchanged if day in before else days.created).append(day.isoformat())
        removed = sorted(before - after)
        if removed:
            message = _("The forum no longer covers %(days)s.")
            days.notes.append(message % {"days": ", ".join(day.isoformat() for day in removed)})
        return forum

    def dates_keeping_unlisted(self, forum: Forum) -> tuple[date, date]:
        """The file's first and last dates, widened (with a note) to the local dates, in the
        zone the forum will have, of the forum's sessions that the file does not list."""
        plan = self.plan
        unlisted = forum.sessions.exclude(guid__in=[event.guid for event in plan.events])
        bounds = unlisted.aggregate(first=Min("start"), last=Max("end"))
        if bounds["first"] is None:
            return plan.start_date, plan.end_date
        zone = zoneinfo.ZoneInfo(plan.time_zone)
        first = min(plan.start_date, bounds["first"].astimezone(zone).date())
        last = max(plan.end_date, last_instant_date(bounds["last"], zone))
        if (first, last) != (plan.start_date, plan.end_date):
            message = _(
                "The forum runs from %(first)s to %(last)s, beyond the file's days, to keep its sessions that the "
                "file does not list."
            )
            self.report.days.notes.append(message % {"first": first.isoformat(), "last": last.isoformat()})
        return first, last

    def placeholder_keys(self, forum: Forum) -> set[str]:
        """The names, case-folded, under which this site's export lists sessions without a
        room (``export.placeholder_room_name`` in every language)."""
        return {name.casefold() for name in _in_languages(lambda: placeholder_room_name(forum)) if name}

    def rooms(self, forum: Forum) -> dict[str, Room]:
        report = self.report.rooms
        existing = {_comparable(room.name).casefold(): room for room in forum.rooms.all()}
        self.placeholders = self.placeholder_keys(forum)
        new = []
        for name, capacity in self.plan.rooms:
            room = existing.get(name.casefold())
            if room is None and name.casefold() in self.placeholders:
                message = _(
                    "“%(room)s” is how this site lists sessions without a room: no room was created, its events "
                    "have none."
                )
                report.notes.append(message % {"room": name})
            elif room is None:
                room = Room(forum=forum, name=name, capacity=capacity)
                existing[name.casefold()] = room
                new.append(room)
                report.created.append(name)
            elif capacity is not None and room.capacity != capacity:
                room.capacity = capacity
                room.save(update_fields=["capacity"])
                report.updated.append(_("%(room)s: capacity") % {"room": room.name})
            else:
                report.unchanged.append(room.name)
        Room.objects.bulk_create(new)
        return existing

    def themes(self, forum: Forum) -> dict[str, Theme]:
        """The forum's themes by track title, found by their title in any language or created."""
        report = self.report.themes
        themes = list(forum.themes.all())
        known: dict[str, Theme] = {}
        for theme in themes:
            for title in _in_languages(lambda theme=theme: theme.title):
                known.setdefault(title, theme)
        order = max((theme.order for theme in themes), default=0)
        found, new = {}, []
        for title in self.plan.tracks:
            theme = known.get(_comparable(title))
            if theme is not None:
                report.unchanged.append(theme.title)
            else:
                order += 1
                theme = Theme(forum=forum, order=order, **{_stored("title"): title})
                known[_comparable(title)] = theme
                new.append(theme)
                report.created.append(title)
            found[title] = theme
        Theme.objects.bulk_create(new)
        return found

    def people(self, forum: Forum) -> dict[UUID, Person]:
        """The file's people by guid, found or created; those who appear in another forum's
        agenda are left as they are."""
        report = self.report.people
        existing = {person.guid: person for person in Person.objects.filter(guid__in=list(self.plan.persons))}
        elsewhere = dict(
            SpeakerRole.objects.filter(person__in=list(existing.values()))
            .exclude(agenda_item__session__forum=forum)
            .values_list("person_id", "agenda_item__session__forum_id")
        )
        forum_titles = {other.pk: other.title for other in Forum.objects.filter(pk__in=set(elsewhere.values()))}
        new = []
        taken: set[str] | None = None
        for guid, wanted in self.plan.persons.items():
            person = existing.get(guid)
            if person is None:
                if taken is None:
                    taken = set(Person.objects.values_list("slug", flat=True))
                person = Person(guid=guid, name=wanted.name, slug=_unique(slugify(wanted.name) or "person", taken))
                person.bio = wanted.biography or ""
                existing[guid] = person
                new.append(person)
                report.created.append(wanted.name)
                continue
            changed = ["name"] if person.name != wanted.name else []
            if wanted.biography and person.bio != wanted.biography:
                changed.append("bio")
            if changed and person.pk in elsewhere:
                message = _(
                    "%(name)s also appears in the programme of “%(forum)s”: linked as they are, without the file's "
                    "changes to their name or biography."
                )
                report.notes.append(message % {"name": person.name, "forum": forum_titles[elsewhere[person.pk]]})
                changed = []
            if changed:
                person.name = wanted.name
                person.bio = wanted.biography if "bio" in changed else person.bio
                person.save(update_fields=changed)
                report.updated.append(f"{person.name}: {', '.join(changed)}")
            else:
                report.unchanged.append(person.name)
        Person.objects.bulk_create(new)
        return existing

    def sessions(self, forum: Forum, rooms: dict[str, Room], themes: dict[str, Theme], people) -> None:
        plan, report = self.plan, self.report.sessions
        guids = [event.guid for event in plan.events]
        elsewhere = Session.objects.filter(guid__in=guids).exclude(forum=forum).select_related("forum")
        if clashes := list(elsewhere):
            message = _(
                "Event %(guid)s “%(title)s”: its guid is already the session “%(session)s” of the forum “%(forum)s”."
            )
            raise FrabImportError(
                [
                    message % {"guid": s.guid, "title": s.title, "session": s.title, "forum": s.forum.title}
                    for s in clashes
                ]
            )
        existing = {session.guid: session for session in forum.sessions.prefetch_related(*frab_prefetches())}
        listed = set(guids)
        taken = {session.slug for guid, session in existing.items() if guid not in listed}
        acronym = acronym_for_slug(forum.slug)
        new, changed_sessions, agendas = [], [], []
        for event in plan.events:
            session = existing.get(event.guid)
            exported = session is not None and event.given_slug in {
                event_slug(acronym, session.slug),
                f"{event_slug(acronym, session.slug)}-{session.pk}",
            }
            slug = _unique(session.slug if exported else event.slug, taken)
            if slug != event.slug and not exported:
                message = _("Event %(event)s: the slug “%(slug)s” is taken in this forum; stored as “%(unique)s”.")
                report.notes.append(message % {"event": event.label, "slug": event.slug, "unique": slug})
            room = rooms.get(event.room.casefold())
            if event.room.casefold() in self.placeholders and session is not None and session.room_id is None:
                room = None  # a session listed under the placeholder of sessions without a room keeps none
            values = {
                "slug": slug,
                "kind": event.kind,
                "theme_id": themes[event.track].pk if event.track else None,
                "room_id": room.pk if room else None,
                "start": event.start,
                "end": event.end,
                "is_cancelled": False,
            }
            texts = {"title": event.title, "objective": event.objective, "context": event.context}
            label = f"{event.title} ({event.start.astimezone(forum.tzinfo):%Y-%m-%d %H:%M})"
            if session is None:
                session = Session(
                    forum=forum,
                    guid=event.guid,
                    theme=themes[event.track] if event.track else None,
                    room=room,
                    **{name: value for name, value in values.items() if name not in ("theme_id", "room_id")},
                    **{_stored(name): text for name, text in texts.items()},
                )
                new.append(session)
                report.created.append(label)
                if event.persons:
                    agendas.append((session, event))
                continue
            changed = [name for name, value in values.items() if getattr(session, name) != value]
            changed += _changed_texts(session, event)
            if [person.guid for person in session_people(session)] != event.persons:
                changed.append("persons")
            if not changed:
                report.unchanged.append(label)
                continue
            report.updated.append(f"{label}: {', '.join(name.removesuffix('_id') for name in changed)}")
            updates = {
                (_stored(name) if name in texts else name): (texts[name] if name in texts else values[name])
                for name in changed
                if name != "persons"
            }
            changed_sessions.append((session, updates))
            if {"start", "end", "persons"} & set(changed):
                agendas.append((session, event))
        unlisted = [session.title for guid, session in existing.items() if guid not in listed]
        if unlisted:
            message = _("Sessions of this forum that the file does not list were left as they are: %(titles)s.")
            report.notes.append(message % {"titles": "; ".join(unlisted)})
        self.save_sessions(new, changed_sessions)
        self.save_agendas(agendas, people)

    def check(self, forum: Forum) -> None:
        """``Forum.full_clean`` of the forum as the import leaves it (its dates hold its
        sessions; city and country, which the file does not give, aside); raises
        ``FrabImportError`` with its problems, naming the forum by its title before the
        import, which rolls the import back."""
        forum.refresh_from_db()
        try:
            forum.full_clean(exclude=["city", "country"])
        except ValidationError as error:
            message = _("The forum “%(forum)s” would not be valid after this import: %(problem)s")
            raise FrabImportError(
                [message % {"forum": self.report.forum_title, "problem": problem} for problem in error.messages]
            ) from error

    @staticmethod
    def save_sessions(new: list[Session], changed: list[tuple[Session, dict]]) -> None:
        renamed = [session for session, updates in changed if "slug" in updates]
        for session in renamed:
            Session.objects.filter(pk=session.pk).update(slug=f"frab-{session.guid.hex}")
        for session, updates in changed:
            for name, value in updates.items():
                setattr(session, name, value)
            if updates:
                session.save(update_fields=list(updates))
        Session.objects.bulk_create(new)

    @staticmethod
    def save_agendas(agendas: list[tuple[Session, EventPlan]], people: dict[UUID, Person]) -> None:
        AgendaItem.objects.filter(session__in=[session for session, _event in agendas if session.pk]).delete()
        with_persons = [(session, event) for session, event in agendas if event.persons]
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(
                    session=session,
                    order=1,
                    start=session.start,
                    end=session.end,
                    **{_stored("title"): getattr(session, _stored("title")) or event.title},
                )
                for session, event in with_persons
            ]
        )
        SpeakerRole.objects.bulk_create(
            [
                SpeakerRole(agenda_item=item, order=order, role=SpeakerRole.Role.SPEAKER, person=people[guid])
                for item, (_session, event) in zip(items, with_persons, strict=True)
                for order, guid in enumerate(event.persons, start=1)
            ]
        )


def _changed_texts(session: Session, event: EventPlan) -> list[str]:
    """The translated fields of ``session`` that ``event`` changes. A text equal to the
    session's in any language is no change; a description equal to what the export composes
    (``export.event_description``, in any language) leaves the context alone."""
    changed = [
        name
        for name, text in (("title", event.title), ("objective", event.objective))
        if _comparable(text) not in _in_languages(lambda name=name: getattr(session, name))
    ]
    description = _comparable(event.context)
    if description not in _in_languages(lambda: event_description(session)) | _in_languages(lambda: session.context):
        changed.append("context")
    return changed


def _unique(slug: str, taken: set[str], limit: int = 100) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… (within ``limit`` characters), the first not in
    ``taken``; the result is added to ``taken``."""
    candidate, number = slug[:limit], 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = f"{slug[: limit - len(suffix)]}{suffix}"
    taken.add(candidate)
    return candidate
