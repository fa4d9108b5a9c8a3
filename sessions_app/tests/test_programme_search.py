"""Finding a session on the programme page: filters, the search box, their messages and cost."""

import html as html_lib
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from modeltranslation.translator import NotRegistered, translator

from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, SessionSignupFactory
from sessions_app.filter_forms import LongSelect
from sessions_app.models import Session
from sessions_app.search import MAX_QUERY_LENGTH, SEARCH_FIELDS, searched_columns
from sessions_app.tests.factories import (
    AgendaItemFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ON_POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="full-text search runs on PostgreSQL only (set DATABASE_URL=postgres://…)"
)

# forum with registration settings, sessions with theme and room, their organizers, seats taken, and the
# filters' choices: themes, rooms, organizations, speakers.
PROGRAMME_QUERIES = 9

_CARD_TITLE = re.compile(r'class="session-card-title[^"]*">\s*<a href="[^"]*">([^<]*)</a>')


def programme_url(forum, **query) -> str:
    url = reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug})
    return f"{url}?{urlencode(query)}" if query else url


def shown_titles(response) -> set[str]:
    """The titles of the session cards on a programme page."""
    assert response.status_code == 200
    return {html_lib.unescape(title) for title in _CARD_TITLE.findall(response.content.decode())}


class Programme:
    """A two-day forum in Quito: an opening plenary, two parallel sessions under two themes
    in two rooms, and a closing plenary the next day; the word "cities" is in every
    objective but the opening's."""

    def __init__(self):
        self.forum = ForumFactory(end_date=quito_time(0).date() + timedelta(days=1))
        forum = self.forum
        self.first_responders = ThemeFactory(forum=forum, title="Cities as first responders", order=1)
        self.climate_theme = ThemeFactory(forum=forum, title="Climate and mobility", order=2)
        self.pichincha = RoomFactory(forum=forum, name="Sala Pichincha")
        self.quito_room = RoomFactory(forum=forum, name="Sala Quito")
        self.undp = OrganizationFactory(name="United Nations Development Program", acronym="UNDP")
        self.alliance = OrganizationFactory(name="Cities Alliance")
        self.garces = PersonFactory(name="María Fernanda Garcés")
        self.woeger = PersonFactory(name="Alfred Woeger")
        self.opening = SessionFactory(
            forum=forum,
            kind=Session.Kind.PLENARY,
            title="Opening plenary",
            objective="Welcome the mayors.",
            room=self.pichincha,
            start=quito_time(9),
        )
        self.housing = SessionFactory(
            forum=forum,
            theme=self.first_responders,
            title="Housing for newcomers",
            objective="Discuss informal settlements in cities.",
            room=self.pichincha,
            start=quito_time(14),
        )
        self.climate = SessionFactory(
            forum=forum,
            theme=self.climate_theme,
            title="Climate displacement",
            objective="Map how cities receive people displaced by disasters.",
            room=self.quito_room,
            start=quito_time(14),
        )
        self.closing = SessionFactory(
            forum=forum,
            kind=Session.Kind.PLENARY,
            title="Closing plenary",
            objective="Adopt the declaration of cities.",
            room=self.pichincha,
            start=quito_time(10) + timedelta(days=1),
        )
        SessionOrganizerFactory(session=self.housing, organization=self.undp)
        SessionOrganizerFactory(session=self.closing, organization=self.alliance)
        SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=self.housing), person=self.garces)
        SpeakerRoleFactory(
            agenda_item=AgendaItemFactory(session=self.climate), person=self.woeger, organization=self.alliance
        )


@pytest.fixture
def programme() -> Programme:
    return Programme()


ALL = {"Opening plenary", "Housing for newcomers", "Climate displacement", "Closing plenary"}
CITIES = {"Housing for newcomers", "Climate displacement", "Closing plenary"}  # what "cities" finds

# (query built from the programme, titles it keeps)
FILTERS = {
    "first day": (
        lambda p: {"day": "2020-01-22"},
        {"Opening plenary", "Housing for newcomers", "Climate displacement"},
    ),
    "second day": (lambda p: {"day": "2020-01-23"}, {"Closing plenary"}),
    "plenary": (lambda p: {"kind": "plenary"}, {"Opening plenary", "Closing plenary"}),
    "parallel": (lambda p: {"kind": "parallel"}, {"Housing for newcomers", "Climate displacement"}),
    "theme": (lambda p: {"theme": p.first_responders.pk}, {"Housing for newcomers"}),
    "room": (lambda p: {"room": p.pichincha.pk}, {"Opening plenary", "Housing for newcomers", "Closing plenary"}),
    "organizer organization": (lambda p: {"organization": p.undp.pk}, {"Housing for newcomers"}),
    "organizer or speaker's organization": (
        lambda p: {"organization": p.alliance.pk},
        {"Climate displacement", "Closing plenary"},
    ),
    "speaker": (lambda p: {"speaker": p.woeger.pk}, {"Climate displacement"}),
}


@pytest.mark.parametrize("name", FILTERS)
def test_programme_filter_alone_keeps_only_its_sessions(client, programme, name):
    query, expected = FILTERS[name]

    response = client.get(programme_url(programme.forum, **query(programme)))

    assert shown_titles(response) == expected
    count = len(expected)
    summary = f"{count} session matches." if count == 1 else f"{count} sessions match."
    assert summary in page_text(response.content)


@pytest.mark.parametrize("name", FILTERS)
def test_programme_filter_combined_with_search_keeps_sessions_matching_both(client, programme, name):
    query, expected = FILTERS[name]

    response = client.get(programme_url(programme.forum, q="cities", **query(programme)))

    assert shown_titles(response) == expected & CITIES


def test_programme_filters_combine_with_each_other(client, programme):
    query = {"day": "2020-01-22", "room": programme.pichincha.pk, "kind": "parallel"}

    assert shown_titles(client.get(programme_url(programme.forum, **query))) == {"Housing for newcomers"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("cities", CITIES),
        ("CITIES", CITIES),
        ("displacement", {"Climate displacement"}),  # a title
        ("settlements", {"Housing for newcomers"}),  # an objective
        ("Woeger", {"Climate displacement"}),  # a speaker's name
        ("Garcés", {"Housing for newcomers"}),
        ("UNDP", {"Housing for newcomers"}),  # an organizer's acronym
        ("Development Program", {"Housing for newcomers"}),  # an organizer's name
        ("housing Garcés", {"Housing for newcomers"}),  # every word, in different fields
        ("Garcés Woeger", set()),  # two sessions' speakers: no session has both
    ],
)
def test_programme_search_looks_in_titles_objectives_speakers_and_organizers(client, programme, q, expected):
    assert shown_titles(client.get(programme_url(programme.forum, q=q))) == expected


def test_programme_search_does_not_look_at_speakers_organizations_or_other_forums(client, programme):
    other = SessionFactory(title="Elsewhere", objective="Settlements elsewhere.")
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=other), person=programme.garces)

    assert shown_titles(client.get(programme_url(programme.forum, q="Alliance"))) == {"Closing plenary"}
    assert shown_titles(client.get(programme_url(programme.forum, q="settlements"))) == {"Housing for newcomers"}


def test_programme_keeps_the_filters_in_the_url_and_in_the_form(client, programme):
    url = programme_url(programme.forum, q="cities", theme=programme.first_responders.pk, day="2020-01-22")

    response = client.get(url)

    html = response.content.decode()
    form = re.search(r'<form[^>]*role="search"[^>]*>.*?</form>', html, flags=re.S).group(0)
    assert 'method="get"' in form and "action=" not in form and "csrfmiddlewaretoken" not in form
    assert re.search(r'<input type="search" name="q" value="cities"', form)
    assert re.search(rf'<option value="{programme.first_responders.pk}" selected>Cities as first responders', form)
    assert re.search(r'<option value="2020-01-22" selected>Wednesday 22 January<', form)
    assert f'href="{programme_url(programme.forum)}">Clear filters</a>' in html
    assert shown_titles(response) == {"Housing for newcomers"}


def test_signing_up_from_a_filtered_programme_comes_back_to_it(client, programme):
    RegistrationSettingsFactory(forum=programme.forum)
    registration = RegistrationFactory(forum=programme.forum)
    client.force_login(registration.user)
    url = programme_url(programme.forum, q="housing", kind="parallel")
    page = client.get(url).content.decode()
    signup_url = reverse(
        "registration:session-signup",
        kwargs={"forum_slug": programme.forum.slug, "session_slug": programme.housing.slug},
    )
    next_url = html_lib.unescape(re.search(r'name="next" value="([^"]+#signup-[^"]+)"', page).group(1))

    response = client.post(signup_url, {"next": next_url})

    assert next_url == f"{url}#signup-{programme.housing.slug}"
    assert response.status_code == 302 and response["Location"] == next_url
    assert "Signed up ✓" in page_text(client.get(url).content)


def test_programme_without_filters_shows_the_whole_programme_without_a_count(client, programme):
    response = client.get(programme_url(programme.forum))

    text = page_text(response.content)
    assert shown_titles(response) == ALL
    assert "Find sessions" in text
    assert "match" not in text and "Clear filters" not in text
    html = response.content.decode()
    assert html.count('<div class="programme-slot">') == 3
    assert html.count('<section class="programme-day"') == 2


def test_programme_filtered_keeps_the_days_and_the_plenary_and_parallel_layout(client, programme):
    response = client.get(programme_url(programme.forum, q="cities"))

    html = response.content.decode()
    text = page_text(html)
    assert "3 sessions match." in text
    assert text.index("Wednesday 22 January 2020") < text.index("Housing for newcomers")
    assert text.index("Climate displacement") < text.index("Thursday 23 January 2020") < text.index("Closing plenary")
    assert "Parallel sessions: Cities as first responders" in text
    assert html.count('data-kind="plenary"') == 1 and html.count('data-kind="parallel"') == 2


def test_programme_with_no_match_says_so_and_offers_to_clear_the_filters(client, programme):
    url = programme_url(programme.forum)

    only_search = page_text(client.get(programme_url(programme.forum, q="zeppelin")).content)
    search_and_filter = page_text(client.get(programme_url(programme.forum, q="zeppelin", kind="plenary")).content)
    only_filters = client.get(programme_url(programme.forum, kind="plenary", room=programme.quito_room.pk))

    assert "0 sessions match." in only_search
    assert "No session matches “zeppelin”. Clear filters" in only_search
    assert "No session matches “zeppelin” with these filters." in search_and_filter
    assert "No session matches these filters. Clear filters" in page_text(only_filters.content)
    assert f'href="{url}">Clear filters</a>' in only_filters.content.decode()
    assert "has not been published yet" not in only_search


def test_programme_search_without_any_word_matches_nothing(client, programme):
    response = client.get(programme_url(programme.forum, q="!!! ???"))

    assert shown_titles(response) == set()
    assert "No session matches “!!! ???”." in page_text(response.content)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"theme": "99999"}, "Theme: This theme is not one of this forum's."),
        ({"theme": "abc"}, "Theme: This theme is not one of this forum's."),
        ({"room": "-1"}, "Room: This room is not one of this forum's."),
        ({"organization": "1e9"}, "Organization: This organization takes no part in this forum's sessions."),
        ({"speaker": "99999"}, "Speaker: This person does not speak in this forum's sessions."),
        ({"day": "2020-13-45"}, "Day: “2020-13-45” is not a day of this forum."),
        ({"day": "2020-01-21"}, "Day: “2020-01-21” is not a day of this forum."),
        ({"kind": "keynote"}, "Kind: “keynote” is not a kind of session."),
        ({"q": "x" * 10_000}, f"Search: Search with at most {MAX_QUERY_LENGTH} characters (this search has 10000)."),
    ],
)
def test_programme_with_a_bad_filter_says_so_and_leaves_it_out(client, programme, query, message):
    response = client.get(programme_url(programme.forum, **query))

    text = page_text(response.content)
    assert "Some of the filters could not be used and were left out:" in text
    assert message in text
    assert shown_titles(response) == ALL
    assert "Clear filters" in text


def test_programme_with_a_bad_filter_still_applies_the_good_ones(client, programme):
    response = client.get(programme_url(programme.forum, theme="99999", kind="plenary"))

    assert shown_titles(response) == {"Opening plenary", "Closing plenary"}
    assert "2 sessions match." in page_text(response.content)


def test_programme_refuses_a_theme_or_person_of_another_forum(client, programme):
    other_theme = ThemeFactory(title="Another forum's theme")
    stranger = PersonFactory(name="Someone Else")
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=SessionFactory(forum=other_theme.forum)), person=stranger)

    response = client.get(programme_url(programme.forum, theme=other_theme.pk, speaker=stranger.pk))

    text = page_text(response.content)
    assert "This theme is not one of this forum's." in text
    assert "This person does not speak in this forum's sessions." in text
    assert "Another forum's theme" not in text and "Someone Else" not in text
    assert shown_titles(response) == ALL


def test_programme_offers_only_this_forum_s_choices(client, programme):
    ThemeFactory(forum=programme.forum, title="A theme without sessions")
    SessionFactory(theme=ThemeFactory(title="Another forum's theme"), room=RoomFactory(name="Another room"))

    text = page_text(client.get(programme_url(programme.forum)).content)

    for choice in ("Cities as first responders", "Sala Quito", "Cities Alliance", "UNDP", "Alfred Woeger"):
        assert choice in text
    for choice in ("A theme without sessions", "Another forum's theme", "Another room"):
        assert choice not in text
    assert "Thursday 23 January 2020" in text


def test_programme_query_with_a_nul_character_is_refused(client, programme):
    response = client.get(programme_url(programme.forum) + "?q=%00")

    assert response.status_code == 400


def test_programme_search_of_the_quito_seed_finds_its_session(client, quito_forum, quito_session):
    for q in ("conceptualize", "Woeger", "Khoudour", "Cities Alliance"):
        assert shown_titles(client.get(programme_url(quito_forum, q=q))) == {quito_session.title}, q
    response = client.get(programme_url(quito_forum, q="zeppelin"))
    assert shown_titles(response) == set()
    assert "No session matches “zeppelin”." in page_text(response.content)


def test_programme_filters_of_the_quito_seed(client, quito_forum, quito_session):
    woeger = quito_session.agenda_items.get(order=3).speaker_roles.get().person

    response = client.get(programme_url(quito_forum, speaker=woeger.pk, kind="parallel", day="2020-01-22"))

    assert shown_titles(response) == {quito_session.title}
    assert "1 session matches." in page_text(response.content)


# Cancelled sessions.


def test_a_cancelled_session_stays_listed_with_a_badge_and_no_sign_up(client):
    forum = RegistrationSettingsFactory().forum
    SessionFactory(forum=forum, title="Still on", capacity=5)
    SessionFactory(forum=forum, title="Called off", capacity=5, is_cancelled=True)
    SessionFactory(forum=forum, title="Called off plenary", kind=Session.Kind.PLENARY, is_cancelled=True)

    response = client.get(programme_url(forum))

    html = response.content.decode()
    assert shown_titles(response) == {"Still on", "Called off", "Called off plenary"}
    assert page_text(html).count("Cancelled") == 2
    cancelled_card = html[html.rindex('<div class="programme-session', 0, html.index("Called off<")) :]
    cancelled_card = cancelled_card[: cancelled_card.index('<div class="col">')]
    assert "Cancelled" in page_text(cancelled_card) and "Register to sign up" not in page_text(cancelled_card)
    assert "Still on 5 of 5 places left Register to sign up" in page_text(html)


def test_a_participant_signed_up_for_a_cancelled_session_can_still_leave_it(client):
    forum = RegistrationSettingsFactory().forum
    registration = RegistrationFactory(forum=forum)
    session = SessionFactory(forum=forum, title="Called off", is_cancelled=True)
    SessionSignupFactory(session=session, registration=registration)
    client.force_login(registration.user)

    text = page_text(client.get(programme_url(forum)).content)

    assert "Cancelled 14:00–16:30 · Parallel session Called off Signed up ✓ – Leave" in text


# Translated columns.


def test_search_fields_cover_every_language_of_a_translated_field():
    columns = searched_columns()

    try:
        translated = translator.get_options_for_model(Session).get_field_names()
    except NotRegistered:
        translated = []
    if "title" in translated:
        assert {"title_en", "title_es"} <= set(columns)
        assert "title" not in columns
    else:
        assert "title" in columns
    assert "agenda_items__speaker_roles__person__name" in columns
    assert len(columns) >= len(SEARCH_FIELDS)


def test_programme_search_finds_a_session_by_its_spanish_title_on_the_english_page(client, programme):
    try:
        translated = translator.get_options_for_model(Session).get_field_names()
    except NotRegistered:
        translated = []
    if "title" not in translated:
        pytest.skip("session titles are not translated (sessions_app.translation)")
    programme.housing.title_es = "Vivienda para recién llegados"
    programme.housing.save()

    assert shown_titles(client.get(programme_url(programme.forum, q="vivienda"))) == {"Housing for newcomers"}


# PostgreSQL full-text search.


@postgresql_only
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Garces", {"Housing for newcomers"}),  # accents folded
        ("GARCÉS", {"Housing for newcomers"}),
        ("desplazamiento", set()),
        ("cities -housing", {"Climate displacement", "Closing plenary"}),  # websearch syntax
        ('"informal settlements"', {"Housing for newcomers"}),
        ('"settlements informal"', set()),
        ("housing or climate", {"Housing for newcomers", "Climate displacement"}),
        ("citi", set()),  # whole words only
    ],
)
def test_programme_full_text_search_on_postgresql(client, programme, q, expected):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(programme_url(programme.forum, q=q))

    assert shown_titles(response) == expected
    assert any("to_tsvector" in query["sql"] and "websearch_to_tsquery" in query["sql"] for query in queries)


@postgresql_only
def test_programme_full_text_search_of_the_quito_seed_ignores_accents(client, quito_forum, quito_session):
    assert shown_titles(client.get(programme_url(quito_forum, q="Maria Fernanda Garces"))) == {quito_session.title}


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite search (one LIKE per word) is used on SQLite only")
def test_programme_search_on_sqlite_matches_parts_of_words_and_keeps_accents(client, programme):
    assert shown_titles(client.get(programme_url(programme.forum, q="citi"))) == CITIES
    assert shown_titles(client.get(programme_url(programme.forum, q="Garces"))) == set()


# Queries.


def _grow(programme: Programme, sessions: int) -> None:
    """Add ``sessions`` parallel sessions (with organizers and speakers) across the two days."""
    forum = programme.forum
    themes = [ThemeFactory(forum=forum) for _ in range(4)]
    rooms = [RoomFactory(forum=forum) for _ in range(6)]
    for number in range(sessions):
        session = SessionFactory(
            forum=forum,
            theme=themes[number % 4],
            room=rooms[number % 6],
            objective=f"Cities and topic {number}.",
            start=quito_time(8 + number // 6 % 10) + timedelta(days=number // 60),
            end=quito_time(8 + number // 6 % 10, 50) + timedelta(days=number // 60),
        )
        SessionOrganizerFactory(session=session, organization=programme.undp if number % 2 else OrganizationFactory())
        item = AgendaItemFactory(session=session)
        for order in (1, 2):
            SpeakerRoleFactory(agenda_item=item, order=order, person=PersonFactory(), organization=programme.alliance)


def _query_counts(client, programme: Programme) -> dict[str, int]:
    queries = {
        "no filter": {},
        "filters": {"day": "2020-01-22", "kind": "parallel", "organization": programme.undp.pk},
        "search": {"q": "cities"},
        "filters and search": {
            "q": "cities",
            "theme": programme.first_responders.pk,
            "room": programme.pichincha.pk,
            "speaker": programme.garces.pk,
        },
    }
    counts = {}
    for name, query in queries.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(programme_url(programme.forum, **query))
        assert shown_titles(response), name
        counts[name] = len(captured)
    return counts


def test_programme_query_count_does_not_depend_on_sessions_filters_or_search(client, programme):
    small = _query_counts(client, programme)
    _grow(programme, 45)
    big = _query_counts(client, programme)

    assert len(shown_titles(client.get(programme_url(programme.forum)))) == 49
    assert set(small.values()) == set(big.values()) == {PROGRAMME_QUERIES}, (small, big)


def test_programme_query_count_of_a_one_session_forum(client, django_assert_num_queries):
    session = SessionFactory(title="Only one")
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session))

    with django_assert_num_queries(PROGRAMME_QUERIES):
        response = client.get(programme_url(session.forum, q="only", kind="parallel"))

    assert shown_titles(response) == {"Only one"}


@pytest.mark.unit
@pytest.mark.parametrize("value", ["", "2", "9"])
def test_long_select_prints_what_djangos_select_prints(value):
    """The filters' fast ``<select>``: the same markup, escaping and selected option as Django's."""
    choices = [("", "Anyone"), ("1", '<b>A&B</b> "quoted"'), ("2", "Ana Garcés"), ("3", "O'Brien <script>")]
    attrs = {"id": "id_speaker", "class": "form-select", "aria-describedby": "hint"}

    fast = LongSelect(choices=choices).render("speaker", value, attrs=attrs)
    django = forms.Select(choices=choices).render("speaker", value, attrs=attrs)

    assert fast == "".join(line.strip() for line in django.splitlines())
    assert "<script>" not in fast and "&lt;b&gt;A&amp;B&lt;/b&gt;" in fast
