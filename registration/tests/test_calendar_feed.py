"""A participant's personal calendar feed: what it holds, reached without signing in at its
secret address; the "New link" that revokes that address; the block on My registration."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from forum.tests.factories import ForumFactory, RoomFactory
from registration.calendar import calendar_token_of, new_calendar_token, personal_feed_url
from registration.models import Registration, SessionSignup
from registration.tests.factories import RegistrationFactory, SessionSignupFactory, VerifiedUserFactory
from sessions_app.models import Session
from sessions_app.tests.factories import SessionFactory, ThemeFactory, quito_time
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

FEED_QUERIES = 3  # the registration with its forum, the sessions with sign-up status, room and theme,
# the latest release


def feed_url(registration: Registration) -> str:
    return reverse("calendars:personal-ics", kwargs={"token": calendar_token_of(registration)})


def reset_url(forum) -> str:
    return reverse("calendars:personal-reset", kwargs={"forum_slug": forum.slug})


def my_registration_url(forum) -> str:
    return reverse("registration:my-registration", kwargs={"forum_slug": forum.slug})


def feed(client, url: str) -> Calendar:
    """The calendar at ``url``, fetched as a calendar app does (no session cookie needed)."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def statuses(calendar: Calendar) -> dict[str, tuple[str, str]]:
    """Each event's (SUMMARY, STATUS) by UID."""
    return {str(event["UID"]): (str(event["SUMMARY"]), str(event["STATUS"])) for event in calendar.events}


@pytest.fixture
def programme(open_forum):
    """A plenary, and three parallel sessions of ``open_forum``; and a plenary of another forum."""
    return {
        "plenary": SessionFactory(
            forum=open_forum, kind=Session.Kind.PLENARY, title="Opening", start=quito_time(9), end=quito_time(10)
        ),
        "seat": SessionFactory(forum=open_forum, title="Housing", start=quito_time(11), end=quito_time(12)),
        "waiting": SessionFactory(forum=open_forum, title="Jobs", start=quito_time(14), end=quito_time(15)),
        "not_chosen": SessionFactory(forum=open_forum, title="Health", start=quito_time(11), end=quito_time(12)),
        "elsewhere": SessionFactory(kind=Session.Kind.PLENARY, title="Another forum's opening"),
    }


def choose(registration: Registration, programme: dict) -> None:
    """A seat in "Housing" and a place on the waitlist of "Jobs"; someone else holds a seat in "Health"."""
    SessionSignupFactory(registration=registration, session=programme["seat"])
    SessionSignupFactory(
        registration=registration, session=programme["waiting"], status=SessionSignup.Status.WAITLISTED
    )
    SessionSignupFactory(registration__forum=registration.forum, session=programme["not_chosen"])


# What the feed holds.


def test_feed_holds_the_plenaries_and_the_participants_sessions_without_signing_in(
    client, confirmed_registration, programme
):
    choose(confirmed_registration, programme)

    calendar = feed(client, feed_url(confirmed_registration))

    assert statuses(calendar) == {
        str(programme["plenary"].guid): ("Opening", "CONFIRMED"),
        str(programme["seat"].guid): ("Housing", "CONFIRMED"),
        str(programme["waiting"].guid): ("Waitlist: Jobs", "TENTATIVE"),
    }
    assert confirmed_registration.forum.title in str(calendar["X-WR-CALNAME"])
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Guayaquil"]


def test_feed_is_kept_out_of_shared_caches(client, confirmed_registration):
    response = client.get(feed_url(confirmed_registration))

    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("status", [Registration.Status.SUBMITTED, Registration.Status.WAITLISTED])
def test_feed_of_a_registration_without_a_confirmed_place_is_tentative(client, open_forum, programme, status):
    registration = RegistrationFactory(forum=open_forum, status=status)

    calendar = feed(client, feed_url(registration))

    assert statuses(calendar) == {str(programme["plenary"].guid): ("Opening", "TENTATIVE")}


@pytest.mark.parametrize("status", [Registration.Status.CANCELLED, Registration.Status.DECLINED])
def test_feed_of_a_cancelled_or_declined_registration_is_an_empty_calendar(client, open_forum, programme, status):
    registration = RegistrationFactory(forum=open_forum, status=status)
    SessionSignupFactory(registration=registration, session=programme["seat"])

    calendar = feed(client, feed_url(registration))

    assert calendar.events == []
    assert str(calendar["VERSION"]) == "2.0"


def test_cancelled_session_stays_in_the_feed_marked_cancelled(client, confirmed_registration, programme):
    choose(confirmed_registration, programme)
    Session.objects.filter(pk=programme["seat"].pk).update(is_cancelled=True)

    calendar = feed(client, feed_url(confirmed_registration))

    assert statuses(calendar)[str(programme["seat"].guid)] == ("Cancelled: Housing", "CANCELLED")


def test_unknown_key_answers_404(client, confirmed_registration):
    calendar_token_of(confirmed_registration)

    response = client.get(reverse("calendars:personal-ics", kwargs={"token": "not-a-key"}))

    assert response.status_code == 404


def test_feed_of_an_unpublished_forum_answers_404(client):
    registration = RegistrationFactory(forum=ForumFactory(is_published=False))

    assert client.get(feed_url(registration)).status_code == 404


def test_spanish_feed_address_links_to_spanish_pages(client, confirmed_registration, programme):
    with translation.override("es"):
        url = personal_feed_url(confirmed_registration)
        page = reverse(
            "sessions_app:session-detail",
            kwargs={"forum_slug": confirmed_registration.forum.slug, "session_slug": programme["plenary"].slug},
        )

    calendar = feed(client, url.removeprefix(settings.SITE_URL))

    assert url == f"{settings.SITE_URL}/es/calendar/{confirmed_registration.calendar_token}.ics"
    [event] = calendar.events
    assert str(event["URL"]) == settings.SITE_URL + page
    assert page.startswith("/es/")


def test_feed_query_count_does_not_grow_with_sessions(client, confirmed_registration, django_assert_max_num_queries):
    forum = confirmed_registration.forum

    def add_session(hour: int) -> None:
        session = SessionFactory(
            forum=forum,
            room=RoomFactory(forum=forum),
            theme=ThemeFactory(forum=forum),
            start=quito_time(hour),
            end=quito_time(hour, 50),
        )
        SessionSignupFactory(registration=confirmed_registration, session=session)

    url = feed_url(confirmed_registration)
    add_session(0)
    with django_assert_max_num_queries(FEED_QUERIES):
        assert len(feed(client, url).events) == 1

    for hour in range(1, 24):
        add_session(hour)
    for hour in range(7):
        SessionFactory(forum=forum, kind=Session.Kind.PLENARY, start=quito_time(hour, 55), end=quito_time(hour, 59))
    with django_assert_max_num_queries(FEED_QUERIES):
        assert len(feed(client, url).events) == 31


# The key.


def test_key_is_made_once_unguessable_and_distinct():
    first, second = RegistrationFactory(), RegistrationFactory()
    stale_copy = Registration.objects.get(pk=first.pk)

    token = calendar_token_of(first)

    assert len(token) >= 43
    assert calendar_token_of(first) == token
    assert calendar_token_of(stale_copy) == token  # a racing request keeps the key already stored
    assert Registration.objects.get(pk=first.pk).calendar_token == token
    assert calendar_token_of(second) != token


def test_new_key_replaces_the_old_one(confirmed_registration):
    old = calendar_token_of(confirmed_registration)

    new = new_calendar_token(confirmed_registration)

    assert new != old
    assert Registration.objects.get(pk=confirmed_registration.pk).calendar_token == new


# "New link".


def test_new_link_revokes_the_old_address(client, confirmed_registration, participant):
    old_url = feed_url(confirmed_registration)
    client.force_login(participant)

    response = client.post(reset_url(confirmed_registration.forum))

    assert response.status_code == 302
    assert response["Location"] == my_registration_url(confirmed_registration.forum) + "#calendar"
    assert "Your calendar has a new address" in page_text(client.get(response["Location"]).content)
    confirmed_registration.refresh_from_db()
    new_url = feed_url(confirmed_registration)
    assert new_url != old_url
    client.logout()
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_new_link_needs_a_post(client, confirmed_registration, participant):
    token = calendar_token_of(confirmed_registration)
    client.force_login(participant)

    response = client.get(reset_url(confirmed_registration.forum))

    assert response.status_code == 405
    assert Registration.objects.get(pk=confirmed_registration.pk).calendar_token == token


def test_new_link_sends_anonymous_visitors_to_sign_in(client, confirmed_registration):
    token = calendar_token_of(confirmed_registration)

    response = client.post(reset_url(confirmed_registration.forum))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Registration.objects.get(pk=confirmed_registration.pk).calendar_token == token


def test_new_link_of_a_user_without_registration_answers_404_and_changes_nobodys_key(client, confirmed_registration):
    token = calendar_token_of(confirmed_registration)
    client.force_login(VerifiedUserFactory())

    response = client.post(reset_url(confirmed_registration.forum))

    assert response.status_code == 404
    assert Registration.objects.get(pk=confirmed_registration.pk).calendar_token == token


def test_new_link_needs_the_csrf_token(confirmed_registration, participant):
    token = calendar_token_of(confirmed_registration)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(participant)

    response = browser.post(reset_url(confirmed_registration.forum))

    assert response.status_code == 403
    assert Registration.objects.get(pk=confirmed_registration.pk).calendar_token == token


# My registration.


def test_my_registration_shows_the_feed_address_and_the_new_link_button(client, confirmed_registration, participant):
    client.force_login(participant)

    first = client.get(my_registration_url(confirmed_registration.forum))
    second = client.get(my_registration_url(confirmed_registration.forum))

    confirmed_registration.refresh_from_db()
    address = f"{settings.SITE_URL}{feed_url(confirmed_registration)}"
    html = first.content.decode()
    assert f'value="{address}"' in html
    assert f'action="{reset_url(confirmed_registration.forum)}"' in html
    text = page_text(html)
    assert "Your calendar" in text
    assert "Google Calendar" in text and "Outlook" in text and "Apple Calendar" in text
    assert f'value="{address}"' in second.content.decode()  # the key is made once
    assert client.get(address.removeprefix(settings.SITE_URL)).status_code == 200


def test_my_registration_has_no_feed_once_cancelled(client, open_forum, participant):
    registration = RegistrationFactory(forum=open_forum, user=participant, status=Registration.Status.CANCELLED)
    client.force_login(participant)

    response = client.get(my_registration_url(open_forum))

    assert "Your calendar" not in page_text(response.content)
    assert Registration.objects.get(pk=registration.pk).calendar_token is None
