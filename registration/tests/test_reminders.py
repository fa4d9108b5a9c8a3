"""The reminder before a forum: one e-mail per confirmed participant, 24 hours ahead, in their
language, with their sessions at the forum's local times; written once, however often beat runs."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum.celery import app as celery_app
from forum.tests.factories import RoomFactory
from registration import services
from registration.calendar import calendar_token_of
from registration.models import Notification, Registration
from registration.tasks import send_forum_reminders, send_notification
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, SessionSignupFactory
from sessions_app.models import Session
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import SessionFactory, quito_time

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

SITE = "https://forum.example.org"
FORUM = "6th Mayoral Forum"
REMINDER = Notification.Kind.REMINDER
FIRST_SESSION = quito_time(9)  # 22 January 2020, 09:00 in Quito = 14:00 UTC
IN_20_HOURS = FIRST_SESSION - timedelta(hours=20)  # 21 January 2020, 18:00 UTC


class World:
    """A published one-day forum in Quito (22 January 2020, UTC−5) and its programme.

    The participant holds a seat in "Partnerships for inclusion" (14:00–16:30), is on the
    waitlist of "Data for cities" (17:00–18:00) and holds a seat in a session that was
    cancelled; "Housing" is a parallel session they did not choose. The opening plenary
    (09:00–10:30) is everyone's.
    """

    def __init__(self, language: str = "en"):
        self.forum = RegistrationSettingsFactory(
            forum__title=FORUM, forum__venue="Quito Convention Center", forum__city="Quito"
        ).forum
        room = RoomFactory(forum=self.forum, name="Sala Galápagos")
        self.plenary = SessionFactory(
            forum=self.forum,
            kind=Session.Kind.PLENARY,
            title="Opening plenary",
            start=FIRST_SESSION,
            end=quito_time(10, 30),
            room=room,
        )
        self.seat = SessionFactory(forum=self.forum, title="Partnerships for inclusion", room=room)
        self.waitlisted = SessionFactory(
            forum=self.forum, title="Data for cities", start=quito_time(17), end=quito_time(18)
        )
        self.cancelled = SessionFactory(
            forum=self.forum, title="Cancelled dialogue", start=quito_time(11), end=quito_time(12), is_cancelled=True
        )
        SessionFactory(forum=self.forum, title="Housing", start=quito_time(14), room=room)
        self.registration = RegistrationFactory(forum=self.forum, printed_name="Ana Pérez", language=language)
        SessionSignupFactory(registration=self.registration, session=self.seat)
        SessionSignupFactory(registration=self.registration, session=self.waitlisted, status="waitlisted")
        SessionSignupFactory(registration=self.registration, session=self.cancelled)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run ``queue_forum_reminders(now)`` and the e-mail tasks it queues on commit."""

    def run(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.queue_forum_reminders(now)

    return run


def test_a_confirmed_participant_gets_one_reminder_20_hours_before_the_forum(remind, mailoutbox):
    world = World()

    queued = remind(IN_20_HOURS)

    assert queued == 1
    [message] = mailoutbox
    assert message.to == [world.registration.user.email]
    assert message.subject == f"Reminder: {FORUM}, 22 January 2020"
    assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["Content-Language"] == "en"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="en">' in html
    for body in (message.body, html):
        assert "Dear Ana Pérez," in body
        assert f"{FORUM} (Quito, 22 January 2020) is about to begin" in body
        assert "Plenary sessions are open to every participant." in body
        assert "Your programme (Quito time)" in body
        assert "Quito Convention Center, Quito, Ecuador" in body
        assert "19:00" not in body and "22:00" not in body  # times are Quito's, not UTC
        assert "Housing" not in body  # a session they did not choose
        assert "Cancelled dialogue" not in body
        assert "You hold no seat" not in body
    sessions = message.body.split("Your programme (Quito time)")[1]
    assert sessions.index("Opening plenary") < sessions.index("Partnerships") < sessions.index("Data for cities")
    assert (
        "Wednesday 22 January 2020, 09:00–10:30\nOpening plenary\nSala Galápagos · plenary, open to every participant"
    ) in message.body
    assert "Wednesday 22 January 2020, 14:00–16:30\nPartnerships for inclusion\nSala Galápagos · your seat" in (
        message.body
    )
    assert (
        "Wednesday 22 January 2020, 17:00–18:00\nData for cities\n"
        "room to be announced · waitlist: we will write to you if a seat becomes free"
    ) in message.body
    assert "<em>waitlist: we will write to you if a seat becomes free</em>" in html
    my_registration = f"{SITE}/en/forums/{world.forum.slug}/registration/"
    programme = f"{SITE}/en/forums/{world.forum.slug}/programme/"
    assert f"Your registration: {my_registration}\n" in message.body
    assert f"Programme: {programme}\n" in message.body
    assert f'href="{my_registration}"' in html and f'href="{programme}"' in html
    assert "calendar" not in message.body  # no key was made for the e-mail
    world.registration.refresh_from_db()
    assert world.registration.calendar_token is None
    reminder = Notification.objects.get(kind=REMINDER)
    assert reminder.registration == world.registration
    assert reminder.sent_at is not None


def test_the_reminder_gives_the_released_times_not_the_organizers_unreleased_edits(remind, mailoutbox):
    world = World()
    release_programme(forum=world.forum)
    world.seat.start, world.seat.end = quito_time(15), quito_time(17, 30)
    world.seat.save()

    remind(IN_20_HOURS)

    [message] = mailoutbox
    assert "Wednesday 22 January 2020, 14:00–16:30\nPartnerships for inclusion" in message.body
    assert "15:00" not in message.body


def test_running_again_sends_nothing_more(remind, mailoutbox):
    World()
    remind(IN_20_HOURS)

    again = remind(IN_20_HOURS + timedelta(minutes=15))

    assert again == 0
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(kind=REMINDER).count() == 1


def test_the_spanish_participant_gets_the_spanish_reminder(remind, mailoutbox):
    world = World(language="es")

    remind(IN_20_HOURS)

    [message] = mailoutbox
    html = message.alternatives[0].content
    assert message.subject == f"Recordatorio: {FORUM}, 22 de enero de 2020"
    assert message.extra_headers["Content-Language"] == "es"
    assert '<html lang="es">' in html
    for body in (message.body, html):
        assert "Hola, Ana Pérez:" in body
        assert f"{FORUM} (Quito, 22 de enero de 2020) está a punto de comenzar" in body
        assert "Las sesiones plenarias están abiertas a todas las personas participantes." in body
        assert "Su programa (hora de Quito)" in body
        assert "miércoles 22 de enero de 2020, de 14:00 a 16:30" in body
        assert "plenaria, abierta a todas las personas participantes" in body
        assert "su lugar" in body
        assert "lista de espera: le escribiremos si se libera un lugar" in body
        assert "Wednesday" not in body and "Dear" not in body
    assert f"{SITE}/es/forums/{world.forum.slug}/registration/" in message.body


def test_the_reminder_links_the_personal_calendar_feed_when_the_participant_has_one(remind, mailoutbox):
    world = World()
    token = calendar_token_of(world.registration)

    remind(IN_20_HOURS)

    [message] = mailoutbox
    feed = SITE + reverse("calendars:personal-ics", kwargs={"token": token})
    assert f"Your calendar feed: {feed}\n" in message.body
    assert f'href="{feed}"' in message.alternatives[0].content


def test_a_participant_without_parallel_sessions_is_told_they_can_still_choose(remind, mailoutbox):
    world = World()
    world.registration.signups.all().delete()

    remind(IN_20_HOURS)

    [message] = mailoutbox
    assert "You hold no seat in a parallel session yet." in message.body
    assert "Opening plenary" in message.body
    assert "Partnerships for inclusion" not in message.body


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(FIRST_SESSION - timedelta(days=3), id="starts in 3 days"),
        pytest.param(FIRST_SESSION - timedelta(hours=24, minutes=1), id="one minute before the window"),
        pytest.param(FIRST_SESSION, id="has started"),
        pytest.param(FIRST_SESSION + timedelta(hours=3), id="is under way"),
        pytest.param(FIRST_SESSION + timedelta(days=2), id="has ended"),
    ],
)
def test_no_reminder_outside_the_24_hours_before_the_forum(remind, mailoutbox, now):
    World()

    assert remind(now) == 0

    assert mailoutbox == []
    assert not Notification.objects.filter(kind=REMINDER).exists()


def test_the_window_opens_exactly_24_hours_before_the_first_session(remind, mailoutbox):
    World()

    assert remind(FIRST_SESSION - timedelta(hours=24)) == 1
    assert len(mailoutbox) == 1


def test_an_unpublished_forum_sends_no_reminder(remind, mailoutbox):
    world = World()
    world.forum.is_published = False
    world.forum.save()

    assert remind(IN_20_HOURS) == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    "status",
    [
        Registration.Status.SUBMITTED,
        Registration.Status.WAITLISTED,
        Registration.Status.DECLINED,
        Registration.Status.CANCELLED,
    ],
)
def test_only_confirmed_participants_are_reminded(remind, mailoutbox, status):
    world = World()
    other = RegistrationFactory(forum=world.forum, status=status)

    assert remind(IN_20_HOURS) == 1

    [message] = mailoutbox
    assert message.to == [world.registration.user.email]
    assert not Notification.objects.filter(registration=other).exists()


def test_a_forum_without_sessions_starts_at_local_midnight(remind, mailoutbox):
    forum = RegistrationSettingsFactory().forum  # 22 January 2020 in Quito: starts 05:00 UTC
    RegistrationFactory(forum=forum)
    local_midnight = datetime(2020, 1, 22, 5, tzinfo=UTC)

    assert remind(local_midnight - timedelta(hours=24, minutes=30)) == 0
    assert remind(local_midnight - timedelta(hours=23, minutes=30)) == 1

    [message] = mailoutbox
    assert "is about to begin" in message.body
    assert "Your programme" not in message.body
    assert "Below are the plenaries" not in message.body


def test_a_cancelled_first_session_does_not_start_the_forum(remind, mailoutbox):
    world = World()
    world.plenary.is_cancelled = True
    world.plenary.save()
    # The forum now starts with "Partnerships for inclusion" at 14:00 Quito time (19:00 UTC).

    assert remind(FIRST_SESSION + timedelta(hours=1)) == 1
    [message] = mailoutbox
    assert "Opening plenary" not in message.body


def test_a_participant_already_reminded_by_an_overlapping_run_gets_no_second_email(remind, mailoutbox):
    world = World()
    late = RegistrationFactory(forum=world.forum)
    Notification.objects.create(registration=world.registration, kind=REMINDER)  # the other run's row

    assert remind(IN_20_HOURS) == 1

    [message] = mailoutbox
    assert message.to == [late.user.email]
    assert Notification.objects.filter(kind=REMINDER).count() == 2


def test_the_database_refuses_a_second_reminder_for_one_registration():
    world = World()
    Notification.objects.create(registration=world.registration, kind=REMINDER)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(registration=world.registration, kind=REMINDER)


def test_queries_do_not_grow_with_the_participants(remind):
    world = World()

    def queries_for_one_run() -> int:
        Notification.objects.filter(kind=REMINDER).delete()
        with CaptureQueriesContext(connection) as queries:
            services.queue_forum_reminders(IN_20_HOURS)
        return len(queries)

    one = queries_for_one_run()
    RegistrationFactory.create_batch(49, forum=world.forum)
    fifty = queries_for_one_run()

    assert Notification.objects.filter(kind=REMINDER).count() == 50
    assert fifty == one


def test_the_reminder_email_reads_a_constant_number_of_queries(remind):
    world = World()
    few = Notification.objects.create(registration=world.registration, kind=REMINDER)
    many_registration = RegistrationFactory(forum=world.forum)
    for hour in range(6):
        session = SessionFactory(forum=world.forum, start=quito_time(11 + hour), end=quito_time(11 + hour, 45))
        SessionSignupFactory(registration=many_registration, session=session)
    many = Notification.objects.create(registration=many_registration, kind=REMINDER)

    counts = []
    for notification in (few, many):
        with CaptureQueriesContext(connection) as queries:
            send_notification(notification.pk)
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_beat_task_is_registered_under_its_name_and_sends_the_due_reminders(
    django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    start = timezone.localtime(now + timedelta(hours=20), UTC)
    forum = RegistrationSettingsFactory(
        forum__time_zone="UTC", forum__start_date=start.date(), forum__end_date=start.date() + timedelta(days=1)
    ).forum
    SessionFactory(forum=forum, kind=Session.Kind.PLENARY, start=start, end=start + timedelta(hours=1))
    registration = RegistrationFactory(forum=forum)
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    with django_capture_on_commit_callbacks(execute=True):
        first = celery_app.tasks["registration.send_forum_reminders"].delay()
    with django_capture_on_commit_callbacks(execute=True):
        second = send_forum_reminders.delay()

    assert "registration.send_forum_reminders" in scheduled
    assert (first.get(), second.get()) == (1, 0)
    [message] = mailoutbox
    assert message.to == [registration.user.email]
    assert f"{start:%H:%M}–" in message.body


def test_the_reminder_shows_in_the_registrations_admin(admin_client, remind):
    world = World()
    remind(IN_20_HOURS)

    response = admin_client.get(reverse("admin:registration_registration_change", args=[world.registration.pk]))

    assert response.status_code == 200
    assert "Forum reminder" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("postgresql_threads")
def test_runs_at_the_same_moment_write_each_reminder_once(mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (set DATABASE_URL; CI's services run does)")
    world = World()
    RegistrationFactory.create_batch(29, forum=world.forum)
    runs = 4
    barrier = threading.Barrier(runs)

    def run(_number: int) -> int:
        barrier.wait()
        try:
            return services.queue_forum_reminders(IN_20_HOURS)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        queued = list(pool.map(run, range(runs)))

    assert sum(queued) == 30
    assert sorted(queued) == [0, 0, 0, 30]
    assert Notification.objects.filter(kind=REMINDER).count() == 30
    assert len(mailoutbox) == 30
    assert len({message.to[0] for message in mailoutbox}) == 30
