"""Smoke tests that the environment-driven settings resolved as documented."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from forum.celery import app as celery_app

pytestmark = pytest.mark.unit


def django_setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``django.setup()`` in a new interpreter with the environment ``env``; its output is text."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_settings_celery_is_eager_exactly_when_no_broker_is_configured():
    broker = os.environ.get("CELERY_BROKER_URL", "")

    assert settings.CELERY_TASK_ALWAYS_EAGER is (not broker)
    assert settings.CELERY_BROKER_URL == celery_app.conf.broker_url == (broker or "memory://")


def test_settings_database_follows_database_url():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite3"
    assert settings.DATABASES["default"]["ENGINE"].endswith(expected)


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_DEBUG="off", DJANGO_SETTINGS_MODULE="forum.settings")
    result = django_setup(env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "DJANGO_PUBLIC_CACHE_SECONDS must be a whole number of seconds, not 'abc'."),
        ("1e3", "DJANGO_PUBLIC_CACHE_SECONDS must be a whole number of seconds, not '1e3'."),
        ("-5", "DJANGO_PUBLIC_CACHE_SECONDS must be from 0 to 315360000 seconds (ten years), not -5."),
        (
            "99999999999",
            "DJANGO_PUBLIC_CACHE_SECONDS must be from 0 to 315360000 seconds (ten years), not 99999999999.",
        ),
    ],
)
def test_settings_refuse_a_number_of_seconds_that_is_not_one_naming_the_variable(value, message):
    env = {**os.environ, "DJANGO_PUBLIC_CACHE_SECONDS": value, "DJANGO_SETTINGS_MODULE": "forum.settings"}
    result = django_setup(env)

    assert result.returncode != 0
    assert message in result.stderr
