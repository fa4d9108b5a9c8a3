"""A published forum with every relation the public pages and the admin read, grown in steps.

``build_world`` makes the forum (registration open, host organizations, a quota), a
participant, a rapporteur and an organizer; ``add_sessions`` adds sessions with all
they carry; ``release_and_revise`` releases the programme and then retitles every
session, so the public pages read a release while the admin has pending changes to
show. Rows are written with the project's factories (``build`` + ``bulk_create``, so
100 sessions take a few seconds). Used by ``forum.tests.test_query_counts``.

Times are in the forum's zone, America/Guayaquil: session ``n`` is on day ``n // 40``
(22 to 24 January 2020) in hour slot ``(n // 5) % 8`` from 9:00, five sessions a slot;
every tenth session (from the sixth) is a plenary.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from forum.models import Forum, Organization, Person, Room, User
from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory, UserFactory
from registration.models import Notification, Registration, SessionSignup
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    VerifiedUserFactory,
)
from sessions_app.models import (
    AgendaItem,
    GeneratedDocument,
    KeyQuestion,
    Reference,
    Session,
    SessionOrganizer,
    SpeakerRole,
    Theme,
)
from sessions_app.recommendations import Recommendation, RecommendationsDocument, RecommendationsVersion
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    RecommendationFactory,
    RecommendationsDocumentFactory,
    ReferenceFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)

SESSIONS_PER_SLOT = 5
SLOTS_PER_DAY = 8
SESSIONS_PER_THEME = 20
REGISTRANTS_PER_SESSION = 3
SPEAKERS_PER_ITEM = 2
AGENDA_ITEMS = 3


@dataclass
class World:
    """The forum and the accounts measured: ``participant`` (a confirmed registration,
    ``registration``, signed up for the first parallel session of each slot),
    ``rapporteur`` (linked to ``rapporteur_person``, rapporteur of every session) and
    ``organizer`` (a superuser). ``sessions`` counts the sessions added so far."""

    forum: Forum
    participant: User
    registration: Registration
    rapporteur: User
    rapporteur_person: Person
    organizer: User
    sessions: int = 0

    def first_session(self) -> Session:
        """The forum's first session (parallel, signed up for by ``participant``, its
        recommendations published)."""
        return Session.objects.filter(forum=self.forum).order_by("pk").first()


def build_world() -> World:
    """A published forum of three days with open registration and no session yet."""
    forum = ForumFactory(start_date=date(2020, 1, 22), end_date=date(2020, 1, 24), is_published=True)
    forum.host_organizations.set(OrganizationFactory.create_batch(2, kind=Organization.Kind.UN_AGENCY))
    settings = RegistrationSettingsFactory(forum=forum)
    CategoryQuotaFactory(settings=settings, places=500)
    participant = VerifiedUserFactory()
    rapporteur = VerifiedUserFactory()
    return World(
        forum=forum,
        participant=participant,
        registration=RegistrationFactory(forum=forum, user=participant),
        rapporteur=rapporteur,
        rapporteur_person=PersonFactory(user=rapporteur, position="Rapporteur"),
        organizer=UserFactory(is_staff=True, is_superuser=True),
    )


def add_sessions(world: World, count: int) -> None:
    """Add ``count`` sessions to ``world.forum``, each with a room, a theme, two organizers,
    two key questions, two footnotes, three agenda items of two speakers each (and the
    rapporteur on the last), a recommendations document with two recommendations and two
    versions (every third published, the first included), a generated agenda PDF and
    three more registrations signed up for it with their notifications."""
    forum = world.forum
    first = world.sessions
    numbers = range(first, first + count)
    themes = _themes(forum, first + count)
    rooms = Room.objects.bulk_create([RoomFactory.build(forum=forum) for _ in numbers])
    sessions = Session.objects.bulk_create(
        [_session(forum, n, themes[n // SESSIONS_PER_THEME], room) for n, room in zip(numbers, rooms, strict=True)]
    )
    organizations = Organization.objects.bulk_create(OrganizationFactory.build_batch(2 * count))
    SessionOrganizer.objects.bulk_create(
        SessionOrganizerFactory.build(session=session, organization=organizations[2 * i + k], order=k + 1)
        for i, session in enumerate(sessions)
        for k in range(2)
    )
    questions = KeyQuestion.objects.bulk_create(
        KeyQuestionFactory.build(session=session, order=k + 1) for session in sessions for k in range(2)
    )
    Reference.objects.bulk_create(
        ReferenceFactory.build(session=session, number=k + 1) for session in sessions for k in range(2)
    )
    items = AgendaItem.objects.bulk_create(
        AgendaItemFactory.build(session=session, order=k + 1, start=session.start + timedelta(minutes=15 * k))
        for session in sessions
        for k in range(AGENDA_ITEMS)
    )
    _add_speakers(world, items)
    _add_recommendations(world, sessions, questions)
    _add_documents(forum, sessions)
    _add_registrants(world, sessions)
    world.sessions += count


def release_and_revise(world: World, note: str) -> None:
    """Release the programme as it stands, then retitle every session (pending changes for
    the admin's release page; the public reads titles as they are now)."""
    release_programme(forum=world.forum, user=world.organizer, note=note)
    Session.objects.filter(forum=world.forum).update(title_en=Concat(F("title_en"), Value(" (revised)")))


def ready_document(forum: Forum, session: Session | None, kind: str) -> GeneratedDocument:
    """A READY generated document of ``kind`` with a small stored PDF file (for the admin's download)."""
    document = GeneratedDocument(
        forum=forum,
        session=session,
        kind=kind,
        content_hash=f"ready-{kind}-{session.pk if session else 0}".ljust(64, "0"),
        status=GeneratedDocument.Status.READY,
        render_seconds=1.5,
    )
    document.file.save("ready.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    document.save()
    return document


def status_document(forum: Forum, session: Session | None, kind: str) -> GeneratedDocument:
    """A FAILED generated document of ``kind`` whose hash starts with "status-" (for its status page)."""
    return GeneratedDocument.objects.create(
        forum=forum,
        session=session,
        kind=kind,
        content_hash=f"status-{kind}".ljust(64, "0"),
        status=GeneratedDocument.Status.FAILED,
        error="The render timed out.",
    )


def _themes(forum: Forum, sessions: int) -> list[Theme]:
    """The forum's themes, made up to one per ``SESSIONS_PER_THEME`` sessions of ``sessions``."""
    themes = list(Theme.objects.filter(forum=forum).order_by("order"))
    needed = (sessions - 1) // SESSIONS_PER_THEME + 1
    if len(themes) < needed:
        themes += Theme.objects.bulk_create(
            ThemeFactory.build(forum=forum, order=n + 1) for n in range(len(themes), needed)
        )
    return themes


def _session(forum: Forum, n: int, theme: Theme, room: Room) -> Session:
    """Session number ``n`` (see the module docstring for its time and kind)."""
    slot = n // SESSIONS_PER_SLOT
    start = quito_time(9) + timedelta(days=slot // SLOTS_PER_DAY, hours=slot % SLOTS_PER_DAY)
    plenary = n % 10 == 5
    return SessionFactory.build(
        forum=forum,
        kind=Session.Kind.PLENARY if plenary else Session.Kind.PARALLEL,
        theme=None if plenary else theme,
        room=room,
        start=start,
        end=start + timedelta(minutes=50),
        context="Cities receive migrants.[^1] They need funds.[^2]",
        methodology="Panel and open discussion.",
        expected_result="A document of recommendations.",
    )


def _add_speakers(world: World, items: list[AgendaItem]) -> None:
    """Two speakers (new people, each of a new organization) per item, and the rapporteur
    on each session's last item."""
    organizations = Organization.objects.bulk_create(OrganizationFactory.build_batch(SPEAKERS_PER_ITEM * len(items)))
    people = Person.objects.bulk_create(PersonFactory.build(organization=org) for org in organizations)
    roles = [
        SpeakerRoleFactory.build(
            agenda_item=item,
            order=k + 1,
            person=people[SPEAKERS_PER_ITEM * i + k],
            organization=organizations[SPEAKERS_PER_ITEM * i + k],
            position="Mayor",
            affiliation="City Hall",
        )
        for i, item in enumerate(items)
        for k in range(SPEAKERS_PER_ITEM)
    ]
    roles += [
        SpeakerRoleFactory.build(
            agenda_item=item,
            order=SPEAKERS_PER_ITEM + 1,
            role=SpeakerRole.Role.RAPPORTEUR,
            person=world.rapporteur_person,
            organization=None,
        )
        for item in items
        if item.order == AGENDA_ITEMS
    ]
    SpeakerRole.objects.bulk_create(roles)


def _add_recommendations(world: World, sessions: list[Session], questions: list[KeyQuestion]) -> None:
    """A recommendations document per session (every third published, from the first; the
    others alternately submitted and draft), two recommendations and two versions each."""
    first = world.sessions
    statuses = [
        RecommendationsDocument.Status.PUBLISHED
        if (first + i) % 3 == 0
        else RecommendationsDocument.Status.SUBMITTED
        if (first + i) % 3 == 1
        else RecommendationsDocument.Status.DRAFT
        for i in range(len(sessions))
    ]
    now = timezone.now()
    documents = RecommendationsDocument.objects.bulk_create(
        RecommendationsDocumentFactory.build(
            session=session,
            status=status,
            version=2,
            updated_by=world.rapporteur,
            published_at=now if status == RecommendationsDocument.Status.PUBLISHED else None,
        )
        for session, status in zip(sessions, statuses, strict=True)
    )
    Recommendation.objects.bulk_create(
        RecommendationFactory.build(document=document, key_question=questions[2 * i + k], order=k + 1)
        for i, document in enumerate(documents)
        for k in range(2)
    )
    RecommendationsVersion.objects.bulk_create(
        RecommendationsVersion(
            document=document,
            number=number,
            event=event,
            created_by=world.rapporteur,
            snapshot={"introduction": f"Version {number}", "conclusions": "", "recommendations": []},
        )
        for document in documents
        for number, event in ((1, RecommendationsVersion.Event.CREATED), (2, RecommendationsVersion.Event.EDITED))
    )


def _add_documents(forum: Forum, sessions: list[Session]) -> None:
    """A failed agenda PDF per session (the admin's generated documents list)."""
    GeneratedDocument.objects.bulk_create(
        GeneratedDocument(
            forum=forum,
            session=session,
            kind=GeneratedDocument.Kind.SESSION_AGENDA,
            content_hash=f"failed-{session.pk}".ljust(64, "0"),
            status=GeneratedDocument.Status.FAILED,
            error="WeasyPrint could not load a font.",
            render_seconds=0.5,
        )
        for session in sessions
    )


def _add_registrants(world: World, sessions: list[Session]) -> None:
    """Three new confirmed registrations per session, each signed up for it (the third on
    its waitlist) with the notifications of both; ``world.participant`` signs up for the
    first parallel session of each slot."""
    forum = world.forum
    users = User.objects.bulk_create(UserFactory.build_batch(REGISTRANTS_PER_SESSION * len(sessions)))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    registrations = Registration.objects.bulk_create(
        RegistrationFactory.build(forum=forum, user=user) for user in users
    )
    now = timezone.now()
    signups = []
    for i, session in enumerate(sessions):
        if session.kind == Session.Kind.PLENARY:
            continue
        for k in range(REGISTRANTS_PER_SESSION):
            waitlisted = k == REGISTRANTS_PER_SESSION - 1
            signups.append(
                SessionSignup(
                    registration=registrations[REGISTRANTS_PER_SESSION * i + k],
                    session=session,
                    status=SessionSignup.Status.WAITLISTED if waitlisted else SessionSignup.Status.CONFIRMED,
                    waitlisted_at=now if waitlisted else None,
                )
            )
    mine = [
        session
        for n, session in enumerate(sessions, start=world.sessions)
        if session.kind == Session.Kind.PARALLEL and n % SESSIONS_PER_SLOT == 0
    ]
    signups += [
        SessionSignup(registration=world.registration, session=session, status=SessionSignup.Status.CONFIRMED)
        for session in mine
    ]
    SessionSignup.objects.bulk_create(signups)
    Notification.objects.bulk_create(
        [Notification(registration=registration, kind=Notification.Kind.CONFIRMED) for registration in registrations]
        + [
            Notification(
                registration=signup.registration, kind=Notification.Kind.SESSION_CONFIRMED, session=signup.session
            )
            for signup in signups
        ]
    )
