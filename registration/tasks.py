"""Celery tasks of registration: sending the participants' e-mail notifications, and, run
by Celery beat, writing the reminders due before a forum starts and queueing again the
e-mails left unsent (the broker was down).

Task names are explicit so that renaming a function does not orphan messages already
in the queue.
"""

import logging
import smtplib

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from registration import services
from registration.emails import build_message
from registration.models import Notification

logger = logging.getLogger(__name__)


SEND_ERRORS = (smtplib.SMTPException, OSError)
"""What a failing SMTP server or connection raises; ``send_notification`` retries these by itself."""


@shared_task(
    bind=True,
    name="registration.send_notification",
    autoretry_for=SEND_ERRORS,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def send_notification(self, notification_id: int) -> None:
    """Send the e-mail of ``Notification`` ``notification_id`` once, and stamp its ``sent_at``.

    ``registration.services.notify`` queues this task when the transaction that wrote
    the row commits. In one transaction the task locks the row (``SELECT … FOR
    UPDATE``), returns without sending if ``sent_at`` is already set or the row is given
    up, else builds the message (``registration.emails.build_message``), sends it to the
    participant and sets ``sent_at``. A retried or duplicated task therefore waits for
    the lock, finds the row stamped and sends nothing.

    SMTP and connection errors (``SEND_ERRORS``) leave the row unstamped (the
    transaction rolls back) and are retried up to 5 times with exponential backoff
    (about 1, 2, 4, 8 and 16 s, jittered). When the last retry fails, or at once for any
    other error, the delivery counts as one failed attempt: ``attempts`` goes up by one
    in a transaction of its own, and at ``services.MAX_SEND_ATTEMPTS`` (5) the row is
    given up, logged once at error level; ``services.requeue_unsent_notifications``
    queues the others again about 15 minutes later. Only a failure between the send and
    the commit (the database going away at that moment) could make a retry send the
    e-mail again. A row that no longer exists (its registration was deleted) is logged
    and skipped.
    """
    try:
        _send_once(notification_id)
    except Exception as error:
        request = self.request
        if request.called_directly or request.retries >= self.max_retries or not isinstance(error, SEND_ERRORS):
            _count_failed_attempt(notification_id, error)
        raise


def _send_once(notification_id: int) -> None:
    """Send the notification's e-mail under its row lock and stamp ``sent_at``, unless it
    is gone, already sent or given up; errors roll the transaction back and propagate."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("registration__forum", "registration__user", "session__room", "release")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            logger.info("Notification %s no longer exists; nothing to send.", notification_id)
            return
        if notification.sent_at is not None:
            logger.info("Notification %s was already sent at %s.", notification_id, notification.sent_at)
            return
        if notification.attempts >= services.MAX_SEND_ATTEMPTS:
            logger.info(
                "Notification %s was given up after %s failed attempts.", notification_id, notification.attempts
            )
            return
        build_message(notification).send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])


def _count_failed_attempt(notification_id: int, error: Exception) -> None:
    """Add one to the unsent notification's ``attempts`` under its row lock; log an error
    the one time it reaches ``services.MAX_SEND_ATTEMPTS``, a warning before. Two queries."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id, sent_at=None).first()
        if notification is None:
            return
        notification.attempts += 1
        notification.save(update_fields=["attempts"])
    if notification.attempts == services.MAX_SEND_ATTEMPTS:
        logger.error(
            "Notification %s given up after %s failed attempts; it will not be sent. Last error: %s: %s",
            notification_id,
            notification.attempts,
            type(error).__name__,
            error,
        )
    else:
        logger.warning(
            "Notification %s not sent (attempt %s of %s): %s: %s",
            notification_id,
            notification.attempts,
            services.MAX_SEND_ATTEMPTS,
            type(error).__name__,
            error,
        )


@shared_task(name="registration.send_forum_reminders", ignore_result=True)
def send_forum_reminders() -> int:
    """Write and queue the reminder e-mails now due; return how many were queued.

    Celery beat runs it every 15 minutes (``CELERY_BEAT_SCHEDULE`` in ``forum.settings``;
    https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html). The rule (24 hours
    before a forum's first session, once per confirmed participant, safe when runs
    overlap) is ``registration.services.queue_forum_reminders``; each e-mail is sent by
    ``send_notification``.
    """
    queued = services.queue_forum_reminders()
    logger.info("Queued %s forum reminder e-mails.", queued)
    return queued


@shared_task(name="registration.requeue_unsent_notifications", ignore_result=True)
def requeue_unsent_notifications() -> int:
    """Queue again the e-mails left unsent and not given up; return how many.

    Celery beat runs it every 5 minutes (``CELERY_BEAT_SCHEDULE`` in ``forum.settings``),
    so the e-mails of changes made while the broker was down go out once it is back, and
    those whose task was lost or failed are tried again, at most 5 times. The rule (which
    rows and when: 1 minute after writing if never queued, 15 minutes after the last
    queueing otherwise; least-tried first; how many a run; never an e-mail twice) is
    ``registration.services.requeue_unsent_notifications``. Takes no arguments.
    """
    queued = services.requeue_unsent_notifications()
    if queued:
        logger.warning("Queued again %s unsent notification e-mail(s).", queued)
    return queued
