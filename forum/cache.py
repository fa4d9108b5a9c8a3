"""Django's Redis cache, made to fail soft: an unreachable or stalled Redis costs caching,
never a page.

Every read and write of the cache (the cached public pages, ``cached_db`` sessions,
allauth's rate limits) goes through ``ResilientRedisCache``. When Redis raises (refused
connection, the 1 s socket timeout of ``settings.CACHES``), the operation is logged and
answers as if the cache were empty: a read misses, a write is dropped. Signed-in
visitors then keep their sessions from the database and public pages are built
afresh; allauth's rate limits do not count until Redis is back. ``/healthz`` reports the
cache's state.
https://docs.djangoproject.com/en/5.2/topics/cache/#redis
"""

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


def _soft(method, miss):
    """``method`` of the client, answering ``miss(*args, **kwargs)`` (logged) when Redis raises."""

    @wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception:
            logger.warning("The cache failed (%s); carrying on without it.", method.__name__, exc_info=True)
            return miss(*args, **kwargs)

    return call


def _key_missing(*args, **kwargs):
    raise ValueError("The cache is unavailable.")


class ResilientRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` whose every operation answers as an empty cache when Redis fails:
    ``get`` gives the default, ``get_many`` nothing, ``has_key``, ``delete`` and ``touch``
    False, ``set`` nothing, ``set_many`` every key as not set, ``incr`` raises
    ``ValueError`` as for a missing key (Django's contract). ``add`` answers True, as if
    stored: a lock taken with it (allauth's rate limits take one) is granted rather than
    waited on until it times out and refuses the request."""

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
