"""Importing a frab ``schedule.xml`` or ``schedule.json`` into a forum.

``frab_schedule_import`` reads the file (``reader``), checks it (``plan``) and writes
it in one transaction: nothing is stored when anything is wrong. The format is the
one described by ``../shared/schemas/schedule.xml.xsd`` and ``schedule.schema.json``
(c3voc); the schemas are not required to pass (real exports seldom do).

What is written, and how a second import of the same file finds what the first made:

- the forum whose slug is made from the conference acronym
  (``identifiers.slug_for_acronym``); a new one is unpublished, edition 1, without
  city or country (the file has none: the organizer fills them in), its dates the
  file's days and its time zone the file's. An existing one gets the file's title,
  dates and zone;
- rooms by name (case-insensitive), with the capacity the file gives;
- a theme per track, by title;
- a person per person guid (``Person.guid``; derived when the file has none, see
  ``identifiers.derived_person_guid``), named as the file names them;
- a session per event guid (``Session.guid``): kind (plenary for plenary/keynote
  types), title, slug (unique in the forum), start and end, room, theme, objective
  (abstract) and context (description). Its persons are the speakers of one agenda
  item spanning the session; when an event's times or persons change, its session's
  agenda is replaced by that item (the file is the source of truth for its events).
  A session listed in the file is not cancelled. Sessions of the forum that the file
  does not list are left as they are.

The admin-only checks of ``Session.clean`` (same day, room and person clashes) do not
apply: frab sessions may cross midnight and the file is already a schedule. The
database constraints do (end after start, unique slugs and guids).
"""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forum.models import Forum, Person, Room
from sessions_app.frab.plan import KINDS, EventPlan, SchedulePlan, plan_schedule
from sessions_app.frab.reader import FrabImportError, read_schedule
from sessions_app.models import AgendaItem, Session, SpeakerRole, Theme

__all__ = ["FrabImportError", "ImportReport", "KindReport", "frab_schedule_import"]

KIND_NAMES = {
    "forum": gettext_lazy("Forum"),
    "rooms": gettext_lazy("Rooms"),
    "days": gettext_lazy("Days"),
    "themes": gettext_lazy("Themes"),
    "sessions": gettext_lazy("Sessions"),
    "people": gettext_lazy("People"),
}
SESSION_FIELDS = (
    "title",
    "slug",
    "kind",
    "theme_id",
    "room_id",
    "start",
    "end",
    "objective",
    "context",
    "is_cancelled",
)


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
    "json") and ``version``, ``seconds`` taken and a ``KindReport`` per kind of record."""

    forum_slug: str
    forum_title: str
    format: str
    version: str
    dry_run: bool
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


def frab_schedule_import(*, data: bytes, dry_run: bool = False) -> ImportReport:
    """Import the frab schedule ``data`` (the bytes of a ``schedule.xml`` or ``schedule.json``).

    Creates or updates the forum named by the conference acronym, its rooms, themes,
    sessions and their people, all in one transaction; with ``dry_run`` the transaction
    is rolled back but the report still says what would have been done. Content is
    written in the default language (``settings.LANGUAGE_CODE``). Raises
    ``FrabImportError`` (every problem, each naming the event and what is wrong) and
    leaves the database unchanged when the file cannot be imported.
    """
    began = time.perf_counter()
    plan = plan_schedule(read_schedule(data))
    try:
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            report = _Writer(plan, dry_run).write()
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as error:
        raise FrabImportError([_("The database refused the import: %(error)s") % {"error": error}]) from error
    report.seconds = time.perf_counter() - began
    return report


def _day_range(first: date, last: date) -> set[date]:
    return {first + timedelta(days=offset) for offset in range((last - first).days + 1)}


class _Writer:
    """Writes a ``SchedulePlan`` and fills the report as it goes (inside the caller's transaction)."""

    def __init__(self, plan: SchedulePlan, dry_run: bool):
        self.plan = plan
        self.report = ImportReport(
            forum_slug=plan.slug,
            forum_title=plan.title,
            format=plan.format,
            version=plan.version or "—",
            dry_run=dry_run,
        )
        for kind in self.report.kinds:
            kind.notes += plan.notes[kind.kind]
            kind.skipped += plan.skipped[kind.kind]

    def write(self) -> ImportReport:
        forum = self.forum()
        rooms = self.rooms(forum)
        themes = self.themes(forum)
        people = self.people()
        self.sessions(forum, rooms, themes, people)
        if not self.report.dry_run:
            self.report.forum_pk = forum.pk
        return self.report

    def forum(self) -> Forum:
        plan, report = self.plan, self.report.forum
        wanted = {
            "title": plan.title,
            "start_date": plan.start_date,
            "end_date": plan.end_date,
            "time_zone": plan.time_zone,
        }
        forum = Forum.objects.filter(slug=plan.slug).first()
        days = self.report.days
        if forum is None:
            forum = Forum.objects.create(slug=plan.slug, edition=1, city="", country="", is_published=False, **wanted)
            report.created.append(f"{forum.title} ({forum.slug})")
            report.notes.append(
                _("The new forum is not published; give its edition, city and country in the admin, then publish it.")
            )
            days.created += [day.isoformat() for day in sorted(_day_range(plan.start_date, plan.end_date))]
            return forum
        before = _day_range(forum.start_date, forum.end_date)
        after = _day_range(plan.start_date, plan.end_date)
        changed = [name for name, value in wanted.items() if getattr(forum, name) != value]
        for name in changed:
            setattr(forum, name, wanted[name])
        if changed:
            forum.save(update_fields=changed)
            report.updated.append(f"{forum.title} ({forum.slug}): {', '.join(changed)}")
        else:
            report.unchanged.append(f"{forum.title} ({forum.slug})")
        for day in sorted(after):
            (days.unchanged if day in before else days.created).append(day.isoformat())
        removed = sorted(before - after)
        if removed:
            message = _("The forum no longer covers %(days)s.")
            days.notes.append(message % {"days": ", ".join(day.isoformat() for day in removed)})
        return forum

    def rooms(self, forum: Forum) -> dict[str, Room]:
        report = self.report.rooms
        existing = {room.name.casefold(): room for room in forum.rooms.all()}
        new = []
        for name, capacity in self.plan.rooms:
            room = existing.get(name.casefold())
            if room is None:
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
        report = self.report.themes
        existing = {theme.title: theme for theme in forum.themes.all()}
        order = max((theme.order for theme in existing.values()), default=0)
        new = []
        for title in self.plan.tracks:
            if title in existing:
                report.unchanged.append(title)
                continue
            order += 1
            existing[title] = Theme(forum=forum, title=title, order=order)
            new.append(existing[title])
            report.created.append(title)
        Theme.objects.bulk_create(new)
        return existing

    def people(self) -> dict[UUID, Person]:
        report = self.report.people
        existing = {person.guid: person for person in Person.objects.filter(guid__in=list(self.plan.persons))}
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
            changed = [name for name in ("name",) if person.name != wanted.name]
            if wanted.biography and person.bio != wanted.biography:
                changed.append("bio")
                person.bio = wanted.biography
            person.name = wanted.name
            if changed:
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
        roles = SpeakerRole.objects.filter(person__isnull=False).select_related("person").order_by("order")
        items = AgendaItem.objects.order_by("order").prefetch_related(Prefetch("speaker_roles", roles, to_attr="roles"))
        existing = {
            session.guid: session
            for session in forum.sessions.prefetch_related(Prefetch("agenda_items", items, to_attr="items"))
        }
        listed = set(guids)
        taken = {session.slug for guid, session in existing.items() if guid not in listed}
        new, changed_sessions, agendas = [], [], []
        for event in plan.events:
            slug = _unique(event.slug, taken)
            if slug != event.slug:
                message = _("Event %(event)s: the slug “%(slug)s” is taken in this forum; stored as “%(unique)s”.")
                report.notes.append(message % {"event": event.label, "slug": event.slug, "unique": slug})
            values = {
                "title": event.title,
                "slug": slug,
                "kind": event.kind,
                "theme_id": themes[event.track].pk if event.track else None,
                "room_id": rooms[event.room.casefold()].pk,
                "start": event.start,
                "end": event.end,
                "objective": event.objective,
                "context": event.context,
                "is_cancelled": False,
            }
            label = f"{event.title} ({event.start.astimezone(forum.tzinfo):%Y-%m-%d %H:%M})"
            session = existing.get(event.guid)
            if session is None:
                session = Session(forum=forum, guid=event.guid, **values)
                new.append(session)
                report.created.append(label)
                if event.persons:
                    agendas.append((session, event))
                continue
            changed = [name for name in SESSION_FIELDS if getattr(session, name) != values[name]]
            persons_now = list(dict.fromkeys(role.person.guid for item in session.items for role in item.roles))
            if persons_now != event.persons:
                changed.append("persons")
            if not changed:
                report.unchanged.append(label)
                continue
            report.updated.append(f"{label}: {', '.join(name.removesuffix('_id') for name in changed)}")
            changed_sessions.append((session, values, [name for name in changed if name != "persons"]))
            if {"start", "end", "persons"} & set(changed):
                agendas.append((session, event))
        unlisted = [session.title for guid, session in existing.items() if guid not in listed]
        if unlisted:
            message = _("Sessions of this forum that the file does not list were left as they are: %(titles)s.")
            report.notes.append(message % {"titles": "; ".join(unlisted)})
        self.save_sessions(new, changed_sessions)
        self.save_agendas(agendas, people)

    @staticmethod
    def save_sessions(new: list[Session], changed: list[tuple[Session, dict, list[str]]]) -> None:
        renamed = [session for session, values, names in changed if "slug" in names]
        for session in renamed:
            Session.objects.filter(pk=session.pk).update(slug=f"frab-{session.guid.hex}")
        for session, values, names in changed:
            for name in names:
                setattr(session, name, values[name])
            if names:
                session.save(update_fields=names)
        Session.objects.bulk_create(new)

    @staticmethod
    def save_agendas(agendas: list[tuple[Session, EventPlan]], people: dict[UUID, Person]) -> None:
        AgendaItem.objects.filter(session__in=[session for session, _event in agendas if session.pk]).delete()
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(session=session, order=1, start=session.start, end=session.end, title=session.title)
                for session, event in agendas
                if event.persons
            ]
        )
        with_persons = [event for _session, event in agendas if event.persons]
        SpeakerRole.objects.bulk_create(
            [
                SpeakerRole(agenda_item=item, order=order, role=SpeakerRole.Role.SPEAKER, person=people[guid])
                for item, event in zip(items, with_persons, strict=True)
                for order, guid in enumerate(event.persons, start=1)
            ]
        )


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
