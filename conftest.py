"""Fixtures shared by every app's tests."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from forum.celery import app as celery_app


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Fast hashing, generated files in a per-test folder, e-mail kept in memory, and an
    empty in-process cache, so allauth's rate limits count from zero in every test (a
    shared Redis cache would mix the counts of xdist workers)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_between_tests():
    """Start every test in English and leave no language active after it.

    ``LocaleMiddleware`` activates the language of each request in the thread that
    served it and leaves it active, so without this a test that requested an ``/es/``
    page would make the next test in the same process reverse ``/es/`` URLs and save
    translated fields in Spanish.
    """
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Run tasks in-process, except in tests marked ``celery_worker`` (real worker)."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def quito_forum(db):
    """The Quito 2020 forum as ``load_quito_forum`` loads it from the concept note."""
    from forum.models import Forum

    call_command("load_quito_forum", stdout=io.StringIO())
    return Forum.objects.get(slug="quito-2020")


@pytest.fixture
def quito_session(quito_forum):
    """The Quito forum's parallel session on partnerships in Latin America and the Caribbean."""
    return quito_forum.sessions.get(slug="strengthen-partnerships-local-immigration-response")
