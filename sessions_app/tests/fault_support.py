"""Test helpers for faults: a broker that refuses every message, and Redis (broker and
cache) unreachable. Used by ``sessions_app/tests/test_faults.py``
and ``registration/tests/test_faults.py``.
"""

import socket

from kombu import Producer
from kombu.exceptions import OperationalError

from forum import tasking
from forum.celery import app as celery_app

REFUSED = "Error 111 connecting to the broker. Connection refused."


def forget_the_broker(monkeypatch) -> None:
    """Start with no memory of a broker failure (``forum.tasking``), and leave none behind."""
    monkeypatch.setattr(tasking, "_broker", tasking._BrokerState())


def send_to_the_broker() -> None:
    """Send tasks to the broker instead of running them in-process, until the test ends
    (the root ``conftest._celery_eager`` puts the setting back; ``monkeypatch``, set up
    before it by pytest-django, would put it back too late)."""
    celery_app.conf.task_always_eager = False


def refuse_publishing(monkeypatch) -> None:
    """Tasks are sent to a broker (not run in-process), and every message it is sent raises
    kombu's ``OperationalError`` as an unreachable broker does."""
    forget_the_broker(monkeypatch)
    send_to_the_broker()

    def unreachable(*args, **kwargs):
        raise OperationalError(REFUSED)

    monkeypatch.setattr(Producer, "publish", unreachable)


def free_port() -> int:
    """A local TCP port nobody listens on right now (the system's pick, closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def take_redis_away(monkeypatch, settings) -> str:
    """Point the broker and the cache at a closed local port, with tasks sent to the broker;
    return that Redis URL. The real timeouts of ``forum.settings`` apply.

    The broker URL is set as Celery's read and write URLs, which win over
    ``CELERY_BROKER_URL`` in the environment. Celery's connection and producer pools are
    set aside, so that it connects anew, and given back at teardown.
    """
    url = f"redis://127.0.0.1:{free_port()}/0"
    forget_the_broker(monkeypatch)
    send_to_the_broker()
    monkeypatch.setitem(celery_app.conf, "broker_write_url", url)
    monkeypatch.setitem(celery_app.conf, "broker_read_url", url)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    settings.CACHES = {
        "default": {
            "BACKEND": "forum.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return url
