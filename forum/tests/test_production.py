"""The production profile: deploy checks, /healthz, JSON logs, compressed static files, PDFs
on S3, the beat schedule, scripts/production and the Procfile run by honcho.

Subprocesses run ``manage.py``, gunicorn or honcho with production environment variables
(``DJANGO_DEBUG=off`` and friends), since those settings are read once, at import.
"""

import gzip
import json
import logging
import os
import re
import runpy
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import brotli
import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from moto import mock_aws

from forum import gunicorn_conf
from forum.celery import app as celery_app
from sessions_app.models import GeneratedDocument
from sessions_app.services import STALE_RENDER_SECONDS
from sessions_app.tasks import requeue_stuck_documents_task
from sessions_app.tests.fault_support import free_port
from sessions_app.tests.pdf_support import pdf_text

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
# Seconds a subprocess may take to answer before the test gives up on it (a failure, not a measure).
STARTUP_TIMEOUT_SECONDS = 60
# collectstatic for the tests skips what the pages do not use (the admin's files, flags,
# Bootstrap's other builds): whitenoise's Brotli pass over all of it takes
# over a minute on two cores.
STATIC_IGNORE = [
    "admin",
    "flags",
    "import_export",
    "modeltranslation",
    "*.rtl.*",
    "bootstrap-*",
    "bootstrap.css*",
    "bootstrap.js*",
    "bootstrap.min.js*",
    "bootstrap.bundle.js*",
    "bootstrap.esm*",
    "jquery*",
]


def production_env(**overrides: str) -> dict[str, str]:
    """This process's environment with the production switches on and a random secret key."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "off",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "forum.example.org,127.0.0.1,localhost",
    }
    env.update(overrides)
    return env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leaves redirects unfollowed: urllib then raises them as ``HTTPError``."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def wait_for(url: str, *, headers: dict[str, str] | None = None) -> tuple[bytes, str]:
    """The body and Content-Type of ``url`` once it answers 200 (not a redirect), polling for up
    to ``STARTUP_TIMEOUT_SECONDS``."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last = None
    while time.monotonic() < deadline:
        try:
            with _opener.open(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
                return response.read(), response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            last = error.code
        except OSError as error:
            last = error
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer 200 within {STARTUP_TIMEOUT_SECONDS} s (last: {last!r}).")


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """A STATIC_ROOT filled by ``collectstatic`` under production settings (see ``STATIC_IGNORE``)."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    command = [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"]
    for pattern in STATIC_IGNORE:
        command += ["-i", pattern]
    subprocess.run(
        command, cwd=BASE_DIR, env=production_env(DJANGO_STATIC_ROOT=str(static_root)), check=True, timeout=300
    )
    return static_root


# --- manage.py check --deploy ----------------------------------------------------------------


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    """``manage.py check --deploy`` failing on warnings, run under ``production_env(**env)``; output as text."""
    return subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


SHARED_CACHE = {"REDIS_CACHE_URL": "redis://127.0.0.1:6379/15"}
"""A Redis cache, as production has (``check`` does not connect to it)."""


@pytest.mark.integration
def test_check_deploy_finds_no_issue_under_production_settings():
    result = check_deploy(**SHARED_CACHE)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.integration
def test_check_deploy_warns_when_each_process_would_cache_in_its_own_memory():
    result = check_deploy(CELERY_BROKER_URL="", REDIS_CACHE_URL="")

    assert result.returncode != 0
    assert "forum.W001" in result.stderr
    assert "REDIS_CACHE_URL" in result.stderr


@pytest.mark.integration
def test_check_deploy_fails_when_hsts_is_switched_off():
    result = check_deploy(DJANGO_SECURE_HSTS_SECONDS="0", **SHARED_CACHE)

    assert result.returncode != 0
    assert "security.W004" in result.stderr


# --- /healthz ----------------------------------------------------------------------------------


@pytest.fixture
def unreachable_broker(monkeypatch):
    """The Celery app pointed at a port where no broker listens, for the length of the test
    (Celery prefers the CELERY_BROKER_URL environment variable to its configuration)."""
    url = "redis://127.0.0.1:1/0"
    previous = celery_app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    celery_app.conf.broker_url = url
    yield
    celery_app.conf.broker_url = previous


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_cache(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    expected_broker = (
        {"status": "in-process", "transport": "memory"}
        if settings.CELERY_TASK_ALWAYS_EAGER
        else {"status": "ok", "transport": "redis"}
    )
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok", "vendor": connection.vendor},
        "broker": expected_broker,
        "cache": {"status": "ok"},
    }


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_unreachable(client, unreachable_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"] == {"status": "error", "error": "OperationalError"}
    assert body["database"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse():
        raise OperationalError('connection to server at "db.internal" failed: Connection refused')

    monkeypatch.setattr(connection, "ensure_connection", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {"status": "error", "error": "OperationalError"}
    assert "db.internal" not in response.content.decode()  # the details go to the log only
    assert body["broker"]["status"] in ("ok", "in-process")


@pytest.mark.django_db
def test_healthz_reports_a_failing_cache_but_stays_up(client, monkeypatch):
    def fail(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(LocMemCache, "set", fail)  # the tests' cache (conftest.py)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["cache"] == {"status": "error", "error": "ConnectionError"}


@pytest.mark.django_db
def test_healthz_over_plain_http_is_not_redirected_but_pages_are(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    health = client.get("/healthz")
    page = client.get(reverse("forum:forum-list"))

    assert health.status_code == 200
    assert page.status_code == 301
    assert page["Location"] == "https://testserver" + reverse("forum:forum-list")


# --- logs ----------------------------------------------------------------------------------------


@pytest.mark.integration
def test_django_logs_one_json_object_per_line(tmp_path):
    script = (
        "import django, logging; django.setup(); logging.getLogger('forum.health').warning('Broker %s is down', 'x')"
    )
    result = subprocess.run(
        [PYTHON, "-c", script],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "forum.settings", "DJANGO_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    record = next(line for line in lines if line["logger"] == "forum.health")
    assert record["level"] == "WARNING"
    assert record["message"] == "Broker x is down"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", record["time"])


@pytest.mark.integration
def test_gunicorn_logs_its_requests_as_json(tmp_path):
    port = free_port()
    env = production_env(
        DJANGO_DEBUG="on",
        DJANGO_LOG_FORMAT="json",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL="",
        DJANGO_STATIC_ROOT=str(tmp_path),
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "forum.wsgi", "--config", "python:forum.gunicorn_conf"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, _ = wait_for(f"http://127.0.0.1:{port}/healthz", headers={"User-Agent": "lb-check/1.0"})
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=60)

    assert json.loads(body)["status"] == "ok"
    assert server.returncode == 0, stderr
    access = [json.loads(line) for line in stdout.splitlines()]
    request = next(line for line in access if line["user_agent"] == "lb-check/1.0")
    assert request["logger"] == "gunicorn.access"
    assert (request["method"], request["path"], request["status"]) == ("GET", "/healthz", "200")
    assert request["message"].startswith('127.0.0.1 "GET /healthz HTTP/1.1" 200 ')
    errors = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["message"] == f"Listening at: http://0.0.0.0:{port} ({server.pid})" for line in errors)
    assert {line["logger"] for line in errors} == {"gunicorn.error"}


# --- static files --------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db
def test_collectstatic_writes_hashed_compressed_files_that_pages_use(client, settings, collected_static):
    manifest = json.loads((collected_static / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    original = (BASE_DIR / "static/css/site.css").read_bytes()
    assert (collected_static / hashed).read_bytes() == original
    assert gzip.decompress((collected_static / f"{hashed}.gz").read_bytes()) == original
    assert brotli.decompress((collected_static / f"{hashed}.br").read_bytes()) == original

    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    page = client.get(reverse("forum:forum-list"))
    stylesheet = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, br")

    assert f'href="/static/{hashed}"' in page.content.decode()
    assert stylesheet.status_code == 200
    assert stylesheet["Content-Encoding"] == "br"
    assert "immutable" in stylesheet["Cache-Control"]


# --- generated PDFs on S3 -----------------------------------------------------------------------


@pytest.mark.integration
def test_programme_pdf_is_stored_in_the_s3_bucket_and_downloaded_from_it(
    client, quito_forum, settings, monkeypatch, django_capture_on_commit_callbacks
):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "DJANGO_FILE_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "forum-documents",
        "AWS_S3_REGION_NAME": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    # The settings module's own S3 branch, read again with these variables.
    s3_storage = runpy.run_path(str(BASE_DIR / "forum/settings.py"))["STORAGES"]["default"]
    url = reverse("documents:programme-pdf", kwargs={"forum_slug": quito_forum.slug})

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="forum-documents", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        settings.STORAGES = {**settings.STORAGES, "default": s3_storage}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code == 302
        response = client.get(url)
        downloaded = b"".join(response.streaming_content)
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket="forum-documents")["Contents"]]

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert quito_forum.title in pdf_text(downloaded)
    document = GeneratedDocument.objects.get()
    assert keys == [f"documents/{document.file.name}"]
    assert not (settings.MEDIA_ROOT / document.file.name).exists()


# --- Celery beat ----------------------------------------------------------------------------------


@pytest.mark.unit
def test_beat_schedules_only_registered_tasks():
    celery_app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "sessions_app.requeue_stuck_documents",
        "registration.requeue_unsent_notifications",
        "registration.send_forum_reminders",
    }
    assert scheduled <= set(celery_app.tasks)


@pytest.mark.integration
def test_requeue_task_renders_a_document_left_by_a_dead_worker(quito_session, django_capture_on_commit_callbacks):
    stuck = GeneratedDocument.objects.create(
        forum=quito_session.forum,
        session=quito_session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash="c" * 64,
        status=GeneratedDocument.Status.RENDERING,
        render_started_at=timezone.now() - timedelta(seconds=STALE_RENDER_SECONDS + 1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = requeue_stuck_documents_task.delay()

    assert result.get() == 1
    stuck.refresh_from_db()
    assert stuck.status == GeneratedDocument.Status.READY
    assert quito_session.title in pdf_text(stuck.file.read())


# --- scripts/production ----------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("missing", ["DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY"])
def test_production_script_refuses_to_start_without_a_required_variable(missing):
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://forum@db.invalid/forum",
        "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }
    del env[missing]

    result = subprocess.run([str(BASE_DIR / "scripts/production")], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert result.stdout == ""  # refused before setting anything up


# --- the Procfile under honcho ----------------------------------------------------------------------


def database_url() -> str:
    """A DATABASE_URL for the test database, which other processes can use once data is committed."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.celery_worker
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql" or settings.CELERY_TASK_ALWAYS_EAGER,
    reason="needs PostgreSQL and Redis: set DATABASE_URL and CELERY_BROKER_URL (CI's services run)",
)
def test_procfile_serves_the_site_and_renders_pdfs_in_its_worker(quito_forum, tmp_path, collected_static):
    port = free_port()
    # A Redis database of its own: no other worker may take this test's render task.
    broker = re.sub(r"/\d*$", "", settings.CELERY_BROKER_URL) + "/13"
    env = production_env(
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker,
        DJANGO_CACHE_KEY_PREFIX=f"procfile-test-{uuid.uuid4().hex}",
        DJANGO_LOG_FORMAT="json",
        DJANGO_STATIC_ROOT=str(collected_static),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_BEHIND_TLS_PROXY="on",
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "celerybeat-schedule"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
    )
    honcho = subprocess.Popen(
        [str(VENV_BIN / "honcho"), "start", "--no-colour"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    https = {"X-Forwarded-Proto": "https"}
    programme_url = reverse("sessions_app:programme", kwargs={"forum_slug": quito_forum.slug})
    pdf_url = reverse("documents:programme-pdf", kwargs={"forum_slug": quito_forum.slug})
    try:
        health, _ = wait_for(f"{base}/healthz")
        programme, _ = wait_for(base + programme_url, headers=https)
        pdf, pdf_type = wait_for(base + pdf_url, headers=https)  # redirected to its status page until rendered
    finally:
        honcho.send_signal(signal.SIGTERM)
        output, _ = honcho.communicate(timeout=60)

    assert json.loads(health) == {
        "status": "ok",
        "database": {"status": "ok", "vendor": "postgresql"},
        "broker": {"status": "ok", "transport": "redis"},
        "cache": {"status": "ok"},
    }
    assert quito_forum.title in programme.decode()
    assert pdf_type == "application/pdf"
    assert quito_forum.title in pdf_text(pdf)
    started = dict(re.findall(r"(\w+)\.1 started \(pid=(\d+)\)", output))
    assert set(started) == {"web", "worker", "beat"}, output
    logs = [(name, json.loads(record)) for name, record in re.findall(r"^\S+ (\w+)\.1 +\| (\{.*\})$", output, re.M)]
    assert any(name == "web" and record.get("path") == pdf_url for name, record in logs)
    assert any(name == "worker" and record["logger"] == "sessions_app.services" for name, record in logs)
    assert any(name == "beat" and record["logger"] == "celery.beat" for name, record in logs)
    for pid in started.values():
        with pytest.raises(ProcessLookupError):  # no process left in its group
            os.killpg(int(pid), 0)


def test_the_access_log_masks_the_key_of_a_personal_calendar_feed():
    """A feed's address is its secret: whoever reads the logs must not be able to subscribe."""
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, gunicorn_conf.access_log_format, None, None
    )
    record.args = {
        "h": "203.0.113.7",
        "r": "GET /es/calendar/Zq9-secret_KEY.ics?x=1 HTTP/1.1",
        "m": "GET",
        "U": "/es/calendar/Zq9-secret_KEY.ics",
        "s": "200",
        "b": "512",
        "B": "512",
        "M": "3",
        "a": "Calendar/1.0",
    }

    gunicorn_conf.AccessFields().filter(record)

    assert "Zq9-secret_KEY" not in record.getMessage()
    assert record.path == "/es/calendar/….ics"
    assert record.getMessage() == '203.0.113.7 "GET /es/calendar/….ics?x=1 HTTP/1.1" 200 512 3ms'
