"""``manage.py requeue_stuck_documents``: renders left by a dead worker are queued again."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions_app import services
from sessions_app.models import GeneratedDocument
from sessions_app.tests.pdf_support import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = GeneratedDocument.Status


def rendering_since(session, seconds: float, content_hash: str) -> GeneratedDocument:
    """An agenda document of ``session`` RENDERING since ``seconds`` ago."""
    return GeneratedDocument.objects.create(
        forum=session.forum,
        session=session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash=content_hash,
        status=Status.RENDERING,
        render_started_at=timezone.now() - timedelta(seconds=seconds),
    )


def test_requeue_stuck_documents_command_requeues_and_prints_the_count(
    quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[int] = []
    monkeypatch.setattr(services, "_queue_render", sent.append)
    stuck = rendering_since(quito_session, services.STALE_RENDER_SECONDS + 1, "a" * 64)
    fresh = rendering_since(quito_session, 30, "b" * 64)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_stuck_documents", stdout=out)

    assert out.getvalue() == "Re-queued 1 stuck document render.\n"
    assert sent == [stuck.pk]
    assert GeneratedDocument.objects.get(pk=stuck.pk).status == Status.QUEUED
    assert GeneratedDocument.objects.get(pk=fresh.pk).status == Status.RENDERING


def test_requeue_stuck_documents_command_with_nothing_stuck(db):
    out = io.StringIO()

    call_command("requeue_stuck_documents", stdout=out)

    assert out.getvalue() == "Re-queued 0 stuck document renders.\n"


def test_requeued_document_is_rendered_by_eager_celery(quito_session, django_capture_on_commit_callbacks):
    stuck = rendering_since(quito_session, services.STALE_RENDER_SECONDS + 1, "a" * 64)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_stuck_documents", stdout=io.StringIO())

    stuck.refresh_from_db()
    assert stuck.status == Status.READY
    assert quito_session.title in pdf_text(stuck.file.read())
