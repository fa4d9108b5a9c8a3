"""Reads of the programme for the public site: the programme by day, session pages and
their published recommendations.

Times are stored in UTC; the programme is grouped by days and time slots of the forum's
own time zone (``Forum.time_zone``), so a session at 14:00 in Quito (19:00 UTC) is on
the Quito day and in the 14:00 slot. Querysets come with their related rows loaded.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from django.db.models import QuerySet

from forum.models import Forum
from sessions_app.models import KeyQuestion, Session, Theme
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


def programme_sessions(*, forum: Forum) -> QuerySet[Session]:
    """The forum's sessions in time order with theme, room and ``organizer_list`` loaded."""
    return Session.objects.filter(forum=forum).for_programme()


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


def programme_days(*, forum: Forum) -> list[ProgrammeDay]:
    """The forum's programme by day and time slot in its time zone, in two queries."""
    return programme_group(list(programme_sessions(forum=forum)), tz=forum.tzinfo)


def session_for_page(*, forum_slug: str) -> QuerySet[Session]:
    """Sessions of the published forum ``forum_slug``, to look one up by slug for its page.

    Each session has its forum, theme and room joined and ``key_question_list``,
    ``reference_list``, ``organizer_list`` and ``agenda_item_list`` (each item with its
    ``speaker_role_list``, people and organizations joined) prefetched in order, and its
    recommendations document (if any) joined.
    """
    return (
        Session.objects.filter(forum__slug=forum_slug, forum__is_published=True)
        .for_session_page()
        .select_related("recommendations")
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

    ``session`` comes from ``session_for_page`` (its document joined, ``key_question_list``
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
