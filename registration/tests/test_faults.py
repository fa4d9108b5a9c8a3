"""Faults on the participant's side: the broker down (changes stand, e-mails follow once it is
back), Redis gone entirely, and the database refusing a write (a message, nothing saved).

The broker is made to refuse by patching kombu's ``Producer.publish`` or, for real, by
pointing Celery and the cache at a closed local port (``sessions_app.tests.fault_support``).
A refused write is a service that writes and then raises, so the test also shows that
what it wrote is rolled back; on PostgreSQL, a real lock wait that times out.
"""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from forum import db_errors
from forum.celery import app as celery_app
from registration import services
from registration.models import Notification, Registration, RegistrationSettings, SessionSignup
from registration.tasks import requeue_unsent_notifications
from registration.tests.factories import RegistrationFactory, participant_details
from sessions_app.models import Session
from sessions_app.tests import fault_support
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.integration

REFUSED_WRITE = "We could not save this just now; nothing was changed. Please try again."
E_MAIL_LATER = "The e-mail about this will be sent a little later."
PASSWORD = "correct horse battery staple"


def url(name: str, forum, **kwargs) -> str:
    return reverse(name, kwargs={"forum_slug": forum.slug, **kwargs})


def signup_url(session) -> str:
    return url("registration:session-signup", session.forum, session_slug=session.slug)


def register_data(**overrides) -> dict:
    """The registration form as the browser posts it."""
    details = {key: value for key, value in participant_details(**overrides).items() if key != "consent"}
    return {**details, "consent": "on", "intent": "register"}


def shown_after(client, response) -> str:
    """The text of the page ``response`` redirects to, where its flash messages show."""
    assert response.status_code == 302
    return page_text(client.get(response["Location"]).content)


def broker_back(monkeypatch) -> None:
    """The broker answers again, with a worker (tasks run in-process here)."""
    fault_support.forget_the_broker(monkeypatch)
    celery_app.conf.task_always_eager = True


def written_ago(notifications, age: timedelta) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(created_at=timezone.now() - age)


@pytest.fixture
def signed_in(client, participant):
    """The test client signed in as ``participant``."""
    client.force_login(participant)
    return client


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    """pytest-django's ``django_capture_on_commit_callbacks``: run with ``execute=True``, the
    on-commit callbacks (the e-mails' tasks) run as if the test's transaction committed."""
    return django_capture_on_commit_callbacks


# The broker down.


# Committed for real, so that the e-mail's task is sent (and refused) before the page answers.
@pytest.mark.django_db(transaction=True)
def test_a_sign_up_made_while_the_broker_is_down_stands_and_its_e_mail_follows(
    signed_in, participant, confirmed_registration, parallel_session, monkeypatch, mailoutbox
):
    fault_support.refuse_publishing(monkeypatch)
    response = signed_in.post(signup_url(parallel_session))

    text = shown_after(signed_in, response)
    assert f"You have a seat in “{parallel_session.title}”." in text
    assert E_MAIL_LATER in text
    assert SessionSignup.objects.get().status == SessionSignup.Status.CONFIRMED
    notification = Notification.objects.get()
    assert notification.sent_at is None and mailoutbox == []

    broker_back(monkeypatch)
    assert requeue_unsent_notifications.delay().get() == 0  # not a minute old: its task may be on its way
    written_ago([notification], timedelta(minutes=2))
    assert requeue_unsent_notifications.delay().get() == 1
    assert requeue_unsent_notifications.delay().get() == 0

    assert [message.to for message in mailoutbox] == [[participant.email]]
    assert parallel_session.title in mailoutbox[0].body
    notification.refresh_from_db()
    assert notification.sent_at is not None


@pytest.mark.django_db
def test_the_requeue_skips_fresh_sent_and_given_up_notifications(confirmed_registration, monkeypatch, mailoutbox):
    Kind = Notification.Kind
    fresh, due, sent, given_up = (
        services.notify(confirmed_registration, kind)
        for kind in (Kind.RECEIVED, Kind.CONFIRMED, Kind.PROMOTED, Kind.DECLINED)
    )
    written_ago([due, sent], timedelta(minutes=5))
    written_ago([given_up], services.UNSENT_GIVE_UP_AFTER + timedelta(minutes=1))
    Notification.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    mailoutbox.clear()

    assert services.requeue_unsent_notifications() == 1

    forum = confirmed_registration.forum
    assert [message.subject for message in mailoutbox] == [f"Registration confirmed: {forum.title}"]
    assert set(Notification.objects.filter(sent_at__isnull=True)) == {fresh, given_up}


@pytest.mark.django_db
def test_a_requeue_while_the_broker_is_still_down_stops_at_the_first_refusal(
    confirmed_registration, monkeypatch, caplog, mailoutbox
):
    unsent = [services.notify(confirmed_registration, Notification.Kind.CONFIRMED) for _ in range(3)]
    written_ago(unsent, timedelta(minutes=5))
    fault_support.refuse_publishing(monkeypatch)

    assert services.requeue_unsent_notifications() == 0

    assert len([record for record in caplog.records if record.name == "forum.tasking"]) == 1
    assert Notification.objects.filter(sent_at__isnull=True).count() == 3
    assert mailoutbox == []


# Redis gone: broker and cache on a closed port.


@pytest.mark.django_db
def test_with_redis_gone_sign_in_registration_sign_up_cancel_and_admin_work_and_e_mails_follow(
    client,
    admin_client,
    participant,
    open_forum,
    parallel_session,
    monkeypatch,
    settings,
    mailoutbox,
    capture_on_commit,
):
    fault_support.take_redis_away(monkeypatch, settings)
    waiting = RegistrationFactory(forum=open_forum, status=Registration.Status.SUBMITTED)
    with capture_on_commit(execute=True):
        signed_in = client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
        registered = client.post(url("registration:register", open_forum), register_data())
        signed_up = client.post(signup_url(parallel_session))
        cancelled = client.post(url("registration:cancel", open_forum))
        confirmed = admin_client.post(
            reverse("admin:registration_registration_changelist"),
            {"action": "confirm_selected", "_selected_action": [str(waiting.pk)]},
        )

    assert [r.status_code for r in (signed_in, registered, signed_up, cancelled, confirmed)] == [302] * 5
    mine = Registration.objects.get(user=participant)
    assert mine.status == Registration.Status.CANCELLED
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    owed = Notification.objects.count()
    assert owed >= 4 and not Notification.objects.filter(sent_at__isnull=False).exists()
    assert mailoutbox == []

    broker_back(monkeypatch)
    written_ago(Notification.objects.all(), timedelta(minutes=2))
    assert services.requeue_unsent_notifications() == owed
    assert services.requeue_unsent_notifications() == 0
    assert len(mailoutbox) == owed
    assert sorted({message.to[0] for message in mailoutbox}) == sorted({participant.email, waiting.user.email})


# The database refusing a write.


def fail_after(monkeypatch, name: str, error: Exception) -> None:
    """Make ``services.<name>`` do its writes and then raise ``error``."""
    real = getattr(services, name)

    def write_then_fail(**kwargs):
        real(**kwargs)
        raise error

    monkeypatch.setattr(services, name, write_then_fail)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("database is locked"), IntegrityError("duplicate key value")])
def test_a_refused_registration_shows_the_form_again_and_stores_nothing(
    signed_in, open_forum, monkeypatch, mailoutbox, capture_on_commit, error
):
    fail_after(monkeypatch, "register", error)

    with capture_on_commit(execute=True):
        response = signed_in.post(url("registration:register", open_forum), register_data(printed_name="Ana Torres"))

    assert response.status_code == 503
    assert REFUSED_WRITE in page_text(response.content)
    assert 'value="Ana Torres"' in response.content.decode()
    assert "Thank you for registering." not in page_text(response.content)
    assert (Registration.objects.count(), Notification.objects.count(), len(mailoutbox)) == (0, 0, 0)


@pytest.mark.django_db
def test_a_refused_sign_up_says_so_and_stores_nothing(
    signed_in, confirmed_registration, parallel_session, monkeypatch, mailoutbox, capture_on_commit
):
    fail_after(monkeypatch, "session_sign_up", IntegrityError("duplicate key value"))

    with capture_on_commit(execute=True):
        response = signed_in.post(signup_url(parallel_session), {"next": "/en/"})

    assert response["Location"] == "/en/"
    text = shown_after(signed_in, response)
    assert REFUSED_WRITE in text
    assert "You have a seat" not in text
    assert (SessionSignup.objects.count(), Notification.objects.count(), len(mailoutbox)) == (0, 0, 0)


@pytest.mark.django_db
def test_a_refused_cancellation_says_so_and_keeps_the_registration(
    signed_in, confirmed_registration, monkeypatch, mailoutbox, capture_on_commit
):
    fail_after(monkeypatch, "cancel_registration", OperationalError("canceling statement due to lock timeout"))
    cancel = url("registration:cancel", confirmed_registration.forum)

    with capture_on_commit(execute=True):
        response = signed_in.post(cancel)

    assert response["Location"] == cancel
    assert REFUSED_WRITE in shown_after(signed_in, response)
    confirmed_registration.refresh_from_db()
    assert confirmed_registration.status == Registration.Status.CONFIRMED
    assert (Notification.objects.count(), len(mailoutbox)) == (0, 0)


# A real lock wait on PostgreSQL.


def holding_lock(model, pk: int):
    """Start a thread that holds ``SELECT … FOR UPDATE`` on row ``pk`` of ``model`` in its own
    connection; return a function that releases it and waits for the thread."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=30)

    def let_go():
        release.set()
        thread.join()

    return let_go


@pytest.fixture
def short_lock_wait(monkeypatch):
    """Guarded requests wait half a second for a row lock."""
    monkeypatch.setattr(db_errors, "LOCK_TIMEOUT_SECONDS", 0.5)


@pytest.mark.usefixtures("short_lock_wait")
@pytest.mark.django_db(transaction=True)
def test_a_sign_up_waiting_too_long_for_a_locked_session_is_refused_not_a_500(
    signed_in, confirmed_registration, parallel_session
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL (set DATABASE_URL; CI's services run does)")
    let_go = holding_lock(Session, parallel_session.pk)
    try:
        response = signed_in.post(signup_url(parallel_session), {"next": "/en/"})
    finally:
        let_go()

    assert response.status_code == 302
    assert REFUSED_WRITE in shown_after(signed_in, response)
    assert SessionSignup.objects.count() == 0


@pytest.mark.usefixtures("short_lock_wait")
@pytest.mark.django_db(transaction=True)
def test_a_registration_waiting_too_long_for_the_locked_settings_shows_the_form_again(signed_in, open_forum):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL (set DATABASE_URL; CI's services run does)")
    let_go = holding_lock(RegistrationSettings, open_forum.registration_settings.pk)
    try:
        response = signed_in.post(url("registration:register", open_forum), register_data())
    finally:
        let_go()

    assert response.status_code == 503
    assert REFUSED_WRITE in page_text(response.content)
    assert Registration.objects.count() == 0
