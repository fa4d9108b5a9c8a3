"""Faults around PDFs and the rapporteur's editor: the broker down (PDFs wait, pages work),
Redis gone entirely, the database refusing a write, a worker killed in the middle of a render.

The broker is made to refuse by patching kombu's ``Producer.publish`` (tasks then go to
the broker, not in-process) or, for real, by pointing Celery and the cache at a closed
local port (``fault_support``). The killed worker runs in CI's services run only
(PostgreSQL and Redis): a real worker process is started, killed with SIGKILL while it
renders, and a second one finishes what the requeue gives it.
"""

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone, translation
from kombu import Exchange, Queue

from bench.builder import Scale, build_forum
from forum.celery import app as celery_app
from forum.tests.db_refusals import ADMIN_REFUSED, lock_timeout, not_null_violation, unique_violation
from sessions_app import admin as sessions_admin
from sessions_app import services, workspace_views
from sessions_app.models import GeneratedDocument
from sessions_app.recommendation_services import document_for
from sessions_app.recommendations import RecommendationsDocument, RecommendationsVersion
from sessions_app.tasks import requeue_stuck_documents_task
from sessions_app.tests import fault_support
from sessions_app.tests.factories import RecommendationsDocumentFactory, SessionFactory
from sessions_app.tests.pdf_support import pdf_text
from sessions_app.tests.support import client_for, page_text
from sessions_app.tests.test_workspace import editor_data, editor_url, rapporteur_of, row

pytestmark = pytest.mark.integration

Status = GeneratedDocument.Status
LATER = "Your PDF will be prepared as soon as the service is back."
REFUSED_WRITE = "We could not save this just now; nothing was changed. Please try again."


def programme_url(forum) -> str:
    return reverse("documents:programme-pdf", kwargs={"forum_slug": forum.slug})


@pytest.fixture
def broker_down(monkeypatch):
    """Every task sent to the broker fails as with an unreachable broker."""
    fault_support.refuse_publishing(monkeypatch)


@pytest.fixture
def redis_gone(monkeypatch, settings):
    """The broker and the cache on a closed local port, as with Redis stopped."""
    return fault_support.take_redis_away(monkeypatch, settings)


def asked_for(client, url: str, capture):
    """The status page reached by GET ``url`` (its render queued when the request commits)."""
    with capture(execute=True):
        response = client.get(url)
    assert response.status_code == 302
    return client.get(response["Location"])


# The broker down.


@pytest.mark.django_db
def test_a_pdf_asked_for_while_the_broker_is_down_will_be_prepared_later(
    client, quito_forum, broker_down, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING, logger="forum.tasking"):
        page = asked_for(client, programme_url(quito_forum), django_capture_on_commit_callbacks)

    assert page.status_code == 202
    assert page["Retry-After"] == "30"
    assert f'<meta http-equiv="refresh" content="30;url={programme_url(quito_forum)}">' in page.content.decode()
    assert 'data-refresh-seconds="30"' in page.content.decode()
    text = page_text(page.content)
    assert "The PDF service is unavailable just now." in text
    assert LATER in text
    assert "This page refreshes itself every 30 seconds." in text
    assert "Retry" not in text
    document = GeneratedDocument.objects.get()
    assert document.status == Status.QUEUED
    warnings = [record.getMessage() for record in caplog.records if record.name == "forum.tasking"]
    assert warnings == [
        f"Task sessions_app.document_render({document.pk},) not queued "
        f"(OperationalError: {fault_support.REFUSED}); it will be queued again once the broker is back."
    ]


@pytest.mark.django_db
def test_the_later_message_is_in_spanish_on_a_spanish_page(
    client, quito_forum, broker_down, django_capture_on_commit_callbacks
):
    with translation.override("es"):
        url = programme_url(quito_forum)

    page = asked_for(client, url, django_capture_on_commit_callbacks)

    assert page.status_code == 202
    text = page_text(page.content)
    assert "El servicio de PDF no está disponible en este momento." in text
    assert "Su PDF se preparará en cuanto el servicio vuelva a estar disponible." in text


@pytest.mark.django_db
def test_a_pdf_never_sent_is_rendered_by_the_requeue_once_the_broker_is_back(
    client, quito_forum, monkeypatch, django_capture_on_commit_callbacks
):
    url = programme_url(quito_forum)
    with monkeypatch.context() as outage:
        fault_support.refuse_publishing(outage)
        asked_for(client, url, django_capture_on_commit_callbacks)
    celery_app.conf.task_always_eager = True  # the broker is back, with a worker (in-process here)
    document = GeneratedDocument.objects.get()
    assert document.status == Status.QUEUED
    # Before it has waited STALE_RENDER_SECONDS it may still be in the queue: left alone.
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_documents_task() == 0
    waited = timezone.now() - timedelta(seconds=services.STALE_RENDER_SECONDS + 1)
    GeneratedDocument.objects.filter(pk=document.pk).update(updated_at=waited)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_documents_task() == 1

    download = client.get(url)
    assert download.status_code == 200
    assert quito_forum.title in pdf_text(b"".join(download.streaming_content))


@pytest.mark.django_db
def test_with_the_broker_back_the_status_page_refreshes_as_usual(
    client, quito_forum, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as outage:
        fault_support.refuse_publishing(outage)
        asked_for(client, programme_url(quito_forum), django_capture_on_commit_callbacks)
    # Ten seconds later this process asks the broker again (in-memory here, and reachable).
    fault_support.forget_the_broker(monkeypatch)
    document = GeneratedDocument.objects.get()

    page = client.get(reverse("documents:document-status", kwargs={"forum_slug": quito_forum.slug, "pk": document.pk}))

    assert page.status_code == 200
    assert "Queued — waiting for a worker" in page_text(page.content)
    assert LATER not in page_text(page.content)


# Redis gone: broker and cache on a closed port.


@pytest.mark.django_db
def test_with_redis_gone_pages_and_the_editor_work_and_a_pdf_waits(
    client, quito_session, redis_gone, django_capture_on_commit_callbacks
):
    forum = quito_session.forum
    for url in (
        reverse("forum:forum-list"),
        reverse("forum:forum-home", kwargs={"forum_slug": forum.slug}),
        reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug}),
        reverse("sessions_app:session-detail", kwargs={"forum_slug": forum.slug, "session_slug": quito_session.slug}),
    ):
        assert client.get(url).status_code == 200, url

    page = asked_for(client, programme_url(forum), django_capture_on_commit_callbacks)
    assert page.status_code == 202
    assert LATER in page_text(page.content)
    assert GeneratedDocument.objects.get().status == Status.QUEUED

    session = SessionFactory()
    rapporteur = client_for(rapporteur_of(session))
    with django_capture_on_commit_callbacks(execute=True):
        saved = rapporteur.post(editor_url(session), editor_data(1, rows=[row("Share data.")]))
    assert saved.status_code == 302
    assert document_for(session).recommendations.get().text == "Share data."


@pytest.mark.django_db
def test_a_status_page_asks_the_broker_when_this_process_has_not_tried_it(client, quito_forum, redis_gone):
    # Queued by another web process, whose task was not sent; this one has sent nothing yet.
    document = GeneratedDocument.objects.create(
        forum=quito_forum, kind=GeneratedDocument.Kind.PROGRAMME, language="en", content_hash="c" * 64
    )

    page = client.get(reverse("documents:document-status", kwargs={"forum_slug": quito_forum.slug, "pk": document.pk}))

    assert page.status_code == 202
    assert LATER in page_text(page.content)


# The database refusing a write.


def save_then_fail(monkeypatch, error) -> None:
    """Make the editor's ``save_draft`` store the draft and then raise ``error()``."""
    real_save = workspace_views.save_draft

    def save_then_raise(**kwargs):
        real_save(**kwargs)  # written, then undone with the request's transaction
        raise error()

    monkeypatch.setattr(workspace_views, "save_draft", save_then_raise)


def document_fails_again(monkeypatch, error) -> None:
    """Make the editor's ``document_for`` raise ``error()`` from its second call on: the database
    refuses the page shown after the refused save too."""
    real_document_for = workspace_views.document_for
    calls = []

    def document_or_fail(*args, **kwargs):
        calls.append(args)
        if len(calls) > 1:
            raise error()
        return real_document_for(*args, **kwargs)

    monkeypatch.setattr(workspace_views, "document_for", document_or_fail)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [lock_timeout, unique_violation])
def test_a_refused_editor_save_keeps_the_text_and_stores_nothing(monkeypatch, error):
    session = SessionFactory()
    rapporteur = client_for(rapporteur_of(session))
    save_then_fail(monkeypatch, error)

    response = rapporteur.post(
        editor_url(session), editor_data(1, introduction="Cities first.", rows=[row("Share data.")])
    )

    assert response.status_code == 409
    text = page_text(response.content)
    assert REFUSED_WRITE in text
    assert "Cities first." in response.content.decode() and "Share data." in response.content.decode()
    document = document_for(session)
    assert (document.version, document.introduction, document.recommendations.count()) == (1, "", 0)


@pytest.mark.django_db
def test_an_editor_refused_again_while_shown_again_goes_back_to_the_editor_with_the_message(monkeypatch):
    session = SessionFactory()
    rapporteur = client_for(rapporteur_of(session))
    save_then_fail(monkeypatch, lock_timeout)
    document_fails_again(monkeypatch, lock_timeout)

    response = rapporteur.post(editor_url(session), editor_data(1, introduction="Cities first."))

    assert response.status_code == 302
    assert response["Location"] == editor_url(session)
    monkeypatch.undo()  # the lock is gone
    page = rapporteur.get(response["Location"])
    assert REFUSED_WRITE in page_text(page.content)
    document = document_for(session)
    assert (document.version, document.introduction) == (1, "")


@pytest.mark.django_db
def test_an_editor_failing_on_a_bug_while_shown_again_is_raised(monkeypatch):
    session = SessionFactory()
    rapporteur = client_for(rapporteur_of(session))
    save_then_fail(monkeypatch, lock_timeout)
    document_fails_again(monkeypatch, not_null_violation)

    with pytest.raises(IntegrityError, match="(?i)not.null"):
        rapporteur.post(editor_url(session), editor_data(1, introduction="Cities first."))


@pytest.mark.django_db
def test_a_publish_action_refused_on_its_second_document_publishes_none_and_says_so(admin_client, monkeypatch):
    chosen = [
        RecommendationsDocumentFactory(
            session=SessionFactory(title=title), status=RecommendationsDocument.Status.SUBMITTED
        )
        for title in ("Cities first", "Shelters")
    ]
    real_publish, calls = sessions_admin.publish, []

    def publish_then_fail(**kwargs):
        real_publish(**kwargs)
        calls.append(kwargs)
        if len(calls) == 2:
            raise lock_timeout()

    monkeypatch.setattr(sessions_admin, "publish", publish_then_fail)
    changelist = reverse("admin:sessions_app_recommendationsdocument_changelist")

    response = admin_client.post(
        changelist, {"action": "publish_selected", "_selected_action": [str(document.pk) for document in chosen]}
    )

    assert response["Location"] == changelist
    text = page_text(admin_client.get(changelist).content)
    assert ADMIN_REFUSED in text and "document(s) published" not in text
    assert len(calls) == 2
    stored = RecommendationsDocument.objects.filter(pk__in=[document.pk for document in chosen])
    assert set(stored.values_list("status", "version")) == {(RecommendationsDocument.Status.SUBMITTED, 1)}
    assert not RecommendationsVersion.objects.exists()


# A worker killed in the middle of a render (CI's services run).

WORKER_TIMEOUT_SECONDS = 120


def _worker_env(queue: str) -> dict[str, str]:
    """The environment of a worker process using this test's database, broker and media folder."""
    database = connection.settings_dict
    credentials = quote(database["USER"]) + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
    url = f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "forum.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def _start_worker(queue: str, log) -> subprocess.Popen:
    """A Celery worker process consuming ``queue`` alone, rendering in its main process (solo pool)."""
    command = [sys.executable, "-m", "celery", "-A", "forum", "worker", "--pool=solo", "--queues", queue]
    command += ["--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=_worker_env(queue), stdout=log, stderr=subprocess.STDOUT
    )


def _wait_for(document_id: int, statuses: tuple[str, ...], poll: float) -> GeneratedDocument:
    """The document once its status is one of ``statuses``, polling every ``poll`` seconds."""
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        document = GeneratedDocument.objects.get(pk=document_id)
        if document.status in statuses:
            return document
        time.sleep(poll)
    pytest.fail(f"Document {document_id} not {statuses} after {WORKER_TIMEOUT_SECONDS} s.")


def _stop(worker: subprocess.Popen) -> None:
    """Stop ``worker`` (warm shutdown), killing it if it does not end within 30 s."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def worker_queue():
    """A queue of this test alone, made the default queue of the tasks it sends; deleted afterwards."""
    queue = f"test-kill-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    yield queue
    celery_app.conf.task_default_queue = previous
    with celery_app.connection_for_write() as broker:
        bound = Queue(queue, Exchange(queue), routing_key=queue)(broker.default_channel)
        bound.declare()
        bound.delete()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL and a Redis broker (CI's services run): a worker process reads the test database",
)
def test_a_worker_killed_in_the_middle_of_a_render_leaves_no_document_stuck(client, worker_queue, tmp_path):
    # About 40 sessions: a programme of a few seconds' rendering, time enough to kill the worker.
    forum = build_forum(Scale(days=1, rooms=4, sessions=40, plenaries_per_day=2, speakers=20, registrations=0)).forum
    with open(tmp_path / "worker.log", "w") as log:
        first = _start_worker(worker_queue, log)
        try:
            assert client.get(programme_url(forum)).status_code == 302
            document = _wait_for(GeneratedDocument.objects.get().pk, (Status.RENDERING,), poll=0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            _stop(first)

        document.refresh_from_db()
        assert document.status == Status.RENDERING and not document.has_pdf()
        assert services.requeue_stuck_documents() == 0  # not stuck yet: its worker might be alive
        stale = document.render_started_at - timedelta(seconds=services.STALE_RENDER_SECONDS + 1)
        GeneratedDocument.objects.filter(pk=document.pk).update(render_started_at=stale)
        assert services.requeue_stuck_documents() == 1

        second = _start_worker(worker_queue, log)
        try:
            document = _wait_for(document.pk, (Status.READY, Status.FAILED), poll=0.2)
        finally:
            _stop(second)

    assert document.status == Status.READY, document.error
    assert not GeneratedDocument.objects.filter(status__in=(Status.QUEUED, Status.RENDERING)).exists()
    download = client.get(programme_url(forum))
    assert download.status_code == 200
    assert "Benchmark Forum" in pdf_text(b"".join(download.streaming_content))
