"""Django's Redis cache, made to fail soft: an unreachable or stalled Redis costs caching,
never a page.

Every read and write of the cache (the cached public pages, allauth's rate limits) goes
through ``ResilientRedisCache``. When Redis raises (refused connection, the 1 s socket
timeout of ``settings.CACHES``), the failure is logged once and the process leaves Redis
alone for ``RETRY_AFTER_SECONDS``: meanwhile every operation answers at once as if the
cache were empty (a read misses, a write is dropped), so a stalled Redis costs one
second per process and interval, not one per operation. Public pages are then built
afresh; allauth's rate limits do not count until Redis is back. ``/healthz`` reports
the cache's state. Sessions are not kept in the cache: a sign-out must not come undone
when Redis returns with the session's old copy.

Writes dropped during an outage include the invalidations of ``forum.caching``: once
Redis answers again, copies stored before the outage may be served until they expire
(``DJANGO_PUBLIC_CACHE_SECONDS``).
https://docs.djangoproject.com/en/5.2/topics/cache/#redis
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
"""How long a process answers as an empty cache, without asking Redis, after a failure."""


def _soft(method, miss):
    """``method`` of the client, answering ``miss(*args, **kwargs)`` when Redis raises or
    failed less than ``RETRY_AFTER_SECONDS`` ago."""

    @wraps(method)
    def call(self, *args, **kwargs):
        if time.monotonic() < self.down_until:
            return miss(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            self.down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "The cache failed (%s: %s); carrying on without it for %s s.",
                type(error).__name__,
                error,
                RETRY_AFTER_SECONDS,
            )
            return miss(*args, **kwargs)

    return call


def _key_missing(*args, **kwargs):
    raise ValueError("The cache is unavailable.")


class ResilientRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` whose every operation answers as an empty cache when Redis fails
    (see the module docstring): ``get`` gives the default, ``get_many`` nothing,
    ``has_key``, ``delete`` and ``touch`` False, ``set`` nothing, ``set_many`` every key as
    not set, ``incr`` raises ``ValueError`` as for a missing key (Django's contract).
    ``add`` answers True, as if stored: a lock taken with it (allauth's rate limits take
    one) is granted rather than waited on until it times out and refuses the request."""

    down_until = 0.0
    """``time.monotonic()`` until which Redis is left alone (this process, this client)."""

    get = _soft(RedisCacheClient.get, lambda key, default=None: default)
    get_many = _soft(RedisCacheClient.get_many, lambda keys: {})
    add = _soft(RedisCacheClient.add, lambda *args, **kwargs: True)
    set = _soft(RedisCacheClient.set, lambda *args, **kwargs: None)
    set_many = _soft(RedisCacheClient.set_many, lambda data, timeout: list(data))
    touch = _soft(RedisCacheClient.touch, lambda *args, **kwargs: False)
    delete = _soft(RedisCacheClient.delete, lambda *args, **kwargs: False)
    delete_many = _soft(RedisCacheClient.delete_many, lambda *args, **kwargs: None)
    has_key = _soft(RedisCacheClient.has_key, lambda *args, **kwargs: False)
    incr = _soft(RedisCacheClient.incr, _key_missing)
    clear = _soft(RedisCacheClient.clear, lambda *args, **kwargs: False)


class ResilientRedisCache(RedisCache):
    """Django's ``RedisCache`` over ``ResilientRedisCacheClient`` (see the module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
