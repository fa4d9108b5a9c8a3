"""A synthetic published forum for the benchmark, built with the project's factories.

``build_forum(Scale())`` writes the issue's forum: 3 days, 10 rooms, 300 sessions (3
plenaries a day, the rest parallel sessions in time slots filling the rooms, each under
one of 6 themes, with a capacity), 600 speakers with their organizations spread over the
agenda items (5 appearances a session), and 5,000 registrations (mostly confirmed, a few
waitlisted, awaiting approval or cancelled) whose confirmed participants hold sign-ups
for parallel sessions (waitlisted once a session is full), then releases the programme
(``sessions_app.release_services.release_programme``) so that public pages read the
released schedule, as the public's do.

Every row is made by the project's factory for its model (``forum/tests/factories.py``,
``sessions_app/tests/factories.py``, ``registration/tests/factories.py``) with
``Factory.build``, which applies the factory's defaults and sequences without saving,
and saved in batches with ``bulk_create`` (one INSERT per batch; no ``save()``, no
signals), so the whole forum takes seconds rather than the minutes of one INSERT per
row. Users get an unusable password (hashing 5,000 passwords would take minutes; the
benchmark signs its participants in with session cookies) and, as
``VerifiedUserFactory`` gives them, a verified primary e-mail address.

Times: each day runs from 08:00 in the forum's time zone (the factories' America/Guayaquil),
in blocks of ``SLOT_STEP`` (a session lasts ``SESSION_LENGTH``): a plenary first, the
parallel slots split evenly between the day's further plenaries, a plenary last. A
speaker never appears in two sessions at the same time.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from forum.models import Forum, Organization, Person, Room, User
from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory, UserFactory
from registration.models import Category, Registration, SessionSignup
from registration.services import session_capacity
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, SessionSignupFactory
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SessionOrganizer, SpeakerRole, Theme
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    ReferenceFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
)

DAY_START = time(8, 0)
SESSION_LENGTH = timedelta(minutes=45)
SLOT_STEP = timedelta(minutes=50)
LAST_START = time(23, 0)
"""No block starts later, so every session ends on the day it starts."""

AGENDA = (
    # (title, minutes from the session's start to the item's start and end, roles in order)
    ("Opening and framing", 0, 15, [SpeakerRole.Role.FACILITATOR]),
    ("Panel", 15, 35, [SpeakerRole.Role.PANELIST] * 3),
    ("Discussion and conclusions", 35, 45, [SpeakerRole.Role.RAPPORTEUR]),
)
ROLES_PER_SESSION = sum(len(roles) for *_, roles in AGENDA)
KEY_QUESTIONS = 3
REFERENCES = 2
ORGANIZERS = 2
ROOM_CAPACITIES = (60, 80, 100, 150, 200)
SESSION_CAPACITIES = (None, 30, 40, 50, 60, 80)
"""A parallel session's own capacity (None: its room's), never above its room's."""
PLENARY_HALL_CAPACITY = 800
MOST_SIGNUPS = 6
"""The most parallel sessions a built participant signs up for."""
STATUSES = (
    (Registration.Status.CONFIRMED, 90),
    (Registration.Status.WAITLISTED, 4),
    (Registration.Status.SUBMITTED, 3),
    (Registration.Status.CANCELLED, 3),
)
"""Statuses of the registrations other than the sign-up load's participants, with weights."""
COUNTRIES = ("EC", "CO", "PE", "MX", "ES", "US", "BR", "AR", "CL", "GT")
BATCH = 2000


@dataclass(frozen=True)
class Scale:
    """How big a forum ``build_forum`` builds.

    ``sessions`` includes ``plenaries_per_day`` × ``days`` plenaries; the others are
    parallel. ``participants`` of the ``registrations`` are confirmed and hold no sign-up
    yet (the sign-up load signs them up). Raises ``ValueError`` for a shape that cannot be
    built: no parallel session, more sessions a day than fit between 08:00 and 23:00, fewer
    speakers than one time slot's appearances (someone would be in two places at once),
    more participants than registrations.
    """

    days: int = 3
    rooms: int = 10
    sessions: int = 300
    plenaries_per_day: int = 3
    speakers: int = 600
    registrations: int = 5000
    participants: int = 0
    themes: int = 6

    def __post_init__(self) -> None:
        if min(self.days, self.rooms, self.speakers, self.themes) < 1:
            raise ValueError("Days, rooms, speakers and themes must be at least 1.")
        if min(self.plenaries_per_day, self.registrations, self.participants) < 0:
            raise ValueError("Plenaries, registrations and participants cannot be negative.")
        if self.parallel < 1:
            raise ValueError(
                f"{self.sessions} sessions leave no parallel session after "
                f"{self.days * self.plenaries_per_day} plenaries."
            )
        blocks = self.plenaries_per_day + math.ceil(self.parallel_slots / self.days)
        if DAY_START.hour * 60 + (blocks - 1) * SLOT_STEP.total_seconds() / 60 > LAST_START.hour * 60:
            raise ValueError(f"{blocks} blocks a day do not fit between 08:00 and 23:00: add rooms or days.")
        if self.speakers < ROLES_PER_SESSION * min(self.rooms, self.parallel):
            raise ValueError(f"Give at least {ROLES_PER_SESSION} speakers per room, so that nobody is double-booked.")
        if self.participants > self.registrations:
            raise ValueError("There cannot be more participants than registrations.")

    @property
    def parallel(self) -> int:
        """The number of parallel sessions."""
        return self.sessions - self.days * self.plenaries_per_day

    @property
    def parallel_slots(self) -> int:
        """The number of time slots the parallel sessions fill, at most ``rooms`` sessions each."""
        return math.ceil(self.parallel / self.rooms)


@dataclass(frozen=True)
class Slot:
    """A block of the programme: one plenary, or ``size`` parallel sessions at the same time (aware datetimes)."""

    start: datetime
    end: datetime
    plenary: bool
    size: int


@dataclass
class BuiltForum:
    """What ``build_forum`` built: the forum, its parallel sessions by time slot (each slot's
    sessions overlap one another and no other slot's) and the registrations of the sign-up
    load's participants (confirmed, without sign-ups)."""

    forum: Forum
    parallel_slots: list[list[Session]] = field(default_factory=list)
    participants: list[Registration] = field(default_factory=list)


def programme_layout(scale: Scale, first_day: date, zone: tzinfo) -> list[Slot]:
    """The blocks of the programme in time order, from ``first_day`` in ``zone``.

    Parallel sessions are spread evenly over ``scale.parallel_slots`` slots, and the slots
    evenly over the days; within a day the plenaries open, close and (from three on)
    split the parallel slots into equal runs.
    """
    sizes = iter(_spread(scale.parallel, scale.parallel_slots))
    layout = []
    for day, parallel_slots in enumerate(_spread(scale.parallel_slots, scale.days)):
        moment = datetime.combine(first_day + timedelta(days=day), DAY_START, tzinfo=zone)
        for plenary in _day_blocks(parallel_slots, scale.plenaries_per_day):
            layout.append(Slot(moment, moment + SESSION_LENGTH, plenary, 1 if plenary else next(sizes)))
            moment += SLOT_STEP
    return layout


def _spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole numbers differing by at most one, larger first."""
    return [total // parts + (1 if part < total % parts else 0) for part in range(parts)]


def _day_blocks(parallel_slots: int, plenaries: int) -> list[bool]:
    """A day's blocks, True for a plenary: a plenary first and last, parallel runs between."""
    if plenaries <= 1:
        return [True] * plenaries + [False] * parallel_slots
    blocks = [True]
    for run in _spread(parallel_slots, plenaries - 1):
        blocks += [False] * run + [True]
    return blocks


def build_forum(scale: Scale, *, seed: int = 2020) -> BuiltForum:
    """Write a published forum of ``scale``, release its programme and return it (see the module docstring).

    ``seed`` fixes the random choices (capacities, statuses, sign-ups), so two builds of
    one scale are alike. Runs in autocommit; about a minute at the issue's scale on
    PostgreSQL, most of it in the factories' Python.
    """
    rng = random.Random(seed)
    forum = ForumFactory(
        title="Benchmark Forum",
        end_date=factory.LazyAttribute(lambda o: o.start_date + timedelta(days=scale.days - 1)),
    )
    organizations = Organization.objects.bulk_create(OrganizationFactory.build_batch(max(2, scale.speakers // 5)))
    forum.host_organizations.set(organizations[:2])
    rooms = Room.objects.bulk_create(
        [RoomFactory.build(forum=forum, name="Plenary hall", capacity=PLENARY_HALL_CAPACITY)]
        + [RoomFactory.build(forum=forum, capacity=rng.choice(ROOM_CAPACITIES)) for _ in range(scale.rooms - 1)]
    )
    themes = Theme.objects.bulk_create(ThemeFactory.build_batch(scale.themes, forum=forum))
    built = BuiltForum(forum=forum)
    sessions = []
    for slot in programme_layout(scale, forum.start_date, forum.tzinfo):
        if slot.plenary:
            sessions.append(_session(forum, slot, kind=Session.Kind.PLENARY, room=rooms[0], theme=None, capacity=None))
            continue
        built.parallel_slots.append([])
        for index in range(slot.size):
            room = rooms[index % len(rooms)]
            capacity = rng.choice(SESSION_CAPACITIES)
            session = _session(
                forum,
                slot,
                kind=Session.Kind.PARALLEL,
                room=room,
                theme=themes[(len(sessions) + index) % len(themes)],
                capacity=None if capacity is None else min(capacity, room.capacity),
            )
            built.parallel_slots[-1].append(session)
        sessions += built.parallel_slots[-1]
    Session.objects.bulk_create(sessions, batch_size=BATCH)
    _write_session_texts(sessions, organizations)
    _write_agendas(sessions, _people(scale, organizations))
    registrations = _registrations(scale, forum, rng)
    built.participants = registrations[len(registrations) - scale.participants :]
    _write_signups(registrations[: len(registrations) - scale.participants], built.parallel_slots, rng)
    release_programme(forum=forum, note="Benchmark programme.")
    return built


def _session(forum: Forum, slot: Slot, **fields) -> Session:
    """An unsaved session of ``slot`` with the concept note's texts, as ``SessionFactory`` builds it."""
    return SessionFactory.build(
        forum=forum,
        start=slot.start,
        end=slot.end,
        context=(
            "Cities receive most people on the move.[^1]\n\n"
            "Local governments coordinate with national and international partners.[^2]"
        ),
        methodology="A moderated panel followed by an open discussion.",
        expected_result="Recommendations for the forum's outcome document.",
        **fields,
    )


def _write_session_texts(sessions: list[Session], organizations: list[Organization]) -> None:
    """Key questions, footnote references and organizers for every session."""
    KeyQuestion.objects.bulk_create(
        [KeyQuestionFactory.build(session=s, order=n) for s in sessions for n in range(1, KEY_QUESTIONS + 1)],
        batch_size=BATCH,
    )
    Reference.objects.bulk_create(
        [ReferenceFactory.build(session=s, number=n) for s in sessions for n in range(1, REFERENCES + 1)],
        batch_size=BATCH,
    )
    organizers = []
    for index, session in enumerate(sessions):
        chosen = {organizations[(index * ORGANIZERS + k) % len(organizations)] for k in range(ORGANIZERS)}
        organizers += [
            SessionOrganizerFactory.build(session=session, organization=organization, order=order)
            for order, organization in enumerate(sorted(chosen, key=lambda o: o.pk), start=1)
        ]
    SessionOrganizer.objects.bulk_create(organizers, batch_size=BATCH)


def _people(scale: Scale, organizations: list[Organization]) -> list[Person]:
    """``scale.speakers`` people, each with one of ``organizations``."""
    return Person.objects.bulk_create(
        [
            PersonFactory.build(organization=organizations[index % len(organizations)])
            for index in range(scale.speakers)
        ],
        batch_size=BATCH,
    )


def _write_agendas(sessions: list[Session], people: list[Person]) -> None:
    """``AGENDA``'s items for every session, with people taken in turn for the roles.

    People are taken round-robin in session order, so the ones in one time slot (at most
    ``rooms`` × ``ROLES_PER_SESSION`` appearances, fewer than ``Scale`` allows speakers) are all different.
    """
    items = []
    for session in sessions:
        for order, (title, begins, ends, _roles) in enumerate(AGENDA, start=1):
            items.append(
                AgendaItemFactory.build(
                    session=session,
                    order=order,
                    title=title,
                    start=session.start + timedelta(minutes=begins),
                    end=session.start + timedelta(minutes=ends),
                )
            )
    AgendaItem.objects.bulk_create(items, batch_size=BATCH)
    roles = []
    turn = 0
    for item in items:
        for order, role in enumerate(AGENDA[item.order - 1][3], start=1):
            person = people[turn % len(people)]
            turn += 1
            roles.append(
                SpeakerRoleFactory.build(
                    agenda_item=item,
                    order=order,
                    role=role,
                    person=person,
                    position=person.position,
                    affiliation=person.organization.name,
                    organization=person.organization,
                )
            )
    SpeakerRole.objects.bulk_create(roles, batch_size=BATCH)


def _registrations(scale: Scale, forum: Forum, rng: random.Random) -> list[Registration]:
    """Open registration settings and ``scale.registrations`` registrations, the last
    ``scale.participants`` of them confirmed, each with its own verified user."""
    RegistrationSettingsFactory(forum=forum)
    # One unusable password for all: factory.django.Password would hash each (seconds apiece).
    password = factory.Transformer.Force(make_password(None))
    users = User.objects.bulk_create(UserFactory.build_batch(scale.registrations, password=password), batch_size=BATCH)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users], batch_size=BATCH
    )
    statuses, weights = zip(*STATUSES, strict=True)
    categories = list(Category)
    registrations = []
    for index, user in enumerate(users):
        participant = index >= scale.registrations - scale.participants
        registrations.append(
            RegistrationFactory.build(
                forum=forum,
                user=user,
                status=Registration.Status.CONFIRMED if participant else rng.choices(statuses, weights)[0],
                category=categories[index % len(categories)],
                country=COUNTRIES[index % len(COUNTRIES)],
                language="es" if index % 3 == 0 else "en",
            )
        )
    return Registration.objects.bulk_create(registrations, batch_size=BATCH)


def _write_signups(registrations: list[Registration], parallel_slots: list[list[Session]], rng: random.Random) -> None:
    """Sign-ups of the confirmed ``registrations``: each picks up to ``MOST_SIGNUPS`` time
    slots and one session in each, taking a seat while the session has one and joining
    its waitlist after, so sessions fill as they would."""
    taken: dict[int, int] = {}
    signups = []
    for registration in registrations:
        if registration.status != Registration.Status.CONFIRMED:
            continue
        count = rng.randint(0, min(MOST_SIGNUPS, len(parallel_slots)))
        for slot in rng.sample(parallel_slots, count):
            session = rng.choice(slot)
            capacity = session_capacity(session)
            seated = capacity is None or taken.get(session.pk, 0) < capacity
            taken[session.pk] = taken.get(session.pk, 0) + seated
            status = SessionSignup.Status.CONFIRMED if seated else SessionSignup.Status.WAITLISTED
            signups.append(SessionSignupFactory.build(registration=registration, session=session, status=status))
    SessionSignup.objects.bulk_create(signups, batch_size=BATCH)
