"""Faults on the participant's side: the broker down (changes stand, e-mails follow once it is
back), Redis gone entirely, and the database refusing a write (a message, nothing saved), on a
participant's form and in the organizers' confirm and decline actions.

The broker is made to refuse by patching kombu's ``Producer.publish`` or, for real, by
pointing Celery and the cache at a closed local port (``sessions_app.tests.fault_support``).
A refused write is a service that writes and then raises (the errors as Django raises
them, from ``forum.tests.test_admin_faults``), so the test also shows that what it wrote is
rolled back; on PostgreSQL, a real lock wait that times out. A database error that is no
refusal (a NOT NULL violation) is a 500, logged, with nothing stored either.
"""

import logging
import smtplib
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from forum import db_errors
from forum.celery import app as celery_app
from forum.tests.db_refusals import ADMIN_REFUSED, lock_timeout, not_null_violation, unique_violation
from registration import services
from registration.models import Notification, Registration, RegistrationSettings, SessionSignup
from registration.tasks import requeue_unsent_notifications, send_notification
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


def queued_ago(notifications, age: timedelta | None) -> None:
    """Store ``notifications`` as last handed to the broker ``age`` ago (never, with None)."""
    queued_at = None if age is None else timezone.now() - age
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(queued_at=queued_at)


class Broker:
    """A broker that takes the e-mails' tasks (no worker runs them) and remembers the ids it
    took, in order; while ``refusing`` it raises as an unreachable broker does."""

    def __init__(self) -> None:
        self.taken: list[int] = []
        self.refusing = False

    def apply_async(self, args, **options) -> None:
        if self.refusing:
            raise KombuOperationalError(fault_support.REFUSED)
        self.taken.append(args[0])


@pytest.fixture
def broker(monkeypatch) -> Broker:
    """``send_notification`` sent to a ``Broker`` instead of running in-process."""
    taking = Broker()
    fault_support.forget_the_broker(monkeypatch)
    fault_support.send_to_the_broker()
    monkeypatch.setattr(send_notification, "apply_async", taking.apply_async)
    return taking


@pytest.fixture
def refused_recipient(monkeypatch, mailoutbox):
    """The SMTP server refuses every recipient for good (550); tasks run in-process, their
    failures kept in their results as a worker's are. Yields the list of refused sends."""
    tries = []

    def refuse(backend, messages):
        tries.append(messages)
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 Mailbox unavailable")})

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield tries
    celery_app.conf.task_eager_propagates = propagates


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
    assert notification.queued_at is None  # the broker refused it: due a minute after it was written

    broker_back(monkeypatch)
    assert requeue_unsent_notifications() == 0  # not a minute old: its task may be on its way
    written_ago([notification], timedelta(minutes=2))
    assert requeue_unsent_notifications() == 1
    assert requeue_unsent_notifications() == 0

    assert [message.to for message in mailoutbox] == [[participant.email]]
    assert parallel_session.title in mailoutbox[0].body
    notification.refresh_from_db()
    assert notification.sent_at is not None


@pytest.mark.django_db
def test_the_requeue_skips_waiting_sent_and_given_up_notifications(confirmed_registration, mailoutbox):
    Kind = Notification.Kind
    waiting, due, sent, too_old, failing = (
        services.notify(confirmed_registration, kind)
        for kind in (Kind.RECEIVED, Kind.CONFIRMED, Kind.PROMOTED, Kind.DECLINED, Kind.CANCELLED)
    )
    written_ago([waiting], timedelta(minutes=14))
    queued_ago([waiting], timedelta(minutes=14))
    written_ago([due, sent, failing], services.QUEUED_REQUEUE_AFTER + timedelta(minutes=1))
    queued_ago([due, sent, failing], services.QUEUED_REQUEUE_AFTER + timedelta(minutes=1))
    written_ago([too_old], services.UNSENT_GIVE_UP_AFTER + timedelta(minutes=1))
    queued_ago([too_old], None)
    Notification.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    Notification.objects.filter(pk=failing.pk).update(attempts=services.MAX_SEND_ATTEMPTS)
    mailoutbox.clear()

    assert services.requeue_unsent_notifications() == 1

    forum = confirmed_registration.forum
    assert [message.subject for message in mailoutbox] == [f"Registration confirmed: {forum.title}"]
    assert set(Notification.objects.filter(sent_at__isnull=True)) == {waiting, too_old, failing}


@pytest.mark.django_db
def test_an_e_mail_still_waiting_in_the_queue_is_not_queued_again_but_one_the_broker_refused_is(
    confirmed_registration, broker, capture_on_commit, monkeypatch
):
    with capture_on_commit(execute=True):
        waiting = services.notify(confirmed_registration, Notification.Kind.CONFIRMED)
    broker.refusing = True
    with capture_on_commit(execute=True):
        refused = services.notify(confirmed_registration, Notification.Kind.PROMOTED)
    assert broker.taken == [waiting.pk]
    broker.refusing = False
    fault_support.forget_the_broker(monkeypatch)
    written_ago([waiting, refused], timedelta(minutes=2))
    queued_ago([waiting], timedelta(minutes=2))

    assert services.requeue_unsent_notifications() == 1
    assert broker.taken == [waiting.pk, refused.pk]

    # 16 minutes on neither task has sent its e-mail: both are taken to be lost, queued again.
    later = timezone.now() + timedelta(minutes=16)
    assert services.requeue_unsent_notifications(now=later) == 2
    assert broker.taken == [waiting.pk, refused.pk, waiting.pk, refused.pk]
    assert set(Notification.objects.values_list("queued_at", flat=True)) == {later}


@pytest.mark.django_db
def test_a_recipient_refused_for_good_is_given_up_after_five_failed_deliveries(
    confirmed_registration, refused_recipient, capture_on_commit, caplog, mailoutbox
):
    start = timezone.now()
    with capture_on_commit(execute=True):
        notification = services.notify(confirmed_registration, Notification.Kind.CONFIRMED)

    runs = [services.requeue_unsent_notifications(now=start + timedelta(minutes=16 * run)) for run in range(1, 9)]

    assert runs == [1, 1, 1, 1, 0, 0, 0, 0]  # with the first delivery, on commit: 5
    tries = len(refused_recipient)
    assert tries == services.MAX_SEND_ATTEMPTS * (1 + send_notification.max_retries)
    notification.refresh_from_db()
    assert (notification.sent_at, notification.attempts) == (None, services.MAX_SEND_ATTEMPTS)
    errors = [r.getMessage() for r in caplog.records if r.name == "registration.tasks" and r.levelname == "ERROR"]
    assert [error.split(";")[0] for error in errors] == [
        f"Notification {notification.pk} given up after 5 failed attempts"
    ]

    send_notification.apply(args=[notification.pk])  # a copy of its task still in the queue

    assert len(refused_recipient) == tries and mailoutbox == []


@pytest.mark.django_db
def test_e_mails_that_keep_failing_do_not_crowd_out_a_newer_one(confirmed_registration, broker):
    failing = Notification.objects.bulk_create(
        Notification(
            registration=confirmed_registration,
            kind=Notification.Kind.CONFIRMED,
            attempts=services.MAX_SEND_ATTEMPTS - 1,
        )
        for _ in range(600)
    )
    written_ago(failing, timedelta(hours=1))
    queued_ago(failing, timedelta(minutes=20))
    newer = Notification.objects.create(registration=confirmed_registration, kind=Notification.Kind.PROMOTED)
    written_ago([newer], timedelta(minutes=2))  # its task never queued: the broker was down
    now = timezone.now()

    assert services.requeue_unsent_notifications(now=now) == services.REQUEUE_BATCH_SIZE

    assert broker.taken[0] == newer.pk
    newer.refresh_from_db()
    assert newer.queued_at == now
    broker.taken.clear()
    assert services.requeue_unsent_notifications(now=now + timedelta(minutes=5)) == 101
    assert newer.pk not in broker.taken and len(set(broker.taken)) == 101


@pytest.mark.django_db
def test_the_unsent_notifications_have_a_partial_index():
    # The index's SQL as the database stores it (Django's SQLite introspection cannot parse
    # this table's check constraint).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE indexname = 'notification_unsent_idx'")
        else:
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE name = 'notification_unsent_idx'")
        [(table, definition)] = cursor.fetchall()

    assert table == Notification._meta.db_table
    words = definition.replace('"', " ").replace("(", " ").replace(")", " ").split()
    assert " ".join(words).endswith("created_at WHERE sent_at IS NULL")


@pytest.mark.django_db
def test_a_requeue_while_the_broker_is_still_down_stops_at_the_first_refusal(
    confirmed_registration, monkeypatch, caplog, mailoutbox
):
    unsent = [services.notify(confirmed_registration, Notification.Kind.CONFIRMED) for _ in range(3)]
    written_ago(unsent, timedelta(minutes=5))
    queued_ago(unsent, None)  # the broker was down when they were written
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


def fail_after(monkeypatch, name: str, error: Callable[[], Exception], on_call: int = 1) -> None:
    """Make ``services.<name>`` do its writes and then, on its ``on_call``-th call, raise ``error()``."""
    real = getattr(services, name)
    calls = []

    def write_then_fail(**kwargs):
        result = real(**kwargs)
        calls.append(kwargs)
        if len(calls) == on_call:
            raise error()
        return result

    monkeypatch.setattr(services, name, write_then_fail)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [lock_timeout, unique_violation])
def test_a_refused_registration_shows_the_form_again_and_stores_nothing(
    signed_in, open_forum, monkeypatch, mailoutbox, capture_on_commit, error
):
    fail_after(monkeypatch, "register", error)

    with capture_on_commit(execute=True):
        response = signed_in.post(url("registration:register", open_forum), register_data(printed_name="Ana Torres"))

    assert response.status_code == 409
    assert REFUSED_WRITE in page_text(response.content)
    assert 'value="Ana Torres"' in response.content.decode()
    assert "Thank you for registering." not in page_text(response.content)
    assert (Registration.objects.count(), Notification.objects.count(), len(mailoutbox)) == (0, 0, 0)


@pytest.mark.django_db
def test_a_refused_sign_up_says_so_and_stores_nothing(
    signed_in, confirmed_registration, parallel_session, monkeypatch, mailoutbox, capture_on_commit
):
    fail_after(monkeypatch, "session_sign_up", unique_violation)

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
    fail_after(monkeypatch, "cancel_registration", lock_timeout)
    cancel = url("registration:cancel", confirmed_registration.forum)

    with capture_on_commit(execute=True):
        response = signed_in.post(cancel)

    assert response["Location"] == cancel
    assert REFUSED_WRITE in shown_after(signed_in, response)
    confirmed_registration.refresh_from_db()
    assert confirmed_registration.status == Registration.Status.CONFIRMED
    assert (Notification.objects.count(), len(mailoutbox)) == (0, 0)


@pytest.mark.django_db
def test_a_registration_failing_on_a_bug_is_a_logged_500_and_stores_nothing(
    signed_in, open_forum, monkeypatch, mailoutbox, capture_on_commit, caplog
):
    fail_after(monkeypatch, "register", not_null_violation)
    signed_in.raise_request_exception = False

    with capture_on_commit(execute=True), caplog.at_level(logging.ERROR, logger="django.request"):
        response = signed_in.post(url("registration:register", open_forum), register_data())

    assert response.status_code == 500
    assert REFUSED_WRITE not in page_text(response.content)
    assert [record.levelname for record in caplog.records if record.name == "django.request"] == ["ERROR"]
    assert (Registration.objects.count(), Notification.objects.count(), len(mailoutbox)) == (0, 0, 0)


def decide(admin_client, action: str, registrations, capture):
    """POST the registrations changelist ``action`` (confirmed, for decline) for ``registrations``."""
    data = {"action": action, "_selected_action": [str(r.pk) for r in registrations], "post": "yes"}
    with capture(execute=True):
        return admin_client.post(reverse("admin:registration_registration_changelist"), data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "service", "status"),
    [
        ("confirm_selected", "confirm_registration", Registration.Status.SUBMITTED),
        ("decline_selected", "decline_registration", Registration.Status.CONFIRMED),
    ],
)
def test_an_action_refused_on_its_second_registration_changes_none_and_says_so(
    admin_client, open_forum, monkeypatch, mailoutbox, capture_on_commit, action, service, status
):
    chosen = [RegistrationFactory(forum=open_forum, status=status) for _ in range(3)]
    fail_after(monkeypatch, service, lock_timeout, on_call=2)

    response = decide(admin_client, action, chosen, capture_on_commit)

    changelist = reverse("admin:registration_registration_changelist")
    assert response["Location"] == changelist
    text = shown_after(admin_client, response)
    assert ADMIN_REFUSED in text
    assert "registrations confirmed" not in text and "registrations declined" not in text
    assert [Registration.objects.get(pk=r.pk).status for r in chosen] == [status] * 3
    assert (Notification.objects.count(), len(mailoutbox)) == (0, 0)


@pytest.mark.django_db
def test_an_action_failing_on_a_bug_is_a_logged_500_and_confirms_none(
    admin_client, open_forum, monkeypatch, mailoutbox, capture_on_commit, caplog
):
    chosen = [RegistrationFactory(forum=open_forum, status=Registration.Status.SUBMITTED) for _ in range(2)]
    fail_after(monkeypatch, "confirm_registration", not_null_violation, on_call=2)
    admin_client.raise_request_exception = False

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = decide(admin_client, "confirm_selected", chosen, capture_on_commit)

    assert response.status_code == 500
    assert [record.levelname for record in caplog.records if record.name == "django.request"] == ["ERROR"]
    assert [Registration.objects.get(pk=r.pk).status for r in chosen] == [Registration.Status.SUBMITTED] * 2
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

    assert response.status_code == 409
    assert REFUSED_WRITE in page_text(response.content)
    assert Registration.objects.count() == 0
