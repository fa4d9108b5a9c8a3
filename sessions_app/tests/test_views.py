"""The programme and session pages, checked against the concept note as a reader sees them."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory
from registration.models import SessionSignup
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, SessionSignupFactory
from sessions_app.models import Session, SpeakerRole
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    ReferenceFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.support import (
    element_html,
    load_concept_note,
    page_text,
    without_footnote_markers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# Queries per page, whatever the number of rows (see the *_query_count tests).
PROGRAMME_QUERIES = 9  # forum with registration settings, sessions with theme and room, organizers, seats taken,
# the filters' choices (themes, rooms, organizations, speakers) and the latest release
# session with forum/theme/room/recommendations document and its seats taken, questions, references,
# organizers, items, roles, published recommendations, the latest release (its entry for the session)
SESSION_PAGE_QUERIES = 8
PARTICIPANT_QUERIES = 4  # a signed-in participant's session and user, their registration, their sign-ups


def programme_url(forum) -> str:
    return reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug})


def session_url(session) -> str:
    return reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def count_queries(client, url: str) -> int:
    """Number of SQL queries run to answer a GET of ``url`` (which must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Session page: every fact of the concept note, read from the shared folder.


def test_session_page_shows_every_fact_of_the_concept_note(client, quito_session):
    note = load_concept_note()

    response = client.get(session_url(quito_session))

    assert response.status_code == 200
    text = page_text(response.content)
    prose = page_text(response.content, footnote_markers=False)
    assert note.session_title in text
    assert note.theme in text
    assert note.objective in text
    for organizer in note.organizers:
        assert organizer in text
    for paragraph in note.context:
        assert without_footnote_markers(paragraph) in prose
    for number, citation in note.footnotes.items():
        assert citation in page_text(element_html(response.content, f"ref-{number}"))
    assert note.methodology in text
    assert len(note.key_questions) == 5
    for question in note.key_questions:
        assert question in text
    assert note.expected_result in text


def test_session_page_shows_sections_in_the_order_of_the_concept_note(client, quito_session):
    note = load_concept_note()

    text = page_text(client.get(session_url(quito_session)).content)

    positions = [
        text.index(fact)
        for fact in (
            "Session objective",
            note.objective,
            "Organizers",
            note.organizers[0],
            "Context and justification",
            "References",
            note.footnotes[1],
            "Session methodology",
            note.methodology,
            "Key questions",
            note.key_questions[0],
            note.key_questions[4],
            "Expected result",
            note.expected_result,
            "Session agenda",
            note.agenda[0].title,
            note.agenda[-1].title,
        )
    ]
    assert positions == sorted(positions)


def test_session_page_agenda_lists_every_person_in_their_role(client, quito_session):
    note = load_concept_note()

    response = client.get(session_url(quito_session))

    assert len(note.agenda) == 5
    for order, entry in enumerate(note.agenda, start=1):
        row = page_text(element_html(response.content, f"agenda-item-{order}"))
        assert f"{entry.start}–{entry.end}" in row
        assert entry.title in row
        for role, printed in entry.people:
            if role:
                label = {"Session Rapporteur": "Session rapporteur"}.get(role, role)
                assert f"{label}: {printed}" in row
            else:
                assert printed in row
                assert "Speaker:" not in row
        if entry.participants:
            participants = row[row.index("Participants:") :]
            for printed in entry.participants:
                assert printed in participants


def test_session_page_prints_named_people_with_affiliations_as_printed(client, quito_session):
    text = page_text(client.get(session_url(quito_session)).content)

    assert "María Fernanda Garcés, Secretaria de Desarrollo Productivo y Competitividad del Municipio de Quito" in text
    assert "Alfred Woeger, Project Coordinator MIEUX" in text
    assert (
        "Facilitator: Anaclaudia Marinheiro Centeno Rossbach, Regional Director of Cities Alliance Latin America"
    ) in text
    assert "Session rapporteur: David Khoudour, UNDP" in text
    assert "Rapporteurship: Ana Ruiz Nieves, Cities Alliance" in text
    assert "Youth representatives in the Forum" in text


def test_session_page_people_link_to_their_speaker_page(client, quito_session):
    html = client.get(session_url(quito_session)).content.decode()

    speaker_url = reverse("forum:speaker-detail", kwargs={"forum_slug": "quito-2020", "person_slug": "alfred-woeger"})
    assert f'<a href="{speaker_url}">Alfred Woeger</a>' in html
    assert client.get(speaker_url).status_code == 200
    assert re.search(r"<li>\s*Youth representatives in the Forum\s*</li>", html), "a named group is not a link"


def test_session_page_footnote_markers_link_to_numbered_references(client, quito_session):
    html = client.get(session_url(quito_session)).content.decode()

    for number in (1, 2, 3):
        marker = re.search(rf'<a href="#ref-{number}" id="refmark-{number}"[^>]*>{number}</a>', html)
        assert marker, f"footnote marker {number} is not a link to #ref-{number}"
        reference = element_html(html, f"ref-{number}")
        assert f'href="#refmark-{number}"' in reference
    assert html.count('id="ref-1"') == 1


def test_session_page_header_shows_times_in_the_forum_time_zone(client, quito_session):
    text = page_text(client.get(session_url(quito_session)).content)

    assert "6th Mayoral Forum on Human Mobility, Migration, and Development" in text
    assert "Parallel session" in text
    assert "Wednesday 22 January 2020" in text
    assert "14:00–16:30 (America/Guayaquil, UTC-0500)" in text
    assert "19:00" not in text


def test_session_page_shows_room_and_agenda_download(client, quito_forum):
    room = RoomFactory(forum=quito_forum, name="Sala Metropolitana")
    session = SessionFactory(forum=quito_forum, room=room, kind=Session.Kind.PLENARY, title="Opening plenary")

    response = client.get(session_url(session))

    text = page_text(response.content)
    assert "Sala Metropolitana" in text
    assert "Plenary session" in text
    assert "The agenda of this session has not been published yet." in text
    pdf_url = reverse("documents:session-agenda-pdf", kwargs={"forum_slug": "quito-2020", "session_slug": session.slug})
    assert f'href="{pdf_url}"' in response.content.decode()
    assert "Download agenda (PDF)" in text


@pytest.mark.parametrize(
    ("forum_slug", "session_slug"),
    [
        ("quito-2020", "no-such-session"),
        ("no-such-forum", "strengthen-partnerships-local-immigration-response"),
    ],
)
def test_session_page_unknown_slug_is_404(client, quito_session, forum_slug, session_slug):
    url = reverse("sessions_app:session-detail", kwargs={"forum_slug": forum_slug, "session_slug": session_slug})

    response = client.get(url)

    assert response.status_code == 404
    assert "Page not found" in page_text(response.content)


def test_session_page_of_another_forum_is_404(client, quito_forum):
    other = SessionFactory(slug="elsewhere")

    url = reverse("sessions_app:session-detail", kwargs={"forum_slug": "quito-2020", "session_slug": other.slug})

    assert client.get(url).status_code == 404


def test_session_page_of_unpublished_forum_is_404(client, quito_session):
    quito_session.forum.is_published = False
    quito_session.forum.save()

    assert client.get(session_url(quito_session)).status_code == 404
    assert client.get(programme_url(quito_session.forum)).status_code == 404


def test_session_page_query_count_does_not_grow_with_the_agenda(client, quito_session, django_assert_max_num_queries):
    big = SessionFactory(forum=quito_session.forum, room=RoomFactory(forum=quito_session.forum))
    for order in range(1, 11):
        KeyQuestionFactory(session=big, order=order)
        ReferenceFactory(session=big, number=order)
        SessionOrganizerFactory(session=big, order=order)
    for order in range(1, 13):
        item = AgendaItemFactory(session=big, order=order, start=big.start + timedelta(minutes=10 * order))
        for role_order in range(1, 6):
            SpeakerRoleFactory(agenda_item=item, order=role_order, role=SpeakerRole.Role.PARTICIPANT)

    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        small_response = client.get(session_url(quito_session))
    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        big_response = client.get(session_url(big))

    assert small_response.status_code == big_response.status_code == 200
    assert count_queries(client, session_url(quito_session)) == count_queries(client, session_url(big))
    assert page_text(big_response.content).count("Participants:") == 12


# Programme.


def test_programme_shows_the_quito_session_in_the_forum_time_zone(client, quito_session):
    note = load_concept_note()

    response = client.get(programme_url(quito_session.forum))

    assert response.status_code == 200
    text = page_text(response.content)
    assert "Wednesday 22 January 2020" in text
    assert "14:00–16:30" in text
    assert "19:00" not in text
    assert f"Parallel sessions: {note.theme}" in text
    assert note.session_title in text
    assert "Cities Alliance · UNDP · ICMPD" in text
    assert f'href="{session_url(quito_session)}"' in response.content.decode()


def test_programme_offers_the_programme_pdf(client, quito_forum):
    response = client.get(programme_url(quito_forum))

    pdf_url = reverse("documents:programme-pdf", kwargs={"forum_slug": quito_forum.slug})
    assert f'href="{pdf_url}"' in response.content.decode()
    assert "Download programme (PDF)" in page_text(response.content)


def test_programme_groups_parallel_sessions_under_their_theme_between_full_width_plenaries(client):
    forum = ForumFactory()
    theme = ThemeFactory(forum=forum, title="Cities as first responders", order=1)
    other_theme = ThemeFactory(forum=forum, title="Climate and mobility", order=2)
    room = RoomFactory(forum=forum, name="Room Pichincha")
    SessionFactory(forum=forum, kind=Session.Kind.PLENARY, title="Opening plenary", start=quito_time(9))
    SessionFactory(forum=forum, theme=other_theme, title="Parallel C", start=quito_time(14))
    SessionFactory(forum=forum, theme=theme, title="Parallel A", start=quito_time(14), room=room)
    SessionFactory(forum=forum, theme=theme, title="Parallel B", start=quito_time(14))
    SessionFactory(forum=forum, kind=Session.Kind.PLENARY, title="Closing plenary", start=quito_time(17))

    html = client.get(programme_url(forum)).content.decode()

    slots = html.split('<div class="programme-slot">')[1:]
    assert len(slots) == 3
    opening, parallel, closing = slots
    assert 'data-kind="plenary"' in opening and "Opening plenary" in opening
    assert 'data-kind="plenary"' in closing and "Closing plenary" in closing
    for plenary in (opening, closing):
        assert "row-cols" not in plenary and 'class="col"' not in plenary
    assert 'data-kind="plenary"' not in parallel
    themes = parallel.split('data-kind="parallel"')[1:]
    assert len(themes) == 2
    first, second = (page_text("<div " + block) for block in themes)
    assert first.startswith("Parallel sessions: Cities as first responders")
    assert "Parallel A" in first and "Parallel B" in first and "Room Pichincha" in first
    assert second.startswith("Parallel sessions: Climate and mobility") and "Parallel C" in second
    assert themes[0].count('<div class="col">') == 2
    text = page_text(html)
    assert text.index("Opening plenary") < text.index("Parallel A") < text.index("Closing plenary")
    assert "09:00–11:30" in text and "17:00–19:30" in text


def test_programme_groups_days_in_the_forum_time_zone(client):
    forum = ForumFactory(end_date=quito_time(0).date() + timedelta(days=1))
    SessionFactory(forum=forum, title="Evening reception", start=quito_time(20), end=quito_time(22))
    SessionFactory(forum=forum, title="Second day plenary", start=quito_time(9) + timedelta(days=1))

    text = page_text(client.get(programme_url(forum)).content)

    assert text.index("Wednesday 22 January 2020") < text.index("Evening reception")
    assert text.index("Evening reception") < text.index("Thursday 23 January 2020") < text.index("Second day plenary")
    assert "20:00–22:00" in text


def test_programme_without_sessions_shows_empty_state(client):
    forum = ForumFactory()

    response = client.get(programme_url(forum))

    assert response.status_code == 200
    assert "The programme has not been published yet." in page_text(response.content)


def test_programme_unknown_forum_is_404(client):
    assert client.get(reverse("sessions_app:programme", kwargs={"forum_slug": "nowhere"})).status_code == 404


def test_programme_query_count_is_the_same_with_50_more_sessions(
    client, quito_forum, django_assert_num_queries, settings
):
    settings.PUBLIC_CACHE_SECONDS = 0  # every GET renders the page (forum.caching)
    url = programme_url(quito_forum)
    with django_assert_num_queries(PROGRAMME_QUERIES):
        assert client.get(url).status_code == 200
    baseline = count_queries(client, url)
    themes = [ThemeFactory(forum=quito_forum) for _ in range(5)]
    rooms = [RoomFactory(forum=quito_forum) for _ in range(10)]
    for number in range(50):
        day, slot, seat = number // 25, number % 25 // 5, number % 5
        session = SessionFactory(
            forum=quito_forum,
            kind=Session.Kind.PLENARY if number % 25 == 0 else Session.Kind.PARALLEL,
            theme=themes[seat],
            room=rooms[seat + 5 * (slot % 2)],
            start=quito_time(8 + 2 * slot) + timedelta(days=day),
        )
        for order in (1, 2):
            SessionOrganizerFactory(session=session, order=order, organization=OrganizationFactory(acronym=f"O{order}"))

    with django_assert_num_queries(baseline):
        response = client.get(url)

    assert response.content.decode().count('class="card session-card') == 51
    assert count_queries(client, url) == baseline == PROGRAMME_QUERIES


def test_programme_leaves_out_sessions_of_other_forums(client, quito_forum):
    other = SessionFactory(title="A session of another forum")
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=other), person=PersonFactory(name="Someone Else"))

    text = page_text(client.get(programme_url(quito_forum)).content)

    assert "A session of another forum" not in text


def test_programme_puts_staggered_parallel_sessions_side_by_side_and_names_the_offset(client):
    forum = ForumFactory()
    first, second = ThemeFactory(forum=forum, order=1), ThemeFactory(forum=forum, order=2)
    SessionFactory(forum=forum, theme=first, title="Starts at eleven", start=quito_time(11))
    SessionFactory(forum=forum, theme=second, title="Starts at half past", start=quito_time(11, 30))
    SessionFactory(forum=forum, theme=first, title="Afternoon", start=quito_time(15))

    html = client.get(programme_url(forum)).content.decode()

    slots = [page_text(slot) for slot in html.split('<div class="programme-slot">')[1:]]
    assert len(slots) == 2
    assert "11:00–14:00" in slots[0]
    assert "Starts at eleven" in slots[0] and "Starts at half past" in slots[0]
    assert "Afternoon" in slots[1]
    assert "Wednesday 22 January 2020 (UTC-0500)" in page_text(html)


def test_programme_query_count_for_a_participant_does_not_grow_with_sessions_and_sign_ups(
    client, quito_forum, django_assert_num_queries
):
    RegistrationSettingsFactory(forum=quito_forum)
    registration = RegistrationFactory(forum=quito_forum)
    client.force_login(registration.user)
    url = programme_url(quito_forum)
    with django_assert_num_queries(PROGRAMME_QUERIES + PARTICIPANT_QUERIES):
        assert client.get(url).status_code == 200
    rooms = [RoomFactory(forum=quito_forum, capacity=3) for _ in range(5)]
    chosen = {2: SessionSignup.Status.CONFIRMED, 11: SessionSignup.Status.WAITLISTED}
    chosen |= {22: SessionSignup.Status.CONFIRMED, 31: SessionSignup.Status.WAITLISTED}
    for number in range(40):  # five one-hour sessions an hour, 08:00 to 16:00
        start = quito_time(8) + timedelta(hours=number // 5)
        session = SessionFactory(forum=quito_forum, room=rooms[number % 5], start=start, end=start + timedelta(hours=1))
        for _ in range(number % 4):
            SessionSignupFactory(session=session, registration=RegistrationFactory(forum=quito_forum))
        if number in chosen:
            SessionSignupFactory(session=session, registration=registration, status=chosen[number])

    with django_assert_num_queries(PROGRAMME_QUERIES + PARTICIPANT_QUERIES):
        response = client.get(url)

    text = page_text(response.content)
    html = response.content.decode()
    assert text.count("Signed up ✓") == 2 and text.count("Waitlisted (#1)") == 2
    # 12 full sessions; the 4 where the participant has a seat or waits show only their own state.
    assert text.count("Full — waitlist open") == 12 - 4
    # The other sessions of 08:00, 10:00, 12:00 and 14:00 (and the Quito session, 14:00–16:30) clash.
    assert text.count("At the same time as your choice") == 4 * 4 + 1
    assert html.count('name="join_waitlist"') == 6  # full sessions of 09:00, 11:00, 13:00 and 15:00
    assert html.count("Sign up<") == 20 - 6


@pytest.mark.parametrize(
    ("hours_later", "control"),
    [(3, "Sign up"), (1, "At the same time as your choice “Chosen elsewhere”")],
)
def test_session_page_query_count_for_a_participant_is_constant(
    client, quito_session, django_assert_num_queries, hours_later, control
):
    RegistrationSettingsFactory(forum=quito_session.forum)
    registration = RegistrationFactory(forum=quito_session.forum)
    client.force_login(registration.user)
    for _ in range(5):
        SessionSignupFactory(session=quito_session, registration=RegistrationFactory(forum=quito_session.forum))
    other = SessionFactory(
        forum=quito_session.forum, title="Chosen elsewhere", start=quito_session.start + timedelta(hours=hours_later)
    )
    SessionSignupFactory(session=other, registration=registration)

    with django_assert_num_queries(SESSION_PAGE_QUERIES + PARTICIPANT_QUERIES):
        response = client.get(session_url(quito_session))

    assert control in page_text(response.content)
