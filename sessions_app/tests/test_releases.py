"""Programme releases: the service, the changelog page and Atom feed, the participants'
e-mails and the organizers' "Release the programme" action."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from forum.tests.factories import RoomFactory
from registration import services as registration_services
from registration.models import Notification, Registration, SessionSignup
from registration.services import RegistrationError
from registration.tasks import send_notification
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, SessionSignupFactory
from sessions_app.models import Session
from sessions_app.release_services import (
    ReleaseError,
    changes_fingerprint,
    pending_release,
    programme_snapshot,
    release_programme,
)
from sessions_app.release_texts import describe
from sessions_app.releases import ProgrammeRelease
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time
from sessions_app.tests.support import element_html, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://forum.example.org"
# forum, release count, the page's releases, the forum's current sessions
CHANGELOG_QUERIES = 4
FEED_QUERIES = 3  # forum, releases, the forum's current sessions


class Programme:
    """A published forum in Quito (22 January 2020) with three parallel sessions at 14:00–16:30
    (local time) in rooms A, B and C, and participants signed up for each:

    - ``moving`` (Room A): Ana (Spanish, confirmed seat) and Bea (English, waitlisted);
    - ``cancelling`` (Room B): Carl (English, confirmed seat);
    - ``steady`` (Room C): Dora (English, confirmed seat), whose session never changes.
    """

    def __init__(self, capture):
        self.capture = capture
        self.forum = RegistrationSettingsFactory(forum__title="6th Mayoral Forum").forum
        self.room_a = RoomFactory(forum=self.forum, name="Room A")
        self.room_b = RoomFactory(forum=self.forum, name="Room B")
        self.room_c = RoomFactory(forum=self.forum, name="Room C")
        self.moving = SessionFactory(forum=self.forum, title="Partnerships for inclusion", room=self.room_a)
        self.cancelling = SessionFactory(forum=self.forum, title="Cities and climate", room=self.room_b)
        self.steady = SessionFactory(forum=self.forum, title="Local integration", room=self.room_c)
        self.ana = self.sign_up(self.moving, "Ana Pérez", language="es")
        self.bea = self.sign_up(self.moving, "Bea Smith", status=SessionSignup.Status.WAITLISTED)
        self.carl = self.sign_up(self.cancelling, "Carl Jones")
        self.dora = self.sign_up(self.steady, "Dora Lee")

    def sign_up(self, session: Session, name: str, *, language: str = "en", status=SessionSignup.Status.CONFIRMED):
        registration = RegistrationFactory(forum=self.forum, printed_name=name, language=language)
        SessionSignupFactory(registration=registration, session=session, status=status)
        return registration

    def release(self, **kwargs) -> ProgrammeRelease:
        """Release the programme and run what it queued on commit (the e-mails)."""
        with self.capture(execute=True):
            return release_programme(forum=self.forum, **kwargs)

    def move_and_cancel(self) -> None:
        """Move ``moving`` an hour later into Room B, and cancel ``cancelling``."""
        self.moving.start, self.moving.end, self.moving.room = quito_time(15), quito_time(17, 30), self.room_b
        self.moving.save()
        self.cancelling.is_cancelled = True
        self.cancelling.save()


@pytest.fixture
def programme(django_capture_on_commit_callbacks, settings) -> Programme:
    settings.SITE_URL = SITE
    return Programme(django_capture_on_commit_callbacks)


def changelog_url(forum, language: str = "en", **query) -> str:
    with translation.override(language):
        url = reverse("releases:changelog", kwargs={"forum_slug": forum.slug})
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def feed_url(forum, language: str = "en") -> str:
    with translation.override(language):
        return reverse("releases:feed", kwargs={"forum_slug": forum.slug})


def feed_entries(client, forum, language: str = "en") -> list[ElementTree.Element]:
    response = client.get(feed_url(forum, language))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def entry_text(entry: ElementTree.Element) -> str:
    """The visible text of an Atom entry's HTML content."""
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    return page_text(content.text)


def kinds(release: ProgrammeRelease) -> list[tuple[str, str]]:
    return [(change["title"], change["kind"]) for change in release.changes]


# The test: a release after moving one session and cancelling another.


def test_release_after_moving_and_cancelling_lists_both_and_emails_exactly_their_participants(
    programme, client, mailoutbox
):
    programme.release()
    assert mailoutbox == []  # the first release only adds sessions
    programme.move_and_cancel()

    release = programme.release(note="Room changes after the venue visit.")

    assert release.number == 2
    assert kinds(release) == [("Cities and climate", "cancelled"), ("Partnerships for inclusion", "moved")]
    moved = "Moved: Wed 22 January 14:00–16:30 → 15:00–17:30, Room A → Room B"
    page = client.get(changelog_url(programme.forum))
    section = page_text(element_html(page.content, "release-2"))
    assert "Version 2" in section
    assert "Room changes after the venue visit." in section
    assert f"Partnerships for inclusion {moved}" in section
    assert "Cities and climate Cancelled" in section
    assert "Local integration" not in section
    [second, first] = feed_entries(client, programme.forum)
    assert second.find(f"{ATOM}title").text == "Programme version 2"
    assert moved in entry_text(second)
    assert "Cities and climate Cancelled" in entry_text(second)
    assert "Local integration" not in entry_text(second)
    assert "Local integration Added: Wed 22 January 14:00–16:30, Room C" in entry_text(first)

    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == sorted(r.user.email for r in (programme.ana, programme.bea, programme.carl))
    by_recipient = {message.to[0]: message for message in mailoutbox}
    bea = by_recipient[programme.bea.user.email]
    assert bea.subject == "Programme change: Partnerships for inclusion"
    assert "Dear Bea Smith," in bea.body
    assert moved in bea.body
    assert "When: Wednesday 22 January 2020, 15:00–17:30, Quito time" in bea.body
    session_page = reverse(
        "sessions_app:session-detail",
        kwargs={"forum_slug": programme.forum.slug, "session_slug": programme.moving.slug},
    )
    assert f"Session page: {SITE}{session_page}" in bea.body
    carl = by_recipient[programme.carl.user.email]
    assert carl.subject == "Programme change: Cities and climate"
    assert "Cancelled" in carl.body
    assert "your place in this one is then given up" in carl.body
    ana = by_recipient[programme.ana.user.email]
    ana_html = ana.alternatives[0].content
    assert ana.extra_headers["Content-Language"] == "es"
    assert '<html lang="es">' in ana_html
    assert ana.subject == "Cambio en el programa: Partnerships for inclusion"
    for body in (ana.body, ana_html):
        assert "Hola, Ana Pérez:" in body
        assert "mié 22 de enero 14:00–16:30 → 15:00–17:30, Room A → Room B" in body
        assert "miércoles 22 de enero de 2020, de 15:00 a 17:30, hora de Quito" in body
        assert f"{SITE}/es/forums/{programme.forum.slug}/sessions/{programme.moving.slug}/" in body


# The service.


def test_snapshot_holds_each_sessions_schedule_facts_in_utc(programme):
    SpeakerRoleFactory(agenda_item__session=programme.moving, person__name="María Garcés")
    SpeakerRoleFactory(agenda_item__session=programme.moving, person=None, group_name="Youth representatives")

    snapshot = programme_snapshot(programme.forum)

    assert snapshot[str(programme.moving.guid)] == {
        "title": "Partnerships for inclusion",
        "kind": "parallel",
        "start": "2020-01-22T19:00:00+00:00",
        "end": "2020-01-22T21:30:00+00:00",
        "room": "Room A",
        "cancelled": False,
        "speakers": ["María Garcés", "Youth representatives"],
    }
    assert len(snapshot) == 3


def test_snapshot_runs_two_queries_whatever_the_programme(programme, django_assert_num_queries):
    for index in range(10):
        session = SessionFactory(forum=programme.forum)
        SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session), person__name=f"Speaker {index}")

    with django_assert_num_queries(2):
        snapshot = programme_snapshot(programme.forum)

    assert len(snapshot) == 13


def test_first_release_lists_every_session_as_added_and_emails_no_one(programme, client, mailoutbox):
    release = programme.release(user=None)

    assert release.number == 1
    assert sorted(kinds(release)) == [
        ("Cities and climate", "added"),
        ("Local integration", "added"),
        ("Partnerships for inclusion", "added"),
    ]
    assert release.snapshot == programme_snapshot(programme.forum)
    section = page_text(element_html(client.get(changelog_url(programme.forum)).content, "release-1"))
    assert "Partnerships for inclusion Added: Wed 22 January 14:00–16:30, Room A" in section
    assert "3 changes" in section
    assert mailoutbox == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize("released_before", [True, False])
def test_release_without_changes_is_refused_and_stores_nothing(programme, released_before):
    if released_before:
        programme.release()
    else:
        Session.objects.all().delete()

    with pytest.raises(ReleaseError) as refusal:
        programme.release()

    assert refusal.value.code == "no_changes"
    expected = "has not changed since version 1" if released_before else "has no session yet"
    assert expected in refusal.value.message
    assert ProgrammeRelease.objects.count() == (1 if released_before else 0)


def test_release_numbers_are_consecutive_per_forum(programme):
    numbers = [programme.release().number]
    for title in ("Partnerships for cities", "Partnerships for all"):
        programme.moving.title = title
        programme.moving.save()
        numbers.append(programme.release().number)
    other = SessionFactory().forum

    assert numbers == [1, 2, 3]
    assert release_programme(forum=other).number == 1
    assert list(programme.forum.releases.values_list("number", flat=True)) == [3, 2, 1]


def test_speakers_joining_or_leaving_are_a_change_but_a_new_order_is_not(programme, mailoutbox):
    item = AgendaItemFactory(session=programme.moving)
    SpeakerRoleFactory(agenda_item=item, order=1, person__name="Ana López")
    leaving = SpeakerRoleFactory(agenda_item=item, order=2, person__name="Bruno Díaz")
    programme.release()
    leaving.delete()
    SpeakerRoleFactory(agenda_item=item, order=3, person__name="Carmen Ruiz")

    release = programme.release()

    assert kinds(release) == [("Partnerships for inclusion", "speakers")]
    assert release.changes[0]["before"] == {"speakers": ["Ana López", "Bruno Díaz"]}
    assert release.changes[0]["after"] == {"speakers": ["Ana López", "Carmen Ruiz"]}
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [programme.ana.user.email, programme.bea.user.email]
    )
    english = next(message for message in mailoutbox if message.to == [programme.bea.user.email])
    assert "Speakers: + Carmen Ruiz, − Bruno Díaz" in english.body
    item.speaker_roles.filter(order=1).update(order=9)  # Ana now speaks last: same people
    with pytest.raises(ReleaseError):
        programme.release()


def test_retitled_session_is_listed_with_both_titles(programme, client):
    programme.release()
    programme.steady.title = "Local integration of migrants"
    programme.steady.save()

    release = programme.release()

    assert kinds(release) == [("Local integration of migrants", "retitled")]
    section = page_text(element_html(client.get(changelog_url(programme.forum)).content, "release-2"))
    assert "Retitled: “Local integration” → “Local integration of migrants”" in section


def test_removed_session_is_listed_under_its_last_title_without_a_link(programme, client, mailoutbox):
    programme.release()
    programme.steady.delete()

    release = programme.release()

    assert kinds(release) == [("Local integration", "removed")]
    html = element_html(client.get(changelog_url(programme.forum)).content, "release-2")
    assert "Local integration Removed from the programme" in page_text(html)
    assert "/sessions/" not in html
    assert mailoutbox == []


def test_reinstated_session_is_listed_and_emails_its_participants(programme, mailoutbox):
    programme.cancelling.is_cancelled = True
    programme.cancelling.save()
    programme.release()

    programme.cancelling.is_cancelled = False
    programme.cancelling.save()
    release = programme.release()

    assert kinds(release) == [("Cities and climate", "reinstated")]
    [message] = mailoutbox
    assert message.to == [programme.carl.user.email]
    assert "No longer cancelled: it takes place as planned" in message.body


def test_changed_plenary_emails_every_confirmed_participant_of_the_forum(programme, mailoutbox):
    plenary = SessionFactory(forum=programme.forum, kind=Session.Kind.PLENARY, title="Opening", start=quito_time(9))
    waitlisted = RegistrationFactory(forum=programme.forum, status=Registration.Status.WAITLISTED)
    programme.release()
    plenary.start, plenary.end = quito_time(9, 30), quito_time(11)
    plenary.save()

    programme.release()

    confirmed = [programme.ana, programme.bea, programme.carl, programme.dora]
    assert sorted(message.to[0] for message in mailoutbox) == sorted(r.user.email for r in confirmed)
    assert waitlisted.user.email not in {message.to[0] for message in mailoutbox}
    message = next(message for message in mailoutbox if message.to == [programme.dora.user.email])
    assert "the plenary session “Opening” has changed" in message.body
    assert "Moved: Wed 22 January 09:00–11:30 → 09:30–11:00" in message.body


def test_session_changed_email_is_sent_once_even_if_the_task_runs_twice(programme, mailoutbox):
    programme.release()
    programme.move_and_cancel()
    programme.release()
    sent = len(mailoutbox)
    notification = Notification.objects.get(registration=programme.carl, kind=Notification.Kind.SESSION_CHANGED)

    send_notification(notification.pk)

    assert len(mailoutbox) == sent == 3
    assert notification.release.number == 2


def test_release_refuses_changes_other_than_those_reviewed(programme):
    reviewed = changes_fingerprint(pending_release(programme.forum)[1])
    programme.steady.title = "Changed meanwhile"
    programme.steady.save()

    with pytest.raises(ReleaseError) as refusal:
        programme.release(expected_fingerprint=reviewed)

    assert refusal.value.code == "stale"
    assert not ProgrammeRelease.objects.exists()
    assert programme.release(expected_fingerprint=changes_fingerprint(pending_release(programme.forum)[1])).number == 1


# Sign-ups for a cancelled session.


def test_cancelled_session_refuses_sign_ups(programme):
    newcomer = RegistrationFactory(forum=programme.forum)
    programme.cancelling.is_cancelled = True
    programme.cancelling.save()

    with pytest.raises(RegistrationError) as refusal:
        registration_services.session_sign_up(registration=newcomer, session=programme.cancelling)

    assert refusal.value.code == "cancelled"
    assert refusal.value.message == "This session is cancelled, so it takes no sign-ups."
    assert not SessionSignup.objects.filter(registration=newcomer).exists()


def test_leaving_a_cancelled_session_promotes_no_one_from_its_waitlist(programme, mailoutbox):
    programme.moving.is_cancelled = True
    programme.moving.save()

    with programme.capture(execute=True):
        registration_services.session_leave(registration=programme.ana, session=programme.moving)

    assert SessionSignup.objects.get(registration=programme.bea).status == SessionSignup.Status.WAITLISTED
    assert mailoutbox == []


# The changelog page and the feed.


def test_changelog_before_the_first_release_says_so(programme, client):
    response = client.get(changelog_url(programme.forum))

    assert response.status_code == 200
    assert "No release yet." in page_text(response.content)
    assert feed_entries(client, programme.forum) == []


def test_changelog_and_feed_of_an_unknown_or_unpublished_forum_are_404(programme, client):
    programme.release()
    programme.forum.is_published = False
    programme.forum.save()

    for url in (changelog_url(programme.forum), feed_url(programme.forum)):
        assert client.get(url).status_code == 404
    for name in ("releases:changelog", "releases:feed"):
        assert client.get(reverse(name, kwargs={"forum_slug": "no-such-forum"})).status_code == 404


def test_changelog_in_spanish_gives_local_dates_in_spanish(programme, client):
    programme.release()

    text = page_text(client.get(changelog_url(programme.forum, "es")).content)

    assert "mié 22 de enero 14:00–16:30" in text


def test_feed_entries_have_stable_ids_and_are_updated_when_released(programme, client):
    first = programme.release()
    ProgrammeRelease.objects.filter(pk=first.pk).update(released_at=datetime(2020, 1, 10, 15, 0, tzinfo=UTC))

    [entry] = feed_entries(client, programme.forum)
    [again] = feed_entries(client, programme.forum, "es")

    assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert entry.find(f"{ATOM}id").text == again.find(f"{ATOM}id").text
    assert entry.find(f"{ATOM}updated").text == "2020-01-10T15:00:00+00:00"
    link = entry.find(f"{ATOM}link").get("href")
    assert link.endswith(changelog_url(programme.forum) + "#release-1")
    assert f'href="http://testserver/en/forums/{programme.forum.slug}/sessions/' in entry.find(f"{ATOM}content").text


@pytest.fixture
def many_releases(programme):
    """25 releases of the programme, each retitling a session."""

    def make(count: int) -> None:
        for number in range(count):
            programme.steady.title = f"Local integration, take {number}"
            programme.steady.save()
            programme.release()

    return make


@pytest.mark.parametrize("count", [1, 25])
def test_changelog_runs_a_constant_number_of_queries(
    programme, client, many_releases, count, django_assert_num_queries
):
    many_releases(count)
    pages = [changelog_url(programme.forum)] + ([changelog_url(programme.forum, page=2)] if count > 20 else [])

    for url in pages:
        with django_assert_num_queries(CHANGELOG_QUERIES):
            response = client.get(url)
        assert response.status_code == 200

    text = page_text(response.content)
    assert "Version 1 " in text
    assert ("Page 2 of 2" in text) == (count > 20)


@pytest.mark.parametrize("count", [1, 25])
def test_feed_runs_a_constant_number_of_queries(programme, client, many_releases, count, django_assert_num_queries):
    many_releases(count)

    with django_assert_num_queries(FEED_QUERIES):
        entries = feed_entries(client, programme.forum)

    assert [entry.find(f"{ATOM}title").text for entry in entries][-1] == "Programme version 1"
    assert len(entries) == count
    oldest_link = entries[-1].find(f"{ATOM}link").get("href")
    assert oldest_link.endswith("?page=2#release-1" if count > 20 else "#release-1")


def test_changelog_page_past_the_last_is_404(programme, client):
    programme.release()

    assert client.get(changelog_url(programme.forum, page=2)).status_code == 404
    assert client.get(changelog_url(programme.forum, page="x")).status_code == 404


# The organizers' side.


def action_data(forum, **extra) -> dict:
    return {"action": "release_programme_action", "_selected_action": [str(forum.pk)], **extra}


FORUMS = reverse("admin:forum_forum_changelist")


def test_release_action_shows_the_pending_changes_then_releases(programme, admin_client, mailoutbox):
    programme.release()
    programme.move_and_cancel()

    page = admin_client.post(FORUMS, action_data(programme.forum))

    assert page.status_code == 200
    text = page_text(page.content)
    assert "stores it as version 2, with these 2 changes since the last release" in text
    assert "Partnerships for inclusion Moved: Wed 22 January 14:00–16:30 → 15:00–17:30, Room A → Room B" in text
    assert "Cities and climate Cancelled" in text
    assert "3 e-mails will tell the participants of the changed sessions what changed." in text
    assert 'name="note"' in page.content.decode()
    assert ProgrammeRelease.objects.count() == 1

    with programme.capture(execute=True):
        done = admin_client.post(
            FORUMS,
            action_data(
                programme.forum, post="yes", note="After the venue visit.", fingerprint=page.context["fingerprint"]
            ),
            follow=True,
        )

    release = programme.forum.releases.get(number=2)
    assert (release.note, release.released_by.is_superuser) == ("After the venue visit.", True)
    html = done.content.decode()
    assert "Version 2 of the programme of 6th Mayoral Forum is released, with 2 changes." in html
    assert "3 e-mails to participants are on their way." in html
    assert f'<a href="{changelog_url(programme.forum)}">See the changelog</a>' in html
    assert len(mailoutbox) == 3


def test_release_action_without_changes_warns_and_stores_nothing(programme, admin_client):
    programme.release()

    response = admin_client.post(FORUMS, action_data(programme.forum), follow=True)

    assert "The programme has not changed since version 1: there is nothing to release." in page_text(response.content)
    assert ProgrammeRelease.objects.count() == 1


def test_release_action_shows_the_page_again_when_the_programme_changed_meanwhile(programme, admin_client):
    page = admin_client.post(FORUMS, action_data(programme.forum))
    programme.steady.title = "Changed meanwhile"
    programme.steady.save()

    again = admin_client.post(FORUMS, action_data(programme.forum, post="yes", fingerprint=page.context["fingerprint"]))

    assert again.status_code == 200
    assert "The programme changed while you were reviewing it." in page_text(again.content)
    assert "Changed meanwhile" in page_text(again.content)
    assert not ProgrammeRelease.objects.exists()


def test_release_action_takes_one_forum_at_a_time(programme, admin_client):
    other = SessionFactory().forum

    response = admin_client.post(
        FORUMS, {"action": "release_programme_action", "_selected_action": [programme.forum.pk, other.pk]}, follow=True
    )

    assert "Select one forum" in page_text(response.content)
    assert not ProgrammeRelease.objects.exists()


def test_release_admin_lists_releases_read_only_with_their_changes(programme, admin_client, admin_user):
    programme.release()
    programme.move_and_cancel()
    release = programme.release(user=admin_user)
    ProgrammeRelease.objects.filter(pk=release.pk).update(released_at=datetime(2020, 1, 10, 15, 0, tzinfo=UTC))

    listing = page_text(admin_client.get(reverse("admin:sessions_app_programmerelease_changelist")).content)
    detail = admin_client.get(reverse("admin:sessions_app_programmerelease_change", args=[release.pk]))

    assert f"6th Mayoral Forum 2 Fri 10 Jan 2020 10:00 {admin_user.email} 2" in listing  # 15:00 UTC, 10:00 in Quito
    detail_text = page_text(detail.content)
    assert "Moved: Wed 22 January 14:00–16:30 → 15:00–17:30, Room A → Room B" in detail_text
    assert "Cities and climate Cancelled" in detail_text
    assert admin_client.get(reverse("admin:sessions_app_programmerelease_add")).status_code == 403


def test_session_admin_lists_and_filters_cancelled_sessions(programme, admin_client):
    programme.cancelling.is_cancelled = True
    programme.cancelling.save()

    response = admin_client.get(reverse("admin:sessions_app_session_changelist"), {"is_cancelled__exact": "1"})

    assert response.status_code == 200
    assert [session.title for session in response.context["cl"].result_list] == ["Cities and climate"]
    form = admin_client.get(reverse("admin:sessions_app_session_change", args=[programme.cancelling.pk]))
    assert 'name="is_cancelled"' in form.content.decode()


# Concurrency (PostgreSQL only: on SQLite every write transaction takes the database lock).


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("postgresql_threads")
def test_concurrent_releases_store_one_version_and_refuse_the_rest():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (set DATABASE_URL; CI's services run does)")
    forum = SessionFactory().forum
    threads = 8
    barrier = threading.Barrier(threads)

    def run(_):
        barrier.wait()
        try:
            return release_programme(forum=forum).number
        except ReleaseError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(run, range(threads)))

    assert sorted(results, key=str) == [1] + ["no_changes"] * (threads - 1)
    assert list(ProgrammeRelease.objects.values_list("number", flat=True)) == [1]


# The words of a change.

QUITO = ZoneInfo("America/Guayaquil")
AT_TWO = {"start": "2020-01-22T19:00:00+00:00", "end": "2020-01-22T21:30:00+00:00"}  # 14:00–16:30 in Quito
NEXT_MORNING = {"start": "2020-01-23T14:00:00+00:00", "end": "2020-01-23T15:00:00+00:00"}  # 09:00–10:00


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (
            {"kind": "moved", "before": {**AT_TWO, "room": "Room A"}, "after": {**NEXT_MORNING, "room": "Room A"}},
            "Moved: Wed 22 January 14:00–16:30 → Thu 23 January 09:00–10:00",
        ),
        (
            {"kind": "moved", "before": {**AT_TWO, "room": "Room A"}, "after": {**AT_TWO, "room": None}},
            "Moved: Room A → room to be announced",
        ),
        (
            {"kind": "added", "before": {}, "after": {**AT_TWO, "room": "Room A", "cancelled": True}},
            "Added: Wed 22 January 14:00–16:30, Room A (cancelled)",
        ),
        ({"kind": "removed", "before": {**AT_TWO, "room": "Room A"}, "after": {}}, "Removed from the programme"),
    ],
)
def test_describe_gives_a_change_in_words_in_the_forums_zone(change, sentence):
    with translation.override("en"):
        assert describe(change, QUITO) == sentence
