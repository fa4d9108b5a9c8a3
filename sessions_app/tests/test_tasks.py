"""The render task: takes an id, calls the service, survives what it must."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from forum.celery import app as celery_app
from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument
from sessions_app.tasks import document_render_task

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def queued_document(quito_session, monkeypatch) -> GeneratedDocument:
    """A QUEUED agenda document whose task has not run."""
    with monkeypatch.context() as patch:
        patch.setattr(document_render_task, "delay", lambda document_id: None)
        return services.document_request(forum=quito_session.forum, session=quito_session)


def test_document_render_task_is_registered_under_its_explicit_name():
    assert document_render_task.name == "sessions_app.document_render"
    assert celery_app.tasks["sessions_app.document_render"].run is document_render_task.run


def test_document_render_task_renders_the_document(queued_document):
    document_render_task.delay(queued_document.pk)

    queued_document.refresh_from_db()
    assert queued_document.status == GeneratedDocument.Status.READY
    assert queued_document.file


def test_document_render_task_returns_quietly_when_the_row_is_gone(db):
    result = document_render_task.apply(args=[987654])

    assert result.successful()


def test_document_render_task_does_not_raise_when_weasyprint_fails(queued_document, monkeypatch):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(ValueError("bad layout")))

    result = document_render_task.apply(args=[queued_document.pk])

    assert result.successful()
    queued_document.refresh_from_db()
    assert queued_document.status == GeneratedDocument.Status.FAILED
    assert queued_document.error == "ValueError: bad layout"


def test_document_render_task_retries_a_lost_database_connection(queued_document, monkeypatch):
    real_render = services.document_render
    calls = []

    def flaky_render(*, document_id: int) -> GeneratedDocument:
        calls.append(document_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_render(document_id=document_id)

    monkeypatch.setattr(services, "document_render", flaky_render)

    # throw=False: an eager retry is then run in place, as a worker would run it again.
    document_render_task.apply(args=[queued_document.pk], throw=False)

    assert calls == [queued_document.pk, queued_document.pk]
    queued_document.refresh_from_db()
    assert queued_document.status == GeneratedDocument.Status.READY


def test_document_render_task_has_time_limits_below_the_stale_render_age():
    assert document_render_task.soft_time_limit == services.RENDER_SOFT_TIME_LIMIT_SECONDS == 120
    assert document_render_task.time_limit == services.RENDER_TIME_LIMIT_SECONDS == 150
    assert document_render_task.max_retries == 3
    assert services.STALE_RENDER_SECONDS > document_render_task.time_limit


def test_document_render_task_stores_a_soft_time_limit_as_failed_then_a_retry_works(
    queued_document, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(SoftTimeLimitExceeded()))

    result = document_render_task.apply(args=[queued_document.pk])

    assert result.successful()
    queued_document.refresh_from_db()
    assert queued_document.status == GeneratedDocument.Status.FAILED
    assert queued_document.error == "Rendering took longer than the time limit of 120 seconds and was stopped."
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_retry(document=queued_document)
    queued_document.refresh_from_db()
    assert queued_document.status == GeneratedDocument.Status.READY
    assert queued_document.file
