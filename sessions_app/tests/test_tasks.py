"""The render task: takes an id, calls the service, survives what it must."""

import pytest
from django.db import OperationalError

from forum.celery import app as celery_app
from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument
from sessions_app.tasks import document_render_task

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def pending_document(quito_session, monkeypatch) -> GeneratedDocument:
    """A PENDING agenda document whose task has not run."""
    with monkeypatch.context() as patch:
        patch.setattr(document_render_task, "delay", lambda document_id: None)
        return services.document_request(forum=quito_session.forum, session=quito_session)


def test_document_render_task_is_registered_under_its_explicit_name():
    assert document_render_task.name == "sessions_app.document_render"
    assert celery_app.tasks["sessions_app.document_render"].run is document_render_task.run


def test_document_render_task_renders_the_document(pending_document):
    document_render_task.delay(pending_document.pk)

    pending_document.refresh_from_db()
    assert pending_document.status == GeneratedDocument.Status.READY
    assert pending_document.file


def test_document_render_task_returns_quietly_when_the_row_is_gone(db):
    result = document_render_task.apply(args=[987654])

    assert result.successful()


def test_document_render_task_does_not_raise_when_weasyprint_fails(pending_document, monkeypatch):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(ValueError("bad layout")))

    result = document_render_task.apply(args=[pending_document.pk])

    assert result.successful()
    pending_document.refresh_from_db()
    assert pending_document.status == GeneratedDocument.Status.FAILED
    assert pending_document.error == "ValueError: bad layout"


def test_document_render_task_retries_a_lost_database_connection(pending_document, monkeypatch):
    real_render = services.document_render
    calls = []

    def flaky_render(*, document_id: int) -> GeneratedDocument:
        calls.append(document_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_render(document_id=document_id)

    monkeypatch.setattr(services, "document_render", flaky_render)

    # throw=False: an eager retry is then run in place, as a worker would run it again.
    document_render_task.apply(args=[pending_document.pk], throw=False)

    assert calls == [pending_document.pk, pending_document.pk]
    pending_document.refresh_from_db()
    assert pending_document.status == GeneratedDocument.Status.READY
