"""Public pages of the event core: forums, forum home, speakers, organizations, error pages."""

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import server_error

from forum.models import Organization
from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory, UserFactory
from registration.models import Registration
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, VerifiedUserFactory
from sessions_app.models import SpeakerRole
from sessions_app.tests.factories import (
    AgendaItemFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.support import load_concept_note, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# Queries per page, whatever the number of rows (see the *_query_count tests).
SPEAKER_LIST_QUERIES = 4  # forum, latest release, count of people (pagination), people with organizations and counts
SPEAKER_PAGE_QUERIES = 4  # forum, latest release, person with organization, appearances with item, session, room, theme
ORGANIZATION_LIST_QUERIES = 4  # forum, organizations, their sessions, their people
FORUM_HOME_QUERIES = 2  # forum with session count and registration settings, host organizations
SIGNED_IN_QUERIES = 3  # the visitor's session and user, their registration for the forum
QUITO_SESSION = "Strengthen partnerships to improve the local immigration response in Latin America and the Caribbean"


def forum_url(name: str, forum, **kwargs) -> str:
    return reverse(f"forum:{name}", kwargs={"forum_slug": forum.slug, **kwargs})


def count_queries(client, url: str) -> int:
    """Number of SQL queries run to answer a GET of ``url`` (which must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def speaker_in(forum, *, person=None, role=SpeakerRole.Role.SPEAKER, **session_fields):
    """Put ``person`` (a new one by default) on the agenda of a new session of ``forum``."""
    session = SessionFactory(forum=forum, **session_fields)
    item = AgendaItemFactory(session=session, order=1)
    return SpeakerRoleFactory(agenda_item=item, order=1, role=role, person=person or PersonFactory())


# Forum list and home.


def test_forum_list_links_to_the_only_published_forum(client, quito_forum):
    ForumFactory(title="A draft forum", is_published=False)

    response = client.get(reverse("forum:forum-list"))

    assert response.status_code == 200
    text = page_text(response.content)
    assert "6th Mayoral Forum on Human Mobility, Migration, and Development" in text
    assert "Quito, Ecuador" in text and "22 January 2020" in text
    assert "1 session" in text
    assert f'href="{forum_url("forum-home", quito_forum)}"' in response.content.decode()
    assert "A draft forum" not in text


def test_forum_list_without_forums_shows_empty_state(client):
    assert "No forum has been published yet." in page_text(client.get(reverse("forum:forum-list")).content)


def test_forum_home_shows_the_forum_as_the_concept_note_introduces_it(client, quito_forum):
    note = load_concept_note()
    title, theme = note.heading.split(" From ", 1)

    response = client.get(forum_url("forum-home", quito_forum))

    assert response.status_code == 200
    text = page_text(response.content)
    assert title in text
    assert f"From {theme}" in text
    assert "Edition 6" in text
    assert note.place.title() in text
    assert "22 January 2020" in text
    assert "Global Forum on Migration and Development (GFMD)" in text
    assert len(note.introduction) == 4
    html = response.content.decode()
    for paragraph in note.introduction:
        assert paragraph in text
    assert html.count("<p>") >= len(note.introduction)


def test_forum_home_links_to_programme_speakers_organizations_and_pdf(client, quito_forum):
    html = client.get(forum_url("forum-home", quito_forum)).content.decode()

    for url in (
        reverse("sessions_app:programme", kwargs={"forum_slug": "quito-2020"}),
        forum_url("speaker-list", quito_forum),
        forum_url("organization-list", quito_forum),
        reverse("documents:programme-pdf", kwargs={"forum_slug": "quito-2020"}),
    ):
        assert f'href="{url}"' in html
    assert "Download programme (PDF)" in page_text(html)


REGISTRATION_DAYS = {
    "open": (date(2000, 1, 1), date(2999, 12, 31)),
    "upcoming": (date(2999, 1, 1), date(2999, 12, 31)),
    "closed": (date(2019, 1, 1), date(2019, 12, 31)),
}


def registration_forum(state: str):
    """A forum whose registration is ``open``, ``upcoming`` or ``closed``."""
    opens_on, closes_on = REGISTRATION_DAYS[state]
    return RegistrationSettingsFactory(opens_on=opens_on, closes_on=closes_on).forum


def registration_card(client, forum) -> str:
    """The visible text of the forum home's registration card ("" when there is none)."""
    text = page_text(client.get(forum_url("forum-home", forum)).content)
    if "Registration " not in text or "Privacy notice" not in text:
        return ""
    return text[text.index("Registration ") : text.index("Privacy notice")]


@pytest.mark.parametrize(
    ("state", "sentence", "offers_register"),
    [
        ("open", "Registration is open until 31 December 2999.", True),
        ("upcoming", "Registration opens on 1 January 2999 and closes on 31 December 2999.", False),
        ("closed", "Registration closed on 31 December 2019.", False),
    ],
)
def test_forum_home_says_whether_registration_is_open_upcoming_or_closed(client, state, sentence, offers_register):
    forum = registration_forum(state)

    response = client.get(forum_url("forum-home", forum))

    text = page_text(response.content)
    html = response.content.decode()
    assert sentence in text
    assert "Registration is open from" not in text
    register = reverse("registration:register", kwargs={"forum_slug": forum.slug})
    assert (f'href="{register}"' in html) is offers_register
    assert reverse("registration:privacy", kwargs={"forum_slug": forum.slug}) in html


def test_forum_home_without_registration_settings_says_nothing_about_registration(client):
    forum = ForumFactory()
    client.force_login(VerifiedUserFactory())

    response = client.get(forum_url("forum-home", forum))

    html = response.content.decode()
    assert "Registration" not in page_text(html)
    assert reverse("registration:register", kwargs={"forum_slug": forum.slug}) not in html
    assert reverse("registration:my-registration", kwargs={"forum_slug": forum.slug}) not in html


@pytest.mark.parametrize(
    ("status", "button"),
    [
        (None, "Register"),
        (Registration.Status.CANCELLED, "Register"),
        (Registration.Status.CONFIRMED, "My registration"),
        (Registration.Status.SUBMITTED, "My registration"),
        (Registration.Status.WAITLISTED, "My registration"),
        (Registration.Status.DECLINED, "My registration"),
    ],
)
def test_forum_home_offers_a_signed_in_user_to_register_or_their_registration(client, status, button):
    forum = registration_forum("open")
    user = VerifiedUserFactory()
    if status is not None:
        RegistrationFactory(forum=forum, user=user, status=status)
    client.force_login(user)

    response = client.get(forum_url("forum-home", forum))

    html = response.content.decode()
    register = reverse("registration:register", kwargs={"forum_slug": forum.slug})
    my_registration = reverse("registration:my-registration", kwargs={"forum_slug": forum.slug})
    link = {"Register": register, "My registration": my_registration}[button]
    other = my_registration if button == "Register" else register
    assert re.search(rf'<a class="btn btn-primary w-100" href="{link}">\s*{button}\s*</a>', html)
    assert f'href="{other}"' not in html


@pytest.mark.parametrize(
    ("status", "card_end"),
    [
        (None, "Registration closed on 31 December 2019."),
        (Registration.Status.CANCELLED, "Registration closed on 31 December 2019."),
        (Registration.Status.CONFIRMED, "Registration closed on 31 December 2019. My registration"),
    ],
)
def test_forum_home_after_registration_closed_offers_only_an_existing_registration(client, status, card_end):
    forum = registration_forum("closed")
    user = VerifiedUserFactory()
    if status is not None:
        RegistrationFactory(forum=forum, user=user, status=status)
    client.force_login(user)

    card = registration_card(client, forum)

    assert card.strip().endswith(card_end)
    assert "Register " not in card.replace("Registration ", "")


@pytest.mark.parametrize(
    ("utc_now", "sentence"),
    [
        (datetime(2020, 1, 1, 4, 59, tzinfo=UTC), "Registration opens on 1 January 2020"),  # 23:59 in Quito
        (datetime(2020, 1, 1, 5, 0, tzinfo=UTC), "Registration is open until 31 January 2020."),
        (datetime(2020, 2, 1, 4, 59, tzinfo=UTC), "Registration is open until 31 January 2020."),
        (datetime(2020, 2, 1, 5, 0, tzinfo=UTC), "Registration closed on 31 January 2020."),
    ],
)
def test_forum_home_registration_days_are_days_in_the_forum_time_zone(client, monkeypatch, utc_now, sentence):
    forum = RegistrationSettingsFactory(opens_on=date(2020, 1, 1), closes_on=date(2020, 1, 31)).forum
    monkeypatch.setattr(timezone, "now", lambda: utc_now)

    assert sentence in registration_card(client, forum)


def test_forum_home_query_count_is_constant_for_visitors_and_participants(client, django_assert_num_queries):
    forum = registration_forum("open")
    bare = ForumFactory()
    for organization in range(5):
        forum.host_organizations.add(OrganizationFactory(name=f"Host {organization}"))
        SessionFactory(forum=forum, start=quito_time(8 + organization))

    for page in (forum, bare):
        with django_assert_num_queries(FORUM_HOME_QUERIES):
            assert client.get(forum_url("forum-home", page)).status_code == 200

    user = VerifiedUserFactory()
    RegistrationFactory(forum=forum, user=user)
    client.force_login(user)
    for page in (forum, bare):
        with django_assert_num_queries(FORUM_HOME_QUERIES + SIGNED_IN_QUERIES):
            assert client.get(forum_url("forum-home", page)).status_code == 200


def test_forum_home_shows_host_organizations(client, quito_forum):
    quito_forum.host_organizations.add(
        OrganizationFactory(name="Municipality of the Metropolitan District of Quito", acronym="MDMQ")
    )

    text = page_text(client.get(forum_url("forum-home", quito_forum)).content)

    assert "Hosted by Municipality of the Metropolitan District of Quito (MDMQ)" in text


@pytest.mark.parametrize("name", ["forum-home", "speaker-list", "organization-list"])
def test_forum_pages_of_unknown_or_unpublished_forum_are_404(client, name):
    draft = ForumFactory(is_published=False)

    assert client.get(reverse(f"forum:{name}", kwargs={"forum_slug": "no-such-forum"})).status_code == 404
    assert client.get(forum_url(name, draft)).status_code == 404


# Speakers.


def test_speaker_list_shows_the_people_of_the_agendas_alphabetically(client, quito_forum):
    speaker_in(ForumFactory(), person=PersonFactory(name="Speaker Of Another Forum"))

    response = client.get(forum_url("speaker-list", quito_forum))

    text = page_text(response.content)
    names = [
        "Alfred Woeger",
        "Ana Ruiz Nieves",
        "Anaclaudia Marinheiro Centeno Rossbach",
        "Claudia Pizarro",
        "Cynthia Loría",
        "David Khoudour",
        "Fabrizio Pelicelli",
        "María Fernanda Garcés",
        "Matilde Mordt",
        "Roi Chiti",
    ]
    positions = [text.index(name) for name in names]
    assert positions == sorted(positions)
    assert "Project Coordinator MIEUX, International Center for Migration Policy Development (ICMPD)" in text
    assert "Secretaria de Desarrollo Productivo y Competitividad del Municipio de Quito" in text
    assert "Municipio de Quito, Municipio de Quito" not in text
    assert "Roi Chiti UN-Habitat" in text
    assert "Speaker Of Another Forum" not in text
    assert "Youth representatives" not in text


def test_speaker_list_query_count_does_not_grow_with_speakers(client, django_assert_max_num_queries):
    small, big = ForumFactory(), ForumFactory()
    speaker_in(small)
    for hour in range(8, 18):
        session = SessionFactory(forum=big, start=quito_time(hour), room=RoomFactory(forum=big))
        for order in range(1, 4):
            SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session, order=order), order=1)

    for forum in (small, big):
        with django_assert_max_num_queries(SPEAKER_LIST_QUERIES):
            assert client.get(forum_url("speaker-list", forum)).status_code == 200

    assert count_queries(client, forum_url("speaker-list", small)) == count_queries(
        client, forum_url("speaker-list", big)
    )
    assert page_text(client.get(forum_url("speaker-list", big)).content).count("1 session") == 30


def test_speaker_list_pages_by_100(client):
    forum = ForumFactory()
    session = SessionFactory(forum=forum)
    item = AgendaItemFactory(session=session)
    for order in range(1, 106):
        SpeakerRoleFactory(agenda_item=item, order=order, person=PersonFactory(name=f"Speaker {order:03d}"))

    first = page_text(client.get(forum_url("speaker-list", forum)).content)
    second = page_text(client.get(forum_url("speaker-list", forum) + "?page=2").content)

    assert "Speaker 100" in first and "Speaker 101" not in first
    assert "Page 1 of 2" in first and "Next" in first
    assert "Speaker 101" in second and "Speaker 105" in second and "Speaker 001" not in second
    assert client.get(forum_url("speaker-list", forum) + "?page=3").status_code == 404
    assert client.get(forum_url("speaker-list", forum) + "?page=abc").status_code == 404


def test_speaker_page_shows_bio_and_every_appearance(client, quito_forum):
    person = quito_forum.sessions.get().agenda_items.get(order=3).speaker_roles.get().person
    person.bio = "Coordinates the MIEUX+ programme in Latin America."
    person.save()

    response = client.get(forum_url("speaker-detail", quito_forum, person_slug=person.slug))

    assert response.status_code == 200
    text = page_text(response.content)
    assert "Alfred Woeger" in text
    assert "Project Coordinator MIEUX, International Center for Migration Policy Development (ICMPD)" in text
    assert "Coordinates the MIEUX+ programme in Latin America." in text
    assert (
        f"14:20–14:30 {QUITO_SESSION} Results of the regional workshop in Lima on host cities (ICMPD) Speaker "
        "Project Coordinator MIEUX, International Center for Migration Policy Development (ICMPD)"
    ) in text
    assert f"14:30–16:20 {QUITO_SESSION} Conversation Participant" in text


def test_speaker_page_shows_each_printed_affiliation(client, quito_forum):
    url = forum_url("speaker-detail", quito_forum, person_slug="anaclaudia-marinheiro-centeno-rossbach")

    text = page_text(client.get(url).content)

    assert "participants Speaker Regional Director of Cities Alliance Latinoamérica" in text
    assert "Conversation Facilitator Regional Director of Cities Alliance Latin America" in text


def test_speaker_page_of_unknown_person_or_person_not_in_this_forum_is_404(client, quito_forum):
    elsewhere = speaker_in(ForumFactory()).person

    assert client.get(forum_url("speaker-detail", quito_forum, person_slug="nobody")).status_code == 404
    assert client.get(forum_url("speaker-detail", quito_forum, person_slug=elsewhere.slug)).status_code == 404


def test_speaker_page_query_count_does_not_grow_with_appearances(client, django_assert_max_num_queries):
    forum = ForumFactory()
    once = speaker_in(forum).person
    often = PersonFactory()
    theme = ThemeFactory(forum=forum)
    for hour in range(8, 20):
        speaker_in(forum, person=often, start=quito_time(hour), theme=theme, room=RoomFactory(forum=forum))

    for person in (once, often):
        with django_assert_max_num_queries(SPEAKER_PAGE_QUERIES):
            response = client.get(forum_url("speaker-detail", forum, person_slug=person.slug))
        assert response.status_code == 200

    assert count_queries(client, forum_url("speaker-detail", forum, person_slug=once.slug)) == count_queries(
        client, forum_url("speaker-detail", forum, person_slug=often.slug)
    )


# Organizations.


def test_organization_list_groups_by_kind_with_acronyms_and_sessions(client, quito_forum):
    response = client.get(forum_url("organization-list", quito_forum))

    assert response.status_code == 200
    text = page_text(response.content)
    assert (
        "UN agency UN-Habitat On the agenda: Roi Chiti United Nations Development Program UNDP "
        f"Organizes {QUITO_SESSION} On the agenda: David Khoudour, Matilde Mordt"
    ) in text
    assert f"International Center for Migration Policy Development ICMPD Organizes {QUITO_SESSION}" in text
    assert "Local government Municipio de Quito Ecuador On the agenda: María Fernanda Garcés" in text
    assert "Foundation AVINA Foundation" in text
    kinds = ["Local government", "UN agency", "Intergovernmental organization", "Civil society", "Foundation"]
    positions = [text.index(f"{kind} ") for kind in kinds]
    assert positions == sorted(positions)


def test_organization_list_leaves_out_organizations_of_other_forums(client, quito_forum):
    SessionOrganizerFactory(
        session=SessionFactory(), organization=OrganizationFactory(name="Organizer Of Another Forum")
    )
    OrganizationFactory(name="Unrelated Organization")

    text = page_text(client.get(forum_url("organization-list", quito_forum)).content)

    assert "Organizer Of Another Forum" not in text
    assert "Unrelated Organization" not in text


def test_organization_list_labels_hosts(client, quito_forum):
    quito_forum.host_organizations.add(
        OrganizationFactory(name="Municipality of Quito", kind=Organization.Kind.LOCAL_GOVERNMENT)
    )

    text = page_text(client.get(forum_url("organization-list", quito_forum)).content)

    assert "Municipality of Quito Host" in text


def test_organization_list_without_organizations_shows_empty_state(client):
    text = page_text(client.get(forum_url("organization-list", ForumFactory())).content)

    assert "No organization is listed for this forum yet." in text


def test_organization_list_query_count_does_not_grow_with_organizations(client, django_assert_max_num_queries):
    small, big = ForumFactory(), ForumFactory()
    SessionOrganizerFactory(session=SessionFactory(forum=small))
    for hour in range(8, 20):
        session = SessionFactory(forum=big, start=quito_time(hour))
        SessionOrganizerFactory(session=session, order=1)
        SessionOrganizerFactory(session=session, order=2)
        item = AgendaItemFactory(session=session, order=1)
        SpeakerRoleFactory(agenda_item=item, order=1, organization=OrganizationFactory())
    big.host_organizations.add(OrganizationFactory())

    for forum in (small, big):
        with django_assert_max_num_queries(ORGANIZATION_LIST_QUERIES):
            assert client.get(forum_url("organization-list", forum)).status_code == 200

    assert count_queries(client, forum_url("organization-list", small)) == count_queries(
        client, forum_url("organization-list", big)
    )


# Base template and error pages.


def test_pages_load_assets_locally_with_language_and_skip_link(client, quito_forum):
    html = client.get(forum_url("forum-home", quito_forum)).content.decode()

    assert re.search(r'<html lang="en">', html)
    assert '<a class="visually-hidden-focusable skip-link" href="#main">' in html
    assert 'id="main"' in html
    assets = re.findall(r'<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"', html)
    assert "/static/bootstrap/css/bootstrap.min.css" in assets
    assert "/static/bootstrap/js/bootstrap.bundle.min.js" in assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert "cdn" not in html.lower()


def test_navbar_shows_forum_links_and_sign_in(client, quito_forum):
    html = client.get(forum_url("speaker-list", quito_forum)).content.decode()

    assert f'href="{reverse("account_login")}"' in html
    assert 'aria-current="page"' in html
    assert reverse("admin:index") not in html
    assert f'href="{forum_url("organization-list", quito_forum)}"' in html


def test_navbar_shows_admin_and_sign_out_to_staff(client, quito_forum):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(forum_url("forum-home", quito_forum))

    assert f'href="{reverse("admin:index")}"' in response.content.decode()
    assert "Sign out" in page_text(response.content)


def test_messages_are_shown(client, rf, quito_forum):
    storage = CookieStorage(rf.get("/"))
    storage.add(messages.SUCCESS, "Your changes were saved.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value

    text = page_text(client.get(forum_url("forum-home", quito_forum)).content)

    assert "Your changes were saved." in text


def test_404_page_is_friendly(client):
    response = client.get("/en/forums/no-such-forum/")

    assert response.status_code == 404
    text = page_text(response.content)
    assert "Page not found" in text
    assert "See all forums" in text


def test_500_page_renders_without_context(rf):
    response = server_error(rf.get("/"))

    assert response.status_code == 500
    text = page_text(response.content)
    assert "Something went wrong" in text
    assert "See all forums" in text


def test_sign_in_page_uses_the_site_layout(client):
    response = client.get(reverse("account_login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in html
    assert "bootstrap/css/bootstrap.min.css" in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert " ".join(title.split()) == "Sign In · Mayoral Forum"
