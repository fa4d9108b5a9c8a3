"""``/healthz``: whether this web process can reach the database, the broker and the cache.

For a load balancer or an uptime monitor. ``GET /healthz`` answers JSON::

    {"status": "ok", "database": {"status": "ok", "vendor": "postgresql"},
     "broker": {"status": "ok", "transport": "redis"}, "cache": {"status": "ok"}}

with 200 when the database and the broker are usable and 503 (``"status": "error"``)
otherwise; a failed check reads ``{"status": "error", "error": "<exception class>"}``
(the full message, which may name hosts and users, goes to the log only, since anyone
can call this URL). The broker is ``"in-process"`` when tasks run in the web process
(no ``CELERY_BROKER_URL``: kombu's ``memory`` transport). The cache is reported but
does not decide the answer: every web process shares it, so taking one out of the load
balancer would not help.

Each check is short: a ``SELECT 1`` (on PostgreSQL with a statement timeout of
``TIMEOUT_SECONDS``; how long connecting may take is ``connect_timeout`` in
``DATABASE_URL``), one new broker connection without retries, one cache key set and read.
The answer is never cached and touches neither the session nor cookies. The URL is
outside the language prefixes and exempt from the HTTPS redirect
(``SECURE_REDIRECT_EXEMPT``), but ``ALLOWED_HOSTS`` still applies to its Host header.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from forum.celery import app as celery_app

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2
"""Seconds each check may wait on its service (statement, broker connect and socket reads)."""

_IN_PROCESS = "in-process"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The state of the database, the broker and the cache (see the module docstring).

    200 if the database and the broker are usable, else 503; never raises.
    """
    checks = {"database": check_database(), "broker": check_broker(), "cache": check_cache()}
    healthy = all(checks[name]["status"] in ("ok", _IN_PROCESS) for name in ("database", "broker"))
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def check_database() -> dict[str, str]:
    """Run ``SELECT 1`` on the default database: ``{"status": "ok", "vendor": …}`` or an error.

    On PostgreSQL the statement may take at most ``TIMEOUT_SECONDS`` (``SET LOCAL
    statement_timeout``, which ends with the transaction).
    https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL statement_timeout = %s", [f"{TIMEOUT_SECONDS}s"])
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure is a state to report, never a 500
        return _failed("database", error)
    return {"status": "ok", "vendor": connection.vendor}


def check_broker() -> dict[str, str]:
    """Connect to the Celery app's broker once: ``{"status": "ok"|"in-process", "transport": …}`` or an error.

    A new connection (not one of the pool's), closed at once, without kombu's retries
    (``ensure_connection(max_retries=0)``); connecting and, on Redis, each socket read
    time out after ``TIMEOUT_SECONDS``.
    https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.html#kombu.Connection.ensure_connection
    """
    try:
        with celery_app.connection_for_read(connect_timeout=TIMEOUT_SECONDS) as broker:
            transport = broker.transport.driver_type
            if transport == "memory":
                return {"status": _IN_PROCESS, "transport": transport}
            if transport == "redis":
                # kombu's Redis transport ignores connect_timeout and reads these instead.
                broker.transport_options.update(socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
            broker.ensure_connection(max_retries=0)
    except Exception as error:  # any failure is a state to report, never a 500
        return _failed("broker", error)
    return {"status": "ok", "transport": transport}


def check_cache() -> dict[str, str]:
    """Store a random value under a key of its own for 10 seconds and read it back."""
    key = "healthz:" + secrets.token_hex(8)
    value = secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        stored = cache.get(key)
        cache.delete(key)
    except Exception as error:  # any failure is a state to report, never a 500
        return _failed("cache", error)
    if stored != value:
        # forum.cache answers a failing Redis as an empty cache (and logs why).
        return {"status": "error", "error": "the cache did not keep the value (see the log)"}
    return {"status": "ok"}


def _failed(check: str, error: Exception) -> dict[str, str]:
    """Log ``error`` with its message and return the check's error state, naming only its class."""
    logger.warning("Health check of the %s failed: %s: %s", check, type(error).__name__, error)
    return {"status": "error", "error": type(error).__name__}
