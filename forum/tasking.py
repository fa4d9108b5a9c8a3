"""Queueing Celery tasks so that an unreachable broker never breaks a request.

Every task the project queues goes through ``publish``. With a broker (``CELERY_BROKER_URL``)
it sends the message with one retry (``PUBLISH_RETRY_POLICY``); connecting and each
socket read give up after 2 s (``CELERY_BROKER_TRANSPORT_OPTIONS`` in ``forum.settings``),
so a refused connection costs milliseconds and a stalled Redis about 4 s. If the broker
fails (``BROKER_ERRORS``), ``publish`` logs one warning naming the task and returns False
instead of raising, and for ``RETRY_AFTER_SECONDS`` this process sends nothing, answering
False at once: one slow request per process and interval, not one per task. The caller
leaves its row as it is (a ``GeneratedDocument`` QUEUED, a ``Notification`` without
``sent_at``) and Celery beat queues it again once the broker is back
(``sessions_app.requeue_stuck_documents``, ``registration.requeue_unsent_notifications``).

Without a broker (tasks run in-process, ``task_always_eager``) ``publish`` runs the task
at once and lets its errors through, as ``apply_async`` does.

``broker_available`` tells pages whether a task sent now would be queued (the PDF status
page says so when it would not), and ``unsent_tasks`` lets a view learn which of the tasks
it set off were not sent (``forum.db_errors``).
https://docs.celeryq.dev/en/stable/userguide/calling.html#message-sending-retry
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from forum import health
from forum.celery import app as celery_app

logger = logging.getLogger(__name__)

PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
"""Celery's retry policy for a publish: one more attempt, 0 s after the first."""

RETRY_AFTER_SECONDS = 10
"""How long a process sends no task, answering at once, after the broker failed it."""

BROKER_ERRORS = (KombuOperationalError, RedisError, OSError)
"""What an unreachable broker raises from ``apply_async``: kombu wraps the transport's
errors in its ``OperationalError``; redis-py's and socket errors are caught too."""


class _BrokerState:
    """What this process last learnt of the broker, as ``time.monotonic()`` deadlines."""

    def __init__(self) -> None:
        self.down_until = 0.0
        """Until when the broker counts as down (no task is sent)."""
        self.up_until = 0.0
        """Until when ``broker_available`` trusts its last successful check or publish."""


_broker = _BrokerState()
_local = threading.local()


def publish(task: Task, *args: object) -> bool:
    """Queue ``task`` with positional ``args``; True if the broker took it (or it ran in-process).

    False, without raising, when the broker could not be reached now or less than
    ``RETRY_AFTER_SECONDS`` ago (see the module docstring); one warning is logged per
    task not sent. Errors other than ``BROKER_ERRORS`` propagate, and so does anything
    an in-process task raises.
    """
    if task.app.conf.task_always_eager:
        task.delay(*args)
        return True
    if time.monotonic() < _broker.down_until:
        _not_sent(task, args, f"the broker failed less than {RETRY_AFTER_SECONDS} s ago")
        return False
    try:
        task.apply_async(args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as error:
        _broker.down_until = time.monotonic() + RETRY_AFTER_SECONDS
        _broker.up_until = 0.0
        _not_sent(task, args, f"{type(error).__name__}: {error}")
        return False
    _broker.up_until = time.monotonic() + RETRY_AFTER_SECONDS
    return True


def broker_available() -> bool:
    """Whether a task queued now would reach the broker, as this process knows it.

    True with in-process tasks. Otherwise False while a publish or check failed less
    than ``RETRY_AFTER_SECONDS`` ago; True while one succeeded that recently; else it
    connects once (``forum.health.check_broker``: at most 2 s, no retries) and remembers
    the answer for ``RETRY_AFTER_SECONDS``. Never raises.
    """
    if celery_app.conf.task_always_eager:
        return True
    now = time.monotonic()
    if now < _broker.down_until:
        return False
    if now < _broker.up_until:
        return True
    if health.check_broker()["status"] in ("ok", "in-process"):
        _broker.up_until = now + RETRY_AFTER_SECONDS
        return True
    _broker.down_until = now + RETRY_AFTER_SECONDS
    return False


@contextmanager
def unsent_tasks() -> Iterator[list[str]]:
    """Collect the names of the tasks that ``publish`` does not send from this thread while
    the block runs; yields the list, which fills as they happen."""
    collected: list[str] = []
    collectors = _local.__dict__.setdefault("collectors", [])
    collectors.append(collected)
    try:
        yield collected
    finally:
        collectors.remove(collected)


def _not_sent(task: Task, args: tuple, reason: str) -> None:
    """Log that ``task`` with ``args`` was not sent because of ``reason``, and tell the collectors."""
    logger.warning(
        "Task %s%r not queued (%s); it will be queued again once the broker is back.", task.name, args, reason
    )
    for collected in getattr(_local, "collectors", ()):
        collected.append(task.name)
