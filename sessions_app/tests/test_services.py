"""Generated documents: request, render, store, serve again, rebuild after an edit, fail, retry."""

import hashlib
import importlib
import logging
import re
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument
from sessions_app.services import document_render, document_request, document_retry, requeue_stuck_documents
from sessions_app.tasks import document_render_task
from sessions_app.tests.pdf_support import loaded_for_print, pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = GeneratedDocument.Status


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Ids sent to the render task; the task itself does not run."""
    sent: list[int] = []
    monkeypatch.setattr(document_render_task, "delay", sent.append)
    return sent


def current_hash(session) -> str:
    html = pdf.render_session_agenda_html(loaded_for_print(session))
    return hashlib.sha256(html.encode()).hexdigest()


def test_document_request_creates_a_queued_row_and_queues_its_render_on_commit(
    quito_session, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        document = document_request(forum=quito_session.forum, session=quito_session)
        assert queued == []  # nothing is sent before the transaction commits

    assert document.status == Status.QUEUED
    assert document.kind == GeneratedDocument.Kind.SESSION_AGENDA
    assert document.content_hash == current_hash(quito_session)
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [document.pk]


def test_document_request_renders_and_stores_the_agenda_when_eager(quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        requested = document_request(forum=quito_session.forum, session=quito_session)

    document = GeneratedDocument.objects.get(pk=requested.pk)
    assert document.status == Status.READY
    assert document.error == ""
    assert document.render_seconds > 0
    assert re.fullmatch(
        r"documents/\d{4}/\d{2}/quito-2020-strengthen-partnerships-[a-z0-9-]+-agenda-en-[0-9a-f]{12}\.pdf",
        document.file.name,
    )
    assert len(document.file.name) <= GeneratedDocument._meta.get_field("file").max_length
    assert document.file.name.endswith(f"-{document.content_hash[:12]}.pdf")
    with document.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert quito_session.title in text
    assert "María Fernanda Garcés" in text


def test_document_request_renders_the_programme(quito_forum, quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        requested = document_request(forum=quito_forum)

    document = GeneratedDocument.objects.get(pk=requested.pk)
    assert document.kind == GeneratedDocument.Kind.PROGRAMME
    assert document.session is None
    assert document.status == Status.READY
    assert re.fullmatch(r"documents/\d{4}/\d{2}/quito-2020-programme-en-[0-9a-f]{12}\.pdf", document.file.name)
    with document.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert quito_forum.title in text
    assert quito_session.title in text


def test_document_request_serves_the_stored_file_again_while_content_is_unchanged(
    quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = document_request(forum=quito_session.forum, session=quito_session)
    first.refresh_from_db()
    calls = []
    monkeypatch.setattr(document_render_task, "delay", lambda *args: calls.append(args))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = document_request(forum=quito_session.forum, session=quito_session)

    assert second.pk == first.pk
    assert second.status == Status.READY
    assert second.file.name == first.file.name
    assert GeneratedDocument.objects.count() == 1
    assert callbacks == []
    assert calls == []


def test_document_request_renders_again_when_the_stored_file_is_gone(quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = document_request(forum=quito_session.forum, session=quito_session)
    first.refresh_from_db()
    default_storage.delete(first.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        document_request(forum=quito_session.forum, session=quito_session)

    first.refresh_from_db()
    assert first.status == Status.READY
    assert default_storage.exists(first.file.name)
    assert "María Fernanda Garcés" in pdf_text(first.file.read())


def test_document_request_rebuilds_after_an_edit_and_deletes_the_old_document(
    quito_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = document_request(forum=quito_session.forum, session=quito_session)
    old.refresh_from_db()
    old_file = old.file.name
    assert default_storage.exists(old_file)
    question = quito_session.key_questions.get(order=4)
    question.text = "How to better incorporate migration dynamics in local urban, housing and land policies?"
    question.save()

    with django_capture_on_commit_callbacks(execute=True):
        new = document_request(forum=quito_session.forum, session=quito_session)

    assert new.pk != old.pk
    new.refresh_from_db()
    assert new.status == Status.READY
    assert new.content_hash != old.content_hash
    assert not GeneratedDocument.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old_file)
    with new.file.open("rb") as stored:
        assert "housing and land policies?" in pdf_text(stored.read())


def test_document_request_returns_the_queued_row_without_queueing_again(quito_session, queued):
    first = document_request(forum=quito_session.forum, session=quito_session)
    second = document_request(forum=quito_session.forum, session=quito_session)

    assert second.pk == first.pk
    assert GeneratedDocument.objects.count() == 1


def test_document_request_does_not_requeue_a_failed_document(quito_session, queued, django_capture_on_commit_callbacks):
    failed = GeneratedDocument.objects.create(
        forum=quito_session.forum,
        session=quito_session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash=current_hash(quito_session),
        status=Status.FAILED,
        error="boom",
    )

    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)

    assert document.pk == failed.pk
    assert document.status == Status.FAILED
    assert queued == []


def test_document_request_shares_the_row_a_concurrent_request_inserted(quito_session, queued, monkeypatch):
    """The other request's insert is not visible to our read but trips the unique constraint."""
    existing = GeneratedDocument.objects.create(
        forum=quito_session.forum,
        session=quito_session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash=current_hash(quito_session),
    )

    def racing_get_or_create(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(GeneratedDocument.objects, "get_or_create", racing_get_or_create)

    document = document_request(forum=quito_session.forum, session=quito_session)

    assert document.pk == existing.pk
    assert GeneratedDocument.objects.count() == 1
    assert queued == []


def test_document_render_stores_failed_with_a_short_message_when_weasyprint_raises(
    quito_session, queued, monkeypatch, caplog
):
    document = document_request(forum=quito_session.forum, session=quito_session)

    def broken(html: str) -> bytes:
        raise RuntimeError("Pango could not lay out the page " + "x" * 1000)

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    with caplog.at_level(logging.ERROR, logger="sessions_app.services"):
        result = document_render(document_id=document.pk)

    result.refresh_from_db()
    assert result.status == Status.FAILED
    assert result.error.startswith("RuntimeError: Pango could not lay out the page")
    assert len(result.error) == services.ERROR_MAX_LENGTH
    assert not result.file
    assert f"Rendering document {document.pk}" in caplog.text
    assert "Traceback" in caplog.text


def test_document_retry_requeues_a_failed_document_and_it_renders(
    quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(OSError("no font")))
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)
    document.refresh_from_db()
    assert document.status == Status.FAILED
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        retried = document_retry(document=document)
        assert retried.status == Status.QUEUED
        assert retried.error == ""

    assert len(callbacks) == 1
    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.file


def test_document_retry_leaves_a_ready_document_alone(quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)
    document.refresh_from_db()

    with django_capture_on_commit_callbacks() as callbacks:
        assert document_retry(document=document).status == Status.READY

    assert callbacks == []


def test_document_render_prints_content_edited_after_the_request(quito_session, queued):
    document = document_request(forum=quito_session.forum, session=quito_session)
    quito_session.key_questions.filter(order=1).update(text="What changed since the request?")

    rendered = document_render(document_id=document.pk)

    rendered.refresh_from_db()
    assert rendered.pk == document.pk
    assert rendered.status == Status.READY
    assert rendered.content_hash == current_hash(quito_session) != document.content_hash
    with rendered.file.open("rb") as stored:
        assert "What changed since the request?" in pdf_text(stored.read())


def test_document_render_drops_a_row_superseded_by_a_request_for_the_current_content(quito_session, queued):
    outdated = document_request(forum=quito_session.forum, session=quito_session)
    quito_session.key_questions.filter(order=1).update(text="What changed since the request?")
    current = document_request(forum=quito_session.forum, session=quito_session)

    result = document_render(document_id=outdated.pk)

    assert result.pk == current.pk
    assert not GeneratedDocument.objects.filter(pk=outdated.pk).exists()


def test_document_render_returns_a_ready_document_without_rendering_again(
    quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: pytest.fail("rendered again"))

    assert document_render(document_id=document.pk).status == Status.READY


def test_document_render_raises_does_not_exist_for_a_deleted_row(db):
    with pytest.raises(GeneratedDocument.DoesNotExist):
        document_render(document_id=987654)


def test_document_render_removes_its_file_when_the_row_vanishes_meanwhile(quito_session, queued, monkeypatch):
    document = document_request(forum=quito_session.forum, session=quito_session)
    real_html_to_pdf = pdf.html_to_pdf

    def render_while_deleted(html: str) -> bytes:
        GeneratedDocument.objects.filter(pk=document.pk).delete()
        return real_html_to_pdf(html)

    monkeypatch.setattr(pdf, "html_to_pdf", render_while_deleted)

    with pytest.raises(GeneratedDocument.DoesNotExist):
        document_render(document_id=document.pk)

    assert not any(files for _, files in _walk(default_storage, "documents"))


def _walk(storage, path: str):
    """(folder, file names) for ``path`` and every folder below it in ``storage``."""
    directories, files = storage.listdir(path)
    yield path, files
    for directory in directories:
        yield from _walk(storage, f"{path}/{directory}")


# Files of deleted documents.


def ready_agenda(session, capture) -> GeneratedDocument:
    """``session``'s agenda rendered and stored (``capture``: ``django_capture_on_commit_callbacks``)."""
    with capture(execute=True):
        document = document_request(forum=session.forum, session=session)
    document.refresh_from_db()
    assert default_storage.exists(document.file.name)
    return document


def test_deleting_a_session_removes_its_document_files_after_commit(quito_session, django_capture_on_commit_callbacks):
    document = ready_agenda(quito_session, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        quito_session.delete()
        assert default_storage.exists(document.file.name)  # not before the deletion commits

    assert not GeneratedDocument.objects.exists()
    assert not default_storage.exists(document.file.name)


def test_deleting_a_forum_removes_its_programme_and_agenda_files(quito_session, django_capture_on_commit_callbacks):
    agenda = ready_agenda(quito_session, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        programme = document_request(forum=quito_session.forum)
    programme.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        quito_session.forum.delete()

    assert not GeneratedDocument.objects.exists()
    assert not default_storage.exists(agenda.file.name)
    assert not default_storage.exists(programme.file.name)


def test_a_rolled_back_deletion_keeps_the_document_file(quito_session, django_capture_on_commit_callbacks):
    document = ready_agenda(quito_session, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            GeneratedDocument.objects.filter(pk=document.pk).delete()
            raise RuntimeError("the admin's delete failed")

    assert callbacks == []
    assert GeneratedDocument.objects.filter(pk=document.pk).exists()
    assert default_storage.exists(document.file.name)


# Statuses: queued → rendering → ready; stuck renders; concurrent renders.


def agenda_row(session, *, status: str, started_ago: float | None = None, content_hash: str = "") -> GeneratedDocument:
    """An agenda document of ``session`` stored with ``status``, its render started ``started_ago`` seconds ago."""
    started = None if started_ago is None else timezone.now() - timedelta(seconds=started_ago)
    return GeneratedDocument.objects.create(
        forum=session.forum,
        session=session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash=content_hash or current_hash(session),
        status=status,
        render_started_at=started,
    )


STALE = services.STALE_RENDER_SECONDS + 1


def test_render_goes_from_queued_to_rendering_to_ready(quito_session, queued, monkeypatch):
    document = document_request(forum=quito_session.forum, session=quito_session)
    assert GeneratedDocument.objects.get(pk=document.pk).status == Status.QUEUED
    real_html_to_pdf = pdf.html_to_pdf
    seen = []

    def watching_html_to_pdf(html: str) -> bytes:
        seen.append(GeneratedDocument.objects.values("status", "render_started_at").get(pk=document.pk))
        return real_html_to_pdf(html)

    monkeypatch.setattr(pdf, "html_to_pdf", watching_html_to_pdf)
    before = timezone.now()

    document_render(document_id=document.pk)

    assert seen[0]["status"] == Status.RENDERING
    assert before <= seen[0]["render_started_at"] <= timezone.now()
    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.render_started_at == seen[0]["render_started_at"]
    assert "María Fernanda Garcés" in pdf_text(document.file.read())


def test_document_render_returns_without_rendering_a_row_another_worker_is_rendering(quito_session, monkeypatch):
    document = agenda_row(quito_session, status=Status.RENDERING, started_ago=5)
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: pytest.fail("rendered twice at once"))

    result = document_render(document_id=document.pk)

    assert result.status == Status.RENDERING
    stored = GeneratedDocument.objects.get(pk=document.pk)
    assert (stored.status, stored.render_started_at, stored.file.name) == (
        Status.RENDERING,
        document.render_started_at,
        "",
    )


def test_document_render_takes_over_a_stuck_render(quito_session):
    document = agenda_row(quito_session, status=Status.RENDERING, started_ago=STALE)

    document_render(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == Status.READY
    assert timezone.now() - document.render_started_at < timedelta(seconds=60)


def test_document_render_does_not_render_a_failed_row(quito_session, monkeypatch):
    document = agenda_row(quito_session, status=Status.FAILED)
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: pytest.fail("a failed row is rendered only once retried"))

    assert document_render(document_id=document.pk).status == Status.FAILED


def test_document_request_requeues_a_stuck_render(quito_session, queued, django_capture_on_commit_callbacks):
    stuck = agenda_row(quito_session, status=Status.RENDERING, started_ago=STALE)

    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)

    assert document.pk == stuck.pk
    stuck.refresh_from_db()
    assert (stuck.status, stuck.render_started_at) == (Status.QUEUED, None)
    assert queued == [stuck.pk]


def test_document_request_leaves_a_fresh_render_alone(quito_session, queued, django_capture_on_commit_callbacks):
    rendering = agenda_row(quito_session, status=Status.RENDERING, started_ago=services.STALE_RENDER_SECONDS - 30)

    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session)

    assert document.pk == rendering.pk
    assert GeneratedDocument.objects.get(pk=rendering.pk).status == Status.RENDERING
    assert queued == []


def test_requeue_stuck_documents_requeues_only_stuck_renders(quito_session, queued, django_capture_on_commit_callbacks):
    stuck = agenda_row(quito_session, status=Status.RENDERING, started_ago=STALE)
    fresh = agenda_row(quito_session, status=Status.RENDERING, started_ago=10, content_hash="a" * 64)
    waiting = agenda_row(quito_session, status=Status.QUEUED, content_hash="b" * 64)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_documents() == 1

    assert queued == [stuck.pk]
    stuck.refresh_from_db()
    assert (stuck.status, stuck.render_started_at, stuck.error) == (Status.QUEUED, None, "")
    assert GeneratedDocument.objects.get(pk=fresh.pk).status == Status.RENDERING
    assert GeneratedDocument.objects.get(pk=waiting.pk).status == Status.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_documents() == 0


def test_requeue_stuck_documents_sends_again_a_render_queued_too_long_ago(
    quito_session, queued, django_capture_on_commit_callbacks
):
    lost = agenda_row(quito_session, status=Status.QUEUED)
    GeneratedDocument.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(seconds=STALE))

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_documents() == 1

    assert queued == [lost.pk]
    assert GeneratedDocument.objects.get(pk=lost.pk).status == Status.QUEUED


def test_requeued_stuck_render_is_rendered_by_eager_celery(quito_session, django_capture_on_commit_callbacks):
    stuck = agenda_row(quito_session, status=Status.RENDERING, started_ago=STALE)

    with django_capture_on_commit_callbacks(execute=True):
        requeue_stuck_documents()

    stuck.refresh_from_db()
    assert stuck.status == Status.READY
    assert quito_session.title in pdf_text(stuck.file.read())


def test_soft_time_limit_stores_failed_with_a_clear_message_then_a_retry_works(
    quito_session, queued, monkeypatch, django_capture_on_commit_callbacks
):
    document = document_request(forum=quito_session.forum, session=quito_session)
    with monkeypatch.context() as patch:
        patch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(SoftTimeLimitExceeded()))
        document_render(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == Status.FAILED
    assert document.error == "Rendering took longer than the time limit of 120 seconds and was stopped."
    assert not document.file

    with django_capture_on_commit_callbacks(execute=True):
        document_retry(document=document)
    document_render(document_id=queued[-1])

    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.error == ""


def test_soft_time_limit_while_storing_the_file_removes_it_and_stores_failed(quito_session, queued, monkeypatch):
    document = document_request(forum=quito_session.forum, session=quito_session)
    monkeypatch.setattr(
        services, "_store_ready", lambda *args, **kwargs: (_ for _ in ()).throw(SoftTimeLimitExceeded())
    )

    result = document_render(document_id=document.pk)

    assert result.status == Status.FAILED
    assert "time limit of 120 seconds" in GeneratedDocument.objects.get(pk=document.pk).error
    assert not any(files for _, files in _walk(default_storage, "documents"))


def test_database_error_during_a_render_sets_the_row_queued_again_for_the_retry(quito_session, queued, monkeypatch):
    document = document_request(forum=quito_session.forum, session=quito_session)
    monkeypatch.setattr(
        services, "_load_content", lambda **kwargs: (_ for _ in ()).throw(OperationalError("connection lost"))
    )

    with pytest.raises(OperationalError):
        document_render(document_id=document.pk)

    stored = GeneratedDocument.objects.get(pk=document.pk)
    assert (stored.status, stored.render_started_at) == (Status.QUEUED, None)


def test_forced_retry_renders_a_ready_document_again_into_a_new_file(quito_session, django_capture_on_commit_callbacks):
    document = ready_agenda(quito_session, django_capture_on_commit_callbacks)
    old_file = document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert document_retry(document=document, force=True).status == Status.QUEUED

    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.file.name != old_file
    assert len(document.file.name) <= GeneratedDocument._meta.get_field("file").max_length
    assert f"-{document.content_hash[:12]}" in document.file.name
    assert default_storage.exists(document.file.name)
    assert not default_storage.exists(old_file)
    assert "María Fernanda Garcés" in pdf_text(document.file.read())


def test_retry_leaves_a_document_being_rendered_alone(quito_session, queued, django_capture_on_commit_callbacks):
    rendering = agenda_row(quito_session, status=Status.RENDERING, started_ago=5)

    with django_capture_on_commit_callbacks(execute=True):
        assert document_retry(document=rendering, force=True).status == Status.RENDERING

    assert GeneratedDocument.objects.get(pk=rendering.pk).status == Status.RENDERING
    assert queued == []


def test_migration_turns_pending_rows_into_queued_ones(quito_session):
    migration = importlib.import_module("sessions_app.migrations.0002_generated_document_render_states")
    document = agenda_row(quito_session, status=Status.QUEUED)
    GeneratedDocument.objects.filter(pk=document.pk).update(status="pending")

    migration.pending_to_queued(apps, None)
    assert GeneratedDocument.objects.get(pk=document.pk).status == Status.QUEUED
    migration.queued_to_pending(apps, None)
    assert GeneratedDocument.objects.get(pk=document.pk).status == "pending"
