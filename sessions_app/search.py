"""Finding sessions in a forum's programme: filters by day, kind, theme, room,
organization and speaker, and a text search over titles, objectives and people.

The text search runs in the database:

- On PostgreSQL it is full-text search (``django.contrib.postgres.search``): one
  ``to_tsvector`` per session over every column of ``SEARCH_FIELDS`` (the related ones,
  such as speaker names, gathered per session with ``string_agg``), matched with a
  ``websearch_to_tsquery`` (words are ANDed, "quoted phrases", ``or`` and ``-word`` work as
  on search engines; punctuation never raises a syntax error). The configuration is
  ``'simple'``: it lowercases but does not stem, the only built-in configuration that treats
  English and Spanish text alike (an ``'english'`` stemmer would mangle Spanish words and
  the reverse). Accents are folded on both sides with PostgreSQL's built-in ``translate()``
  and ``ACCENT_FOLDING``, so "Garces" finds "Garcés" and "migracion" finds "migración"; the
  ``unaccent`` extension would do the same but needs a migration to install it. Matches are
  whole words: "migra" does not find "migration".
- On SQLite (development and the default test run) each word of the search must occur,
  case-insensitively for ASCII letters (``icontains``), in one of the same columns; parts
  of words match, accents are not folded.

Results are shown in programme (time) order, grouped by day, so no ``SearchRank`` is
computed: a relevance order would break the programme's layout.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Expression, F, Func, OuterRef, Q, QuerySet, Subquery, TextField, Value
from modeltranslation import settings as translation_settings
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

from forum.models import Forum, Organization, Person, Room
from forum.selectors import appearances_in
from sessions_app.models import Session, SessionOrganizer, SpeakerRole, Theme
from sessions_app.published import PublicSchedule
from sessions_app.selectors import programme_sessions

SEARCH_FIELDS: tuple[str, ...] = (
    "title",
    "objective",
    "agenda_items__speaker_roles__person__name",
    "organizers__organization__name",
    "organizers__organization__acronym",
)
"""What the search box looks in: field paths from ``Session``.

A field translated with django-modeltranslation (``title``, an organization's ``name``) is
searched in every language's column (``title_en``, ``title_es``, see ``searched_columns``),
so a visitor finds a session in either language whatever the page's language is.
"""

MAX_QUERY_LENGTH = 200
"""The longest search accepted, in characters (a title is at most 300; a search is a few words)."""

SEARCH_CONFIG = "simple"
"""PostgreSQL text search configuration: lowercase, no stemming, no stop words (see above)."""

_ACCENTED = "áàâäãåāéèêëēíìîïīóòôöõōúùûüūñçýÿÁÀÂÄÃÅĀÉÈÊËĒÍÌÎÏĪÓÒÔÖÕŌÚÙÛÜŪÑÇÝ"
ACCENT_FOLDING: tuple[str, str] = (
    _ACCENTED,
    "".join(unicodedata.normalize("NFD", letter)[0] for letter in _ACCENTED),
)
"""Accented Latin letters and their plain forms, for PostgreSQL's ``translate(text, from, to)``
and Python's ``str.translate`` alike."""

_FOLD_TABLE = str.maketrans(*ACCENT_FOLDING)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ProgrammeFilters:
    """What a visitor asked the programme for; an empty value (None, "") filters nothing.

    ``day`` is a calendar day in the forum's time zone; ``kind`` a ``Session.Kind`` value;
    ``theme``, ``room``, ``organization`` and ``speaker`` are primary keys of a ``Theme``,
    ``Room``, ``Organization`` and ``Person``; ``q`` the text searched (at most
    ``MAX_QUERY_LENGTH`` characters, checked by the form).
    """

    q: str = ""
    day: date | None = None
    kind: str = ""
    theme: int | None = None
    room: int | None = None
    organization: int | None = None
    speaker: int | None = None

    @property
    def has_filters(self) -> bool:
        """True if any filter besides the search is given."""
        return any(
            value not in (None, "")
            for value in (self.day, self.kind, self.theme, self.room, self.organization, self.speaker)
        )

    @property
    def is_active(self) -> bool:
        """True if a search or any filter is given."""
        return bool(self.q) or self.has_filters


@dataclass(frozen=True)
class FilterOptions:
    """The values offered by the programme's filters: the forum's ``days`` (in its time zone)
    and the themes, rooms, organizations and speakers (people) of its sessions."""

    days: list[date]
    themes: list[Theme]
    rooms: list[Room]
    organizations: list[Organization]
    speakers: list[Person]


def programme_filter_options(forum: Forum, schedule: PublicSchedule | None = None) -> FilterOptions:
    """The choices of the programme's filters for ``forum``, in four queries.

    Themes (by their order) and rooms (by name) that hold a session of the forum;
    organizations (by name) that organize one of its sessions or are named in a speaker
    role on its agendas; people (by name) who appear in a speaker role on its agendas.
    Days run from ``forum.start_date`` to ``forum.end_date``. With ``schedule``
    (``published``), organizations and people of sessions it does not show are left out.
    """
    roles = appearances_in(forum, schedule)
    return FilterOptions(
        days=forum.days,
        themes=list(
            Theme.objects.filter(pk__in=Session.objects.filter(forum=forum).values("theme_id")).order_by("order", "pk")
        ),
        rooms=list(Room.objects.filter(pk__in=Session.objects.filter(forum=forum).values("room_id")).order_by("name")),
        organizations=list(
            Organization.objects.filter(
                Q(pk__in=SessionOrganizer.objects.filter(session__forum=forum).values("organization_id"))
                | Q(pk__in=roles.values("organization_id"))
            ).order_by("name", "pk")
        ),
        speakers=list(Person.objects.filter(pk__in=roles.values("person_id")).order_by("name", "pk").only("name")),
    )


def programme_search(*, forum: Forum, filters: ProgrammeFilters) -> QuerySet[Session]:
    """The sessions of ``forum`` that pass every given filter, in programme order, with
    theme, room and ``organizer_list`` loaded (``selectors.programme_sessions``).

    ``day`` keeps the sessions starting on that day of the forum's time zone;
    ``organization`` the sessions it organizes or in which someone appears for it (a
    speaker role's organization); ``speaker`` those where the person appears in a speaker
    role; ``q`` those matching the text search described in this module's docstring
    (a search without any word, e.g. "!!!", matches nothing). Builds one query (with
    subqueries); nothing is read before the queryset is evaluated.
    """
    sessions = programme_sessions(forum=forum)
    if filters.day is not None:
        opens, closes = forum.day_bounds(filters.day)
        sessions = sessions.filter(start__gte=opens, start__lt=closes)
    if filters.kind:
        sessions = sessions.filter(kind=filters.kind)
    if filters.theme is not None:
        sessions = sessions.filter(theme_id=filters.theme)
    if filters.room is not None:
        sessions = sessions.filter(room_id=filters.room)
    if filters.organization is not None:
        sessions = sessions.filter(
            Q(pk__in=SessionOrganizer.objects.filter(organization_id=filters.organization).values("session_id"))
            | Q(
                pk__in=SpeakerRole.objects.filter(organization_id=filters.organization).values(
                    "agenda_item__session_id"
                )
            )
        )
    if filters.speaker is not None:
        sessions = sessions.filter(
            pk__in=SpeakerRole.objects.filter(person_id=filters.speaker).values("agenda_item__session_id")
        )
    if filters.q:
        sessions = _text_search(sessions, filters.q)
    return sessions


def released_programme_search(*, forum: Forum, filters: ProgrammeFilters, schedule: PublicSchedule) -> list[Session]:
    """``programme_search`` for a visitor who sees ``schedule`` (``sessions_app.published``):
    the sessions as released, the day and room filters applied to their released day and
    room (in Python, after ``schedule.apply``), the other filters and the search in the
    database. Same queries as ``programme_search``."""
    if not schedule.overlays:
        return list(programme_search(forum=forum, filters=filters))
    in_database = replace(filters, day=None, room=None)
    sessions = schedule.apply(programme_search(forum=forum, filters=in_database))
    if filters.day is not None:
        sessions = [session for session in sessions if session.start.astimezone(forum.tzinfo).date() == filters.day]
    if filters.room is not None:
        sessions = [session for session in sessions if session.room_id == filters.room]
    return sessions


def searched_columns(fields: tuple[str, ...] = SEARCH_FIELDS) -> list[str]:
    """``fields`` (paths from ``Session``) with each field translated by modeltranslation
    replaced by its column in every available language, e.g. ``title`` → ``title_en``,
    ``title_es``; other fields stay as given. Raises ``FieldDoesNotExist`` for a wrong path."""
    columns: list[str] = []
    for path in fields:
        *relations, name = path.split("__")
        model = Session
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        try:
            translated = name in translator.get_options_for_model(model).get_field_names()
        except NotRegistered:
            translated = False
        names = (
            [build_localized_fieldname(name, language) for language in translation_settings.AVAILABLE_LANGUAGES]
            if translated
            else [name]
        )
        columns += ["__".join([*relations, column]) for column in names]
    return columns


def fold_accents(text: str) -> str:
    """``text`` with the accented letters of ``ACCENT_FOLDING`` made plain ("Garcés" → "Garces")."""
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def _text_search(sessions: QuerySet[Session], text: str) -> QuerySet[Session]:
    """``sessions`` narrowed to those matching ``text`` (PostgreSQL full-text search, or one
    ``icontains`` per word elsewhere)."""
    columns = searched_columns()
    if connections[sessions.db].vendor == "postgresql":
        document = SearchVector(*(_folded(_column_text(column)) for column in columns), config=SEARCH_CONFIG)
        query = SearchQuery(fold_accents(text), config=SEARCH_CONFIG, search_type="websearch")
        return sessions.alias(document=document).filter(document=query)
    words = dict.fromkeys(_WORD.findall(text))
    if not words:
        return sessions.none()
    candidates = sessions
    for word in words:
        anywhere = Q()
        for column in columns:
            anywhere |= Q(**{f"{column}__icontains": word})
        sessions = sessions.filter(pk__in=candidates.filter(anywhere).values("pk"))
    return sessions


def _column_text(column: str) -> Expression:
    """A session's text in ``column``: the field itself, or for a path through a relation the
    values of all related rows joined by spaces (one subquery per session)."""
    if "__" not in column:
        return F(column)
    return Subquery(
        Session.objects.filter(pk=OuterRef("pk"))
        .order_by()
        .annotate(text=StringAgg(column, delimiter=" ", output_field=TextField()))
        .values("text")
    )


def _folded(expression: Expression) -> Func:
    """``expression`` with its accented letters made plain, by PostgreSQL's ``translate()``."""
    accented, plain = ACCENT_FOLDING
    return Func(expression, Value(accented), Value(plain), function="TRANSLATE", output_field=TextField())
