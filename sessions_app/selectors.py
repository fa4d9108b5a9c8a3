"""Reads of the programme for the public site: the programme by day, session pages and
their published recommendations.

Times are stored in UTC; the programme is grouped by days and time slots of the forum's
own time zone (``Forum.time_zone``), so a session at 14:00 in Quito (19:00 UTC) is on
the Quito day and in the 14:00 slot. Querysets come with their related rows loaded.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from forum.models import Forum, Room
from registration.selectors import seats_held
from sessions_app.models import KeyQuestion, Session, Theme
from sessions_app.published import PublicSchedule
from sessions_app.reads import slug_urls
from sessions_app.recommendations import Recommendation, RecommendationsDocument


@dataclass
class ThemeGroup:
    """The parallel sessions of a time slot under one theme (``theme`` is None for unthemed)."""

    theme: Theme | None
    sessions: list[Session] = field(default_factory=list)


@dataclass
class TimeSlot:
    """Sessions whose times overlap (directly or through another session of the slot):
    plenaries first, then parallel sessions by theme, so staggered parallel sessions
    (11:00 and 11:30) still sit side by side.

    ``start`` and ``end`` are aware datetimes; ``end`` is the latest end of the slot's sessions.
    """

    start: datetime
    end: datetime
    plenaries: list[Session] = field(default_factory=list)
    theme_groups: list[ThemeGroup] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionRecommendations:
    """A key question of a session and the recommendations a document gives under it, in order."""

    question: KeyQuestion
    recommendations: list[Recommendation]


@dataclass(frozen=True)
class PrintedRecommendations:
    """A recommendations document as it is read: ``document``, its ``questions``
    (``QuestionRecommendations``, every key question of its session in order) and its
    ``general`` recommendations (under no key question)."""

    document: RecommendationsDocument
    questions: list[QuestionRecommendations]
    general: list[Recommendation]


@dataclass
class ProgrammeDay:
    """One calendar day of the programme, ``date`` being the day in the forum's time zone."""

    date: date
    slots: list[TimeSlot] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    """A session's times as its card prints them, in the forum's time zone: ``start`` and
    ``end`` as "HH:MM", ``start_iso`` and ``end_iso`` as ISO 8601 with the UTC offset
    (for ``<time datetime>``)."""

    start: str
    start_iso: str
    end: str
    end_iso: str


def label_cards(sessions: list[Session], *, forum: Forum) -> None:
    """Set on each of ``sessions`` what its programme card prints, worked out here once
    rather than by template filters and tags per session (a 300-session programme spent
    most of its time in them; see README, "Performance"): ``clock`` (``Clock``, in
    ``forum``'s time zone), ``page_url`` (its page, in the active language) and
    ``organizer_names`` (its organizers' acronyms, else names, joined by " · "; needs
    ``organizer_list``). No query.

    Each organization's name is read once (a translated field's fallback costs a lookup
    per read), and the session URL is reversed once (``reads.slug_urls``).
    """
    tz = forum.tzinfo
    page_url = slug_urls("sessions_app:session-detail", "session_slug", {"forum_slug": forum.slug})
    names: dict[int, str] = {}
    for session in sessions:
        start, end = session.start.astimezone(tz), session.end.astimezone(tz)
        session.clock = Clock(
            start=start.strftime("%H:%M"),
            start_iso=start.isoformat(),
            end=end.strftime("%H:%M"),
            end_iso=end.isoformat(),
        )
        session.page_url = page_url(session.slug)
        for organizer in session.organizer_list:
            organization = organizer.organization
            if organization.pk not in names:
                names[organization.pk] = organization.acronym or organization.name
        session.organizer_names = " · ".join(names[organizer.organization_id] for organizer in session.organizer_list)


PROGRAMME_UNUSED_TEXTS = ("objective", "context", "methodology", "expected_result")
"""A session's long texts, which the programme does not print (django-modeltranslation's
``defer`` defers each language's column of them too)."""


def programme_sessions(*, forum: Forum) -> QuerySet[Session]:
    """The forum's sessions in time order with theme, room and ``organizer_list`` loaded,
    without their long texts (``PROGRAMME_UNUSED_TEXTS``, deferred: reading one costs a query)."""
    return Session.objects.filter(forum=forum).for_programme().defer(*PROGRAMME_UNUSED_TEXTS)


def programme_group(sessions: list[Session], *, tz: tzinfo) -> list[ProgrammeDay]:
    """Group ``sessions`` (sorted by start) into days and time slots of time zone ``tz``.

    A slot holds the sessions that overlap in time: a session starting before the
    current slot ends joins it. In a slot, plenary sessions come first in their given
    order; parallel sessions are grouped under their theme, themes by their ``order``
    and the unthemed last. Pure function: no query is made beyond the relations
    already loaded (``theme``).
    """
    days: list[ProgrammeDay] = []
    for session in sessions:
        local_day = session.start.astimezone(tz).date()
        if not days or days[-1].date != local_day:
            days.append(ProgrammeDay(date=local_day))
        slots = days[-1].slots
        if not slots or session.start >= slots[-1].end:
            slots.append(TimeSlot(start=session.start, end=session.end))
        slot = slots[-1]
        slot.end = max(slot.end, session.end)
        if session.is_plenary:
            slot.plenaries.append(session)
            continue
        group = next((g for g in slot.theme_groups if g.theme == session.theme), None)
        if group is None:
            group = ThemeGroup(theme=session.theme)
            slot.theme_groups.append(group)
        group.sessions.append(session)
    for day in days:
        for slot in day.slots:
            slot.theme_groups.sort(key=lambda g: (g.theme is None, g.theme.order if g.theme else 0))
    return days


def session_page(*, forum_slug: str, session_slug: str) -> Session | None:
    """The session ``session_slug`` of the published forum ``forum_slug`` with what its
    page prints, or None if there is none.

    The session has what ``Session.objects.for_session_page()`` loads (forum, theme, room,
    key questions, references, organizers, agenda items with their speaker roles), its
    forum's registration settings and its recommendations document (if any) joined, and
    ``seats_taken``, its confirmed sign-ups (what ``registration.selectors.seats_taken``
    counts), read in the same query as a subquery (see "Using aggregates within a
    Subquery expression", https://docs.djangoproject.com/en/5.2/ref/models/expressions/).
    Six queries, whatever the session holds.
    """
    confirmed = (
        seats_held().filter(session=OuterRef("pk")).order_by().values("session").annotate(n=Count("pk")).values("n")
    )
    return (
        Session.objects.filter(forum__slug=forum_slug, forum__is_published=True, slug=session_slug)
        .for_session_page()
        .select_related("forum__registration_settings", "recommendations")
        .annotate(seats_taken=Coalesce(Subquery(confirmed), 0))
        .first()
    )


def group_recommendations(
    document: RecommendationsDocument, key_questions: list[KeyQuestion], recommendations: list[Recommendation]
) -> PrintedRecommendations:
    """``recommendations`` (of ``document``, in order) under each of ``key_questions`` (in
    order); those under no key question (or one not in ``key_questions``) are general.
    Each recommendation gets ``number``, counting 1, 2, 3… in the order they print (by
    key question, then the general ones), so printed numbers always read in sequence.
    Reads only ``key_question_id``."""
    by_question: dict[int, list[Recommendation]] = {question.pk: [] for question in key_questions}
    general = []
    for recommendation in recommendations:
        by_question.get(recommendation.key_question_id, general).append(recommendation)
    questions = [QuestionRecommendations(question, by_question[question.pk]) for question in key_questions]
    printed = [recommendation for group in questions for recommendation in group.recommendations] + general
    for number, recommendation in enumerate(printed, start=1):
        recommendation.number = number
    return PrintedRecommendations(document=document, questions=questions, general=general)


def published_recommendations(session: Session) -> PrintedRecommendations | None:
    """``session``'s recommendations document if it is published, grouped by its key
    questions; None otherwise.

    ``session`` comes from ``session_page`` (its document joined, ``key_question_list``
    loaded). Always one query, the published document's recommendations (none for a
    draft), so the page's query count does not depend on the document.
    """
    recommendations = list(
        Recommendation.objects.filter(
            document__session=session, document__status=RecommendationsDocument.Status.PUBLISHED
        ).order_by("order")
    )
    document = getattr(session, "recommendations", None)
    if document is None or document.status != RecommendationsDocument.Status.PUBLISHED:
        return None
    return group_recommendations(document, session.key_question_list, recommendations)


class Phase(StrEnum):
    """Where a moment falls in a forum's programme, for the "now and next" screen."""

    EMPTY = "empty"  # the forum has no session
    BEFORE = "before"  # the day of the forum's first session has not come
    DURING = "during"  # from that day until the last session ends
    AFTER = "after"  # the last session has ended


@dataclass
class RoomNowNext:
    """A row of the "now and next" screen: the plenaries (``plenary``) or the parallel sessions
    of ``room`` (None: of no room), with the sessions running ``now`` and the ``next`` ones
    starting today (those at the earliest later start)."""

    room: Room | None
    plenary: bool = False
    now: list[Session] = field(default_factory=list)
    next: list[Session] = field(default_factory=list)


@dataclass
class NowNext:
    """A forum's programme seen at moment ``at`` (aware, in the forum's time zone).

    During the forum: ``plenaries`` (a row of the plenaries now and next, None when there is
    none today from ``at`` on), ``rooms`` (a row per room of the parallel sessions now and
    next; rooms with neither left out; by room name, sessions without a room last) and
    ``cancelled`` (today's cancelled sessions not yet over). Cancelled sessions are never
    "now" or "next": the row shows what the room really holds.

    ``later_day`` and ``later_sessions``: before the forum, its first day and the sessions
    starting first on it; during the forum, when nothing runs or follows today, the same
    for the next day with sessions. Otherwise None and empty.
    """

    at: datetime
    phase: Phase
    plenaries: RoomNowNext | None = None
    rooms: list[RoomNowNext] = field(default_factory=list)
    cancelled: list[Session] = field(default_factory=list)
    later_day: date | None = None
    later_sessions: list[Session] = field(default_factory=list)

    @property
    def rows(self) -> list[RoomNowNext]:
        """The plenaries' row (if any) followed by the rooms' rows."""
        return ([self.plenaries] if self.plenaries else []) + self.rooms


def now_and_next(*, forum: Forum, at: datetime, schedule: PublicSchedule | None = None) -> NowNext:
    """``forum``'s programme at ``at`` (aware), in its time zone, as ``schedule`` shows it
    (``sessions_app.published``; by default as it stands); one query, rooms and themes joined."""
    sessions = Session.objects.filter(forum=forum).select_related("room", "theme").order_by("start", "title")
    shown = schedule.apply(sessions) if schedule is not None else list(sessions)
    return now_and_next_of(shown, at=at, tz=forum.tzinfo)


def now_and_next_of(sessions: list[Session], *, at: datetime, tz: tzinfo) -> NowNext:
    """``now_and_next`` for ``sessions`` (sorted by start, ``room`` loaded), "today" being
    ``at``'s date in ``tz``. Pure function: no query."""
    at = at.astimezone(tz)
    if not sessions:
        return NowNext(at=at, phase=Phase.EMPTY)
    if at >= max(session.end for session in sessions):
        return NowNext(at=at, phase=Phase.AFTER)
    held = [session for session in sessions if not session.is_cancelled]
    today = at.date()
    if today < sessions[0].start.astimezone(tz).date():
        later_day, later_sessions = _first_sessions(held, after=at, tz=tz)
        return NowNext(at=at, phase=Phase.BEFORE, later_day=later_day, later_sessions=later_sessions)
    running = [session for session in held if session.start <= at < session.end]
    coming = [session for session in held if session.start > at and session.start.astimezone(tz).date() == today]
    result = NowNext(
        at=at,
        phase=Phase.DURING,
        cancelled=[
            session
            for session in sessions
            if session.is_cancelled and session.end > at and session.start.astimezone(tz).date() == today
        ],
    )
    rows: dict[int | None, RoomNowNext] = {}

    def row_of(session: Session) -> RoomNowNext:
        if session.is_plenary:
            result.plenaries = result.plenaries or RoomNowNext(room=None, plenary=True)
            return result.plenaries
        return rows.setdefault(session.room_id, RoomNowNext(room=session.room))

    for session in running:
        row_of(session).now.append(session)
    for session in coming:
        row = row_of(session)
        if not row.next or row.next[0].start == session.start:
            row.next.append(session)
    result.rooms = sorted(rows.values(), key=lambda row: (row.room is None, row.room.name if row.room else ""))
    if not running and not coming:
        result.later_day, result.later_sessions = _first_sessions(held, after=at, tz=tz)
    return result


def _first_sessions(held: list[Session], *, after: datetime, tz: tzinfo) -> tuple[date | None, list[Session]]:
    """The first day (in ``tz``) with a session of ``held`` starting after ``after``, and the
    sessions starting first on it; (None, []) if there is none."""
    later = [session for session in held if session.start > after]
    if not later:
        return None, []
    first = later[0].start
    return first.astimezone(tz).date(), [session for session in later if session.start == first]
