"""System checks of the production profile, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[Warning]:
    """Warn (``forum.W001``) when the default cache is each process's own memory.

    Several web and worker processes then keep their own copies of the public pages: a
    change made in one process leaves the others serving the old page until it expires
    (and allauth's rate limits count per process). Production needs the shared Redis cache (``REDIS_CACHE_URL``, or a
    Redis ``CELERY_BROKER_URL``).
    """
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return [
            Warning(
                "The cache is each process's own memory: with several processes, cached pages go stale.",
                hint="Set REDIS_CACHE_URL (or a Redis CELERY_BROKER_URL) so that every process shares one cache.",
                id="forum.W001",
            )
        ]
    return []
