"""The agenda PDF rendered by a real Celery worker consuming from the broker (CI's services run).

Needs ``CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``); best with PostgreSQL
(``DATABASE_URL``), where the worker thread reads the rows this test commits.
"""

import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.urls import reverse
from kombu import Exchange, Queue

from forum.celery import app as celery_app
from sessions_app.models import GeneratedDocument
from sessions_app.tests.pdf_support import pdf_text

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.CELERY_TASK_ALWAYS_EAGER,
        reason="needs a Celery broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (CI's services run)",
    ),
]

READY_TIMEOUT_SECONDS = 60


@pytest.fixture
def worker_queue():
    """A queue of this test alone (pytest-xdist processes share one Redis) and a worker consuming it.

    Tasks go to the queue through ``task_default_queue``; the worker runs in a thread of
    this process, so it uses the test database and settings.
    """
    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        with start_worker(celery_app, queues=[queue], perform_ping_check=False, shutdown_timeout=30):
            yield queue
    finally:
        celery_app.conf.task_default_queue = previous
        with celery_app.connection_for_write() as connection:
            # Declared on this channel so that deleting it also removes its binding from Redis.
            bound = Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel)
            bound.declare()
            bound.delete()


def wait_until_settled(document_id: int) -> GeneratedDocument:
    """The document once it is no longer QUEUED or RENDERING, polling the database for up to 60 s."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        document = GeneratedDocument.objects.get(pk=document_id)
        if document.status not in (GeneratedDocument.Status.QUEUED, GeneratedDocument.Status.RENDERING):
            return document
        time.sleep(0.2)
    pytest.fail(f"Document {document_id} still queued or rendering after {READY_TIMEOUT_SECONDS} s.")


def test_worker_renders_the_agenda_pdf_requested_by_a_download(client, quito_session, worker_queue):
    url = reverse(
        "documents:session-agenda-pdf",
        kwargs={"forum_slug": quito_session.forum.slug, "session_slug": quito_session.slug},
    )

    response = client.get(url)

    assert not celery_app.conf.task_always_eager
    assert response.status_code == 302  # the request does not wait for the worker
    document = wait_until_settled(GeneratedDocument.objects.get().pk)
    assert document.status == GeneratedDocument.Status.READY, document.error
    assert document.render_seconds > 0
    download = client.get(url)
    assert download.status_code == 200
    text = pdf_text(b"".join(download.streaming_content))
    assert quito_session.title in text
    assert "María Fernanda Garcés" in text
