"""The e-mail task: sends each notification once, however often it runs, and retries SMTP failures."""

import smtplib

import pytest
from django.core.mail.backends import locmem

from forum.celery import app as celery_app
from registration.models import Notification
from registration.tasks import send_notification

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def notification(confirmed_registration) -> Notification:
    """An unsent "confirmed" notification whose task has not run (written without a service)."""
    return Notification.objects.create(registration=confirmed_registration, kind=Notification.Kind.CONFIRMED)


@pytest.fixture
def eager_retries():
    """Let eager retries run in place: Celery re-applies them with ``task_eager_propagates``."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def smtp_failures(monkeypatch):
    """Make the next N sends fail as a dropped SMTP connection would; set ``.remaining`` to N."""

    class Failures:
        remaining = 0
        attempts = 0

    real_send = locmem.EmailBackend.send_messages

    def send_messages(backend, messages):
        Failures.attempts += 1
        if Failures.remaining:
            Failures.remaining -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)
    return Failures


def test_send_notification_is_registered_under_its_explicit_name():
    assert send_notification.name == "registration.send_notification"
    assert celery_app.tasks["registration.send_notification"].run is send_notification.run


def test_send_notification_sends_the_email_and_stamps_the_row(notification, mailoutbox):
    send_notification.delay(notification.pk)

    [message] = mailoutbox
    assert message.to == [notification.registration.user.email]
    notification.refresh_from_db()
    assert notification.sent_at is not None


def test_send_notification_run_twice_sends_one_email(notification, mailoutbox):
    send_notification.apply(args=[notification.pk])
    notification.refresh_from_db()
    first_sent_at = notification.sent_at

    result = send_notification.apply(args=[notification.pk])

    assert result.successful()
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at == first_sent_at


def test_send_notification_after_an_smtp_error_is_unsent_and_the_retry_sends_once(
    notification, mailoutbox, smtp_failures
):
    smtp_failures.remaining = 1

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification.run(notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    assert mailoutbox == []

    send_notification.apply(args=[notification.pk])
    send_notification.apply(args=[notification.pk])

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None


@pytest.mark.usefixtures("eager_retries")
def test_send_notification_retries_smtp_errors_by_itself(notification, mailoutbox, smtp_failures):
    smtp_failures.remaining = 2

    send_notification.apply(args=[notification.pk])

    assert smtp_failures.attempts == 3
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None


@pytest.mark.usefixtures("eager_retries")
def test_send_notification_gives_up_after_five_retries_and_leaves_the_row_unsent(
    notification, mailoutbox, smtp_failures
):
    smtp_failures.remaining = 100

    result = send_notification.apply(args=[notification.pk])

    assert result.failed()
    assert smtp_failures.attempts == 1 + 5
    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.sent_at is None


def test_send_notification_returns_quietly_when_the_row_is_gone(db, mailoutbox):
    result = send_notification.apply(args=[987654])

    assert result.successful()
    assert mailoutbox == []
