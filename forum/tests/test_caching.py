"""The shared cache of public pages and exports (``forum.caching``): what anonymous
visitors are served from it, who never is, and that every kind of change shows at once."""

import gzip
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum.cache import ResilientRedisCache
from forum.models import Forum, Organization, Person, Room
from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory, UserFactory
from forum.tests.test_admin import forum_post
from registration.models import Registration, RegistrationSettings
from registration.tests.factories import (
    RegistrationFactory,
    RegistrationSettingsFactory,
    SessionSignupFactory,
    VerifiedUserFactory,
)
from sessions_app import recommendation_services
from sessions_app.models import Session
from sessions_app.recommendations import Recommendation, RecommendationsDocument
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import (
    AgendaItemFactory,
    RecommendationFactory,
    RecommendationsDocumentFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
)
from sessions_app.tests.support import client_for, page_text
from sessions_app.tests.test_admin import session_post

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@dataclass
class Site:
    """A published forum with open registration, one parallel session of 2 seats in a
    room, with a speaker on its agenda and an organizer, and a host organization."""

    forum: Forum
    session: Session
    person: Person
    room: Room
    host: Organization


@pytest.fixture
def site(db) -> Site:
    forum = ForumFactory(title="Forum of Welcoming Cities")
    RegistrationSettingsFactory(forum=forum)
    host = OrganizationFactory(name="Cities Alliance")
    forum.host_organizations.add(host)
    room = RoomFactory(forum=forum, name="Sala Quito")
    session = SessionFactory(
        forum=forum, theme=ThemeFactory(forum=forum), room=room, title="Cities and migration", capacity=2
    )
    SessionOrganizerFactory(session=session, order=1, organization=host)
    person = PersonFactory(name="Ana Garcés")
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session, order=1, title="Opening"), order=1, person=person)
    return Site(forum=forum, session=session, person=person, room=room, host=host)


def forum_kwargs(site: Site, **more) -> dict:
    return {"forum_slug": site.forum.slug, **more}


def session_kwargs(site: Site) -> dict:
    return forum_kwargs(site, session_slug=site.session.slug)


# Each cached page or export, with a text it shows.
PAGES = {
    "forum list": (lambda s: reverse("forum:forum-list"), lambda s: s.forum.title),
    "forum home": (lambda s: reverse("forum:forum-home", kwargs=forum_kwargs(s)), lambda s: s.forum.title),
    "programme": (lambda s: reverse("sessions_app:programme", kwargs=forum_kwargs(s)), lambda s: s.session.title),
    "programme filtered": (
        lambda s: reverse("sessions_app:programme", kwargs=forum_kwargs(s)) + "?q=migration",
        lambda s: s.session.title,
    ),
    "session": (lambda s: reverse("sessions_app:session-detail", kwargs=session_kwargs(s)), lambda s: s.person.name),
    "speakers": (lambda s: reverse("forum:speaker-list", kwargs=forum_kwargs(s)), lambda s: s.person.name),
    "speaker": (
        lambda s: reverse("forum:speaker-detail", kwargs=forum_kwargs(s, person_slug=s.person.slug)),
        lambda s: s.session.title,
    ),
    "organizations": (lambda s: reverse("forum:organization-list", kwargs=forum_kwargs(s)), lambda s: s.host.name),
    "changelog": (lambda s: reverse("releases:changelog", kwargs=forum_kwargs(s)), lambda s: "No release yet"),
    "changelog feed": (lambda s: reverse("releases:feed", kwargs=forum_kwargs(s)), lambda s: s.forum.title),
    "programme.ics": (lambda s: reverse("calendars:programme-ics", kwargs=forum_kwargs(s)), lambda s: s.session.title),
    "session .ics": (lambda s: reverse("calendars:session-ics", kwargs=session_kwargs(s)), lambda s: s.session.title),
    "schedule.xml": (lambda s: reverse("schedule:schedule-xml", kwargs=forum_kwargs(s)), lambda s: s.session.title),
    "schedule.json": (lambda s: reverse("schedule:schedule-json", kwargs=forum_kwargs(s)), lambda s: s.session.title),
}


def url_of(site: Site, page: str) -> str:
    return PAGES[page][0](site)


def queries_of(client: Client, url: str) -> tuple[int, str]:
    """The SQL queries run to answer a GET of ``url`` (200) and the text it shows."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), page_text(response.content)


def registered_participant(site: Site) -> tuple[Client, Registration]:
    """A client signed in as a new participant registered for ``site.forum``, and the registration."""
    participant = VerifiedUserFactory()
    registration = RegistrationFactory(forum=site.forum, user=participant)
    return client_for(participant), registration


def cached_text(client: Client, url: str) -> str:
    """The text of ``url`` after an anonymous GET that stored it, checked to be served
    from the cache (no query) the second time."""
    first = client.get(url)
    assert first.status_code == 200
    count, text = queries_of(client, url)
    assert count == 0
    assert text == page_text(first.content)
    return text


def text_now(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return page_text(response.content)


# Anonymous visitors are served from the cache.


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_second_get_runs_no_query_and_shows_the_same(client, site, page, django_assert_num_queries):
    url = url_of(site, page)
    first = client.get(url)
    assert first.status_code == 200

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert PAGES[page][1](site) in second.content.decode()
    assert second["ETag"] == first["ETag"]
    assert second["Last-Modified"] == first["Last-Modified"]
    assert second["Content-Type"] == first["Content-Type"]
    assert "no-cache" in second["Cache-Control"]
    assert "Cookie" in second["Vary"]


def test_cached_page_holds_no_csrf_token_and_sets_no_cookie(client, site):
    for page in PAGES:
        response = client.get(url_of(site, page))
        assert b"csrfmiddlewaretoken" not in response.content, page
        assert not response.cookies, page


def test_now_and_next_is_not_cached(client, site):
    url = reverse("sessions_app:now-next", kwargs=forum_kwargs(site))
    client.get(url)
    count, _text = queries_of(client, url)
    assert count > 0


def test_public_cache_seconds_0_renders_every_get(client, site, settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    for page in PAGES:
        url = url_of(site, page)
        assert queries_of(client, url)[0] > 0, page
        assert queries_of(client, url)[0] > 0, page


def test_english_and_spanish_pages_are_cached_apart(client, site):
    url = url_of(site, "speakers")
    english = cached_text(client, url)
    spanish_url = url.replace("/en/", "/es/", 1)

    count, spanish = queries_of(client, spanish_url)

    assert count > 0
    assert "Speakers" in english and "Ponentes" not in english
    assert "Ponentes" in spanish
    assert queries_of(client, spanish_url) == (0, spanish)
    assert queries_of(client, url) == (0, english)


def test_query_strings_are_cached_apart(client, site):
    url = url_of(site, "programme")
    matching = cached_text(client, url + "?q=migration")

    count, other = queries_of(client, url + "?q=astronomy")

    assert count > 0
    assert site.session.title in matching
    assert site.session.title not in other
    assert queries_of(client, url + "?q=astronomy") == (0, other)


# Never served from the cache, never stored: signed-in visitors, session and messages cookies.


def test_signed_in_participant_sees_their_own_sign_up_and_anonymous_visitors_do_not(client, site):
    signed_in, registration = registered_participant(site)
    SessionSignupFactory(registration=registration, session=site.session)
    programme = url_of(site, "programme")

    before = cached_text(client, programme)
    mine = signed_in.get(programme)
    mine_again_queries, mine_again = queries_of(signed_in, programme)
    after_queries, after = queries_of(client, programme)

    assert "1 of 2 places left" in before and "Signed up ✓" not in before
    assert "Signed up ✓" in page_text(mine.content)
    assert "private" in mine["Cache-Control"]
    assert mine_again_queries > 0 and "Signed up ✓" in mine_again
    assert (after_queries, after) == (0, before)


def test_a_signed_in_visit_is_never_stored_for_anonymous_visitors(client, site):
    signed_in, registration = registered_participant(site)
    SessionSignupFactory(registration=registration, session=site.session)
    session_page = url_of(site, "session")

    assert "Signed up ✓" in text_now(signed_in, session_page)
    count, text = queries_of(client, session_page)

    assert count > 0
    assert "Signed up ✓" not in text
    assert "Leave" not in text


def test_staffs_working_programme_is_never_stored_for_anonymous_visitors(client, site):
    release_programme(forum=site.forum)
    SessionFactory(forum=site.forum, title="A late addition", start=site.session.start)
    staff = client_for(UserFactory(is_staff=True, is_superuser=True))
    programme = url_of(site, "programme")

    preview = text_now(staff, programme)
    count, public = queries_of(client, programme)

    assert "A late addition" in preview and "You are seeing the working programme" in preview
    assert count > 0
    assert "A late addition" not in public and "working programme" not in public
    assert queries_of(client, programme) == (0, public)


def test_signing_out_shows_its_message_on_a_cached_page(client, site):
    forums = url_of(site, "forum list")
    cached_text(client, forums)
    visitor = client_for(VerifiedUserFactory())

    response = visitor.post(reverse("account_logout"), follow=True)

    assert response.redirect_chain and response.redirect_chain[-1][0] == forums
    text = page_text(response.content)
    assert "You have signed out." in text
    assert site.forum.title in text
    assert "You have signed out." not in text_now(client, forums)


def test_a_request_with_a_session_cookie_is_not_served_from_the_cache(client, site):
    url = url_of(site, "forum home")
    cached_text(client, url)
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"

    count, text = queries_of(client, url)

    assert count > 0
    assert site.forum.title in text


# Every change shows on the next anonymous GET.


def test_a_session_title_saved_shows_on_every_page_that_names_it(client, site):
    pages = ["programme", "session", "speaker", "programme.ics", "session .ics", "schedule.xml", "schedule.json"]
    for page in pages:
        cached_text(client, url_of(site, page))

    site.session.title = "Cities that welcome"
    site.session.save()

    for page in pages:
        assert "Cities that welcome" in client.get(url_of(site, page)).content.decode(), page


def test_a_session_title_changed_in_the_admin_shows(client, admin_client, site):
    url = url_of(site, "session")
    assert site.session.title in cached_text(client, url)
    data = session_post(site.session)
    data["title_en"] = "Cities that welcome"

    response = admin_client.post(reverse("admin:sessions_app_session_change", args=[site.session.pk]), data)

    assert response.status_code == 302
    assert "Cities that welcome" in text_now(client, url)


def test_a_new_agenda_item_and_speaker_show(client, site):
    session_page, speakers = url_of(site, "session"), url_of(site, "speakers")
    cached_text(client, session_page)
    cached_text(client, speakers)

    item = AgendaItemFactory(session=site.session, order=2, title="Voices of the cities")
    SpeakerRoleFactory(agenda_item=item, order=1, person=PersonFactory(name="Bea Núñez"))

    assert "Voices of the cities" in text_now(client, session_page)
    assert "Bea Núñez" in text_now(client, session_page)
    assert "Bea Núñez" in text_now(client, speakers)


def test_a_programme_release_shows(client, site):
    changelog, programme = url_of(site, "changelog"), url_of(site, "programme")
    cached_text(client, changelog)
    assert "Programme version" not in cached_text(client, programme)

    release_programme(forum=site.forum, note="First programme")

    changes = text_now(client, changelog)
    assert "Version 1" in changes and "First programme" in changes
    assert "No release yet" not in changes
    assert "Programme version 1, released on" in text_now(client, programme)


def test_a_sign_up_changes_the_places_left(client, site):
    signed_in, _ = registered_participant(site)
    programme, session_page = url_of(site, "programme"), url_of(site, "session")
    assert "2 of 2 places left" in cached_text(client, programme)
    assert "2 of 2 places left" in cached_text(client, session_page)

    signup_url = reverse("registration:session-signup", kwargs=session_kwargs(site))
    assert signed_in.post(signup_url).status_code == 302

    assert "1 of 2 places left" in text_now(client, programme)
    assert "1 of 2 places left" in text_now(client, session_page)


def test_registration_settings_changed_show_on_the_forum_home(client, site):
    home = url_of(site, "forum home")
    assert "Registration is open" in cached_text(client, home)
    registration_settings = RegistrationSettings.objects.get(forum=site.forum)
    registration_settings.closes_on = date(2001, 1, 31)
    registration_settings.save()

    text = text_now(client, home)

    assert "Registration closed on" in text
    assert "Register" not in text.replace("Registration", "")


def test_a_frab_import_into_the_forum_shows(client, site, tmp_path):
    export_url, session_page = url_of(site, "schedule.json"), url_of(site, "session")
    document = json.loads(client.get(export_url).content)
    cached_text(client, session_page)
    cached_text(client, export_url)
    for day in document["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for event in events:
                if event["guid"] == str(site.session.guid):
                    event["title"] = "Cities that welcome, imported"
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps(document), encoding="utf-8")

    call_command("import_frab_schedule", str(schedule), "--update-existing", stdout=io.StringIO())

    assert Session.objects.get(pk=site.session.pk).title == "Cities that welcome, imported"
    assert "Cities that welcome, imported" in text_now(client, session_page)
    assert "Cities that welcome, imported" in client.get(export_url).content.decode()


def test_published_recommendations_and_their_later_edit_show(client, site):
    organizer = UserFactory(is_staff=True, is_superuser=True)
    document = RecommendationsDocumentFactory(session=site.session, status=RecommendationsDocument.Status.SUBMITTED)
    RecommendationFactory(document=document, key_question=None, order=1, text="Fund shelters run by cities.")
    session_page = url_of(site, "session")
    assert "Fund shelters run by cities." not in cached_text(client, session_page)

    document = recommendation_services.publish(document=document, user=organizer)

    assert "Fund shelters run by cities." in text_now(client, session_page)
    cached_text(client, session_page)
    recommendation_services.save_draft(
        document=document,
        user=organizer,
        expected_version=document.version,
        introduction=document.introduction,
        conclusions=document.conclusions,
        contributors=document.contributors,
        recommendations=[
            {"key_question": None, "text": "Open city shelters all year.", "level": Recommendation.Level.LOCAL}
        ],
    )
    text = text_now(client, session_page)
    assert "Open city shelters all year." in text
    assert "Fund shelters run by cities." not in text


def test_a_room_renamed_in_the_forums_admin_shows(client, admin_client, site):
    session_page = url_of(site, "session")
    assert "Sala Quito" in cached_text(client, session_page)
    data = forum_post(site.forum)
    data["rooms-0-name"] = "Sala Bolívar"

    response = admin_client.post(reverse("admin:forum_forum_change", args=[site.forum.pk]), data)

    assert response.status_code == 302
    text = text_now(client, session_page)
    assert "Sala Bolívar" in text and "Sala Quito" not in text


def test_a_person_renamed_shows_on_the_speaker_pages(client, site):
    speakers, session_page = url_of(site, "speakers"), url_of(site, "session")
    cached_text(client, speakers)
    cached_text(client, session_page)

    site.person.name = "Ana María Garcés"
    site.person.save()

    assert "Ana María Garcés" in text_now(client, speakers)
    assert "Ana María Garcés" in text_now(client, session_page)


def test_unpublishing_a_forum_takes_its_pages_down(client, site):
    home = url_of(site, "forum home")
    cached_text(client, home)

    site.forum.is_published = False
    site.forum.save()

    assert client.get(home).status_code == 404


# Pages that change with the clock are not served past the moment they do.


@pytest.fixture
def clock(monkeypatch):
    """Sets the time the site and its cache read (``time.time``, ``timezone.now``)."""
    real = time.time

    def set_to(moment: datetime) -> None:
        offset = moment.timestamp() - real()
        monkeypatch.setattr(time, "time", lambda: real() + offset)
        monkeypatch.setattr(timezone, "now", lambda: datetime.fromtimestamp(real() + offset, tz=UTC))

    return set_to


@pytest.mark.parametrize(
    ("page", "before", "after"),
    [
        ("forum home", "Registration opens on", "Registration is open until"),
        ("programme", "Register for the forum", None),
        ("session", "Registration for this forum is not open.", "Register to sign up"),
    ],
)
def test_a_page_cached_before_registration_opens_says_it_is_open_once_it_is(
    client, site, settings, clock, page, before, after
):
    settings.PUBLIC_CACHE_SECONDS = 7 * 24 * 3600
    opens_on = timezone.localdate(timezone=site.forum.tzinfo) + timedelta(days=1)
    registration_settings = RegistrationSettings.objects.get(forum=site.forum)
    registration_settings.opens_on = opens_on
    registration_settings.save()
    url = url_of(site, page)
    earlier = cached_text(client, url)

    clock(registration_settings.opens_at + timedelta(seconds=1))
    later = text_now(client, url)

    if after is None:  # the programme only gains its "Register for the forum" button
        assert before not in earlier and before in later
    else:
        assert before in earlier and after not in earlier
        assert after in later and before not in later


def test_a_browser_that_accepts_gzip_gets_the_cached_page_compressed(client, site):
    url = reverse("sessions_app:programme", kwargs=forum_kwargs(site))
    plain = client.get(url)

    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert "Cities and migration" in gzip.decompress(compressed.content).decode()
    assert compressed["ETag"] == f"W/{plain['ETag']}"
    assert "Accept-Encoding" in compressed["Vary"]
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content)
    revalidated = client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=compressed["ETag"])
    assert revalidated.status_code == 304


def test_a_signed_in_page_is_compressed_for_a_browser_that_accepts_gzip(client, site):
    client.force_login(VerifiedUserFactory())

    response = client.get(reverse("sessions_app:programme", kwargs=forum_kwargs(site)), HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert "Cities and migration" in gzip.decompress(response.content).decode()


def test_pages_still_answer_when_the_cache_fails(client, site, caplog):
    """Redis unreachable (nothing listens on port 1): pages are built as if caching were off."""
    unreachable = {"default": {"BACKEND": "forum.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    url = reverse("sessions_app:programme", kwargs=forum_kwargs(site))

    with override_settings(CACHES=unreachable):
        first, second = client.get(url), client.get(url)
        site.session.title = "Cities, migration and work"
        site.session.save()
        after_change = client.get(url)

    assert first.status_code == second.status_code == after_change.status_code == 200
    assert "Cities, migration and work" in page_text(after_change.content)
    assert "The cache failed" in caplog.text


def test_a_migration_drops_every_cached_page(client, site):
    """Data migrations write without model signals; the bump after ``migrate`` covers them."""
    url = reverse("sessions_app:programme", kwargs=forum_kwargs(site))
    client.get(url)
    Session.objects.filter(pk=site.session.pk).update(title="Cities after the migration")
    assert "Cities after the migration" not in page_text(client.get(url).content)

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert "Cities after the migration" in page_text(client.get(url).content)


def test_a_made_up_query_parameter_is_not_cached(client, site, django_assert_max_num_queries):
    """Only the page's own parameters make copies: ``?x=1``, ``?x=2``… cannot fill the cache."""
    url = reverse("sessions_app:programme", kwargs=forum_kwargs(site))
    client.get(url + "?x=1")
    client.get(url + "?kind=parallel")

    with CaptureQueriesContext(connection) as made_up:
        assert "Cities and migration" in page_text(client.get(url + "?x=1").content)
    with django_assert_max_num_queries(0):
        assert "Cities and migration" in page_text(client.get(url + "?kind=parallel").content)
    assert len(made_up) > 0


def test_signing_in_and_signed_in_pages_work_when_the_cache_fails(client, site, caplog):
    """Sessions (``cached_db``) fall back to the database and allauth's rate limits stop
    counting: nobody is locked out while Redis is down."""
    user = VerifiedUserFactory(email="ana@example.org")
    user.set_password("a long passphrase 42")
    user.save()
    unreachable = {"default": {"BACKEND": "forum.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}

    with override_settings(CACHES=unreachable):
        signed_in = client.post(
            reverse("account_login"), {"login": "ana@example.org", "password": "a long passphrase 42"}
        )
        programme = client.get(reverse("sessions_app:programme", kwargs=forum_kwargs(site)))

    assert signed_in.status_code == 302
    assert programme.status_code == 200
    assert "ana@example.org" in programme.content.decode()
    assert "private" in programme["Cache-Control"]
    assert "The cache failed" in caplog.text


def test_a_failing_cache_is_asked_once_and_then_left_alone_for_a_while(caplog):
    """A stalled Redis costs one timeout per process and interval, not one per operation;
    meanwhile the cache answers as an empty one."""
    unreachable = ResilientRedisCache("redis://127.0.0.1:1/0", {})

    unreachable.set("key", "value")
    assert unreachable.get("key", "default") == "default"
    assert unreachable.add("lock", True) is True
    assert unreachable.has_key("key") is False

    assert caplog.text.count("The cache failed") == 1
    assert "carrying on without it for 10 s" in caplog.text
