"""Writes of the sessions app: generated PDF documents (programme, session agenda).

A ``GeneratedDocument`` row stands for one PDF of one subject (a forum's programme or
a session's agenda) rendered from one version of its content, identified by the
SHA-256 of the HTML it prints. Requests never wait on WeasyPrint: ``document_request``
returns the stored document or queues its rendering (Celery task
``sessions_app.document_render``) after the transaction commits; ``document_render``
runs in the worker.
"""

import hashlib
import logging
import time
from functools import partial

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.text import slugify

from forum.models import Forum
from sessions_app import pdf
from sessions_app.models import GeneratedDocument, Session

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 500
STORAGE_STEM_LENGTH = 61  # + "-" + 12 hex digits + ".pdf" = 78 characters


def document_request(*, forum: Forum, session: Session | None = None) -> GeneratedDocument:
    """The document of ``session``'s agenda (or of ``forum``'s programme) for its current content.

    Renders the current HTML (a few queries, no PDF) and hashes it. Returns, in order:
    the READY document with that hash (if its file has gone from storage, it is set
    PENDING and queued again); else the existing PENDING or FAILED row with that
    hash (a FAILED one is not re-queued: see ``document_retry``); else a new PENDING row,
    whose rendering is queued with ``transaction.on_commit`` (so a worker never looks
    for a row that is not committed; outside a transaction it is queued at once, and
    with eager Celery rendered before this returns, the returned instance then being
    stale). Concurrent requests for the same content share one row: the insert runs in
    its own savepoint and an ``IntegrityError`` from the unique constraints falls back
    to reading the row the other request created.
    """
    kind = GeneratedDocument.Kind.SESSION_AGENDA if session else GeneratedDocument.Kind.PROGRAMME
    content_hash = _content_hash(_current_html(forum=forum, session_id=session.pk if session else None))
    subject = {"forum": forum, "session": session, "kind": kind, "content_hash": content_hash}
    ready = GeneratedDocument.objects.filter(status=GeneratedDocument.Status.READY, **subject).first()
    if ready is not None:
        if ready.file and ready.file.storage.exists(ready.file.name):
            return ready
        return _requeue(ready)
    try:
        with transaction.atomic():
            document, created = GeneratedDocument.objects.get_or_create(**subject)
    except IntegrityError:
        document, created = GeneratedDocument.objects.get(**subject), False
    if created:
        transaction.on_commit(partial(_queue_render, document.pk))
    return document


def document_retry(*, document: GeneratedDocument) -> GeneratedDocument:
    """Queue ``document`` for rendering again (after a failure, or a render that never finished).

    Sets it PENDING with no error, saves those fields and queues the render task with
    ``transaction.on_commit``. A READY document is returned unchanged (nothing queued).
    The render re-reads the current content, so an edit made since the failure is
    printed too.
    """
    if document.status == GeneratedDocument.Status.READY:
        return document
    return _requeue(document)


def _requeue(document: GeneratedDocument) -> GeneratedDocument:
    """Set ``document`` PENDING with no error and queue its render on commit."""
    document.status = GeneratedDocument.Status.PENDING
    document.error = ""
    document.save(update_fields=["status", "error", "updated_at"])
    transaction.on_commit(partial(_queue_render, document.pk))
    return document


def document_render(*, document_id: int) -> GeneratedDocument:
    """Render document ``document_id`` to PDF, store the file and mark it READY (run by the task).

    Re-reads the subject's current content. If it changed since the request, the current
    content is printed and the row takes its hash, unless another row holds that hash
    (or takes it while this one renders): this row is then obsolete, it is deleted and
    that other row is returned (its own task renders it). A READY row is returned
    unchanged, and so is the row if a concurrent render of it finished first.

    Side effects: writes the PDF through the default storage under an ASCII name such as
    ``documents/2020/01/quito-2020-<session-slug>-agenda-<hash12>.pdf``; saves ``file``,
    ``content_hash``, ``status``, ``error`` and ``render_seconds`` (wall-clock seconds of
    HTML and PDF rendering, from ``time.perf_counter``); deletes the older documents of
    the same subject. That final write is one transaction holding the row's lock; the
    files of deleted rows are removed from storage after it commits (by the
    ``post_delete`` receiver in ``sessions_app.signals``).

    Errors: an exception while rendering (template or WeasyPrint) is logged and stored
    as FAILED with a short message, and the FAILED row is returned; database errors
    propagate (the task retries the transient ones). Raises
    ``GeneratedDocument.DoesNotExist`` if the row is gone, before or during the render
    (its new file is then removed).
    """
    document = GeneratedDocument.objects.select_related("forum", "session").get(pk=document_id)
    if document.status == GeneratedDocument.Status.READY:
        return document
    content = _load_content(forum=document.forum, session_id=document.session_id)
    started = time.perf_counter()
    try:
        html = _render_html(document.forum, content)
    except Exception as error:
        return _store_failed(document, error)
    content_hash = _content_hash(html)
    if content_hash != document.content_hash:
        current = _subject_documents(document).filter(content_hash=content_hash).first()
        if current is not None:
            return _supersede(document, current)
    try:
        pdf_bytes = pdf.html_to_pdf(html)
    except Exception as error:
        return _store_failed(document, error)
    render_seconds = time.perf_counter() - started
    document.file.save(_storage_name(document, content_hash), ContentFile(pdf_bytes), save=False)
    try:
        return _store_ready(document, content_hash=content_hash, render_seconds=render_seconds)
    except IntegrityError:
        document.file.delete(save=False)
        return _supersede(document, _subject_documents(document).get(content_hash=content_hash))
    except GeneratedDocument.DoesNotExist:
        document.file.delete(save=False)
        raise


def _store_ready(document: GeneratedDocument, *, content_hash: str, render_seconds: float) -> GeneratedDocument:
    """Save ``document`` as READY with its new file, then drop the subject's older documents.

    One transaction that locks the row first: ``DoesNotExist`` if it was deleted
    meanwhile; if a concurrent render already made it READY, that result is kept and
    the new file removed after commit. ``IntegrityError`` means a concurrent request
    took ``content_hash`` first. Older rows are deleted in the transaction (their files
    go after commit, see ``sessions_app.signals``).
    """
    with transaction.atomic():
        locked = GeneratedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == GeneratedDocument.Status.READY:
            transaction.on_commit(partial(document.file.storage.delete, document.file.name))
            return locked
        document.content_hash = content_hash
        document.status = GeneratedDocument.Status.READY
        document.error = ""
        document.render_seconds = render_seconds
        document.save(update_fields=["file", "content_hash", "status", "error", "render_seconds", "updated_at"])
        _subject_documents(document).filter(pk__lt=document.pk).delete()
    logger.info("Document %s (%s) ready in %.2f s.", document.pk, document.kind, render_seconds)
    return document


def _store_failed(document: GeneratedDocument, error: Exception) -> GeneratedDocument:
    """Log ``error`` with its traceback and save ``document`` as FAILED with a short message."""
    # The worker must survive a document it cannot print: record why and carry on.
    logger.error("Rendering document %s (%s) failed.", document.pk, document.kind, exc_info=error)
    document.status = GeneratedDocument.Status.FAILED
    document.error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    document.save(update_fields=["status", "error", "updated_at"])
    return document


def _supersede(document: GeneratedDocument, current: GeneratedDocument) -> GeneratedDocument:
    """Delete ``document`` (no file yet), whose content is now printed by ``current``; return ``current``."""
    logger.info("Document %s is superseded by document %s (same current content).", document.pk, current.pk)
    GeneratedDocument.objects.filter(pk=document.pk).delete()
    return current


def _subject_documents(document: GeneratedDocument) -> QuerySet[GeneratedDocument]:
    """The other documents of the same kind for the same session (or forum programme)."""
    same = Q(session_id=document.session_id) if document.session_id else Q(forum_id=document.forum_id)
    return GeneratedDocument.objects.filter(same, kind=document.kind).exclude(pk=document.pk)


def _current_html(*, forum: Forum, session_id: int | None) -> str:
    """The HTML that the session's agenda (or, without ``session_id``, the forum's programme) prints now."""
    return _render_html(forum, _load_content(forum=forum, session_id=session_id))


def _load_content(*, forum: Forum, session_id: int | None) -> Session | list[Session]:
    """What a document prints, loaded in a fixed number of queries.

    The session ``session_id`` as ``for_session_page`` loads it, or without it the
    forum's sessions loaded the same way, in programme order.
    """
    if session_id is not None:
        return Session.objects.for_session_page().get(pk=session_id)
    return list(Session.objects.filter(forum=forum).for_session_page().order_by("start", "theme__order", "title"))


def _render_html(forum: Forum, content: Session | list[Session]) -> str:
    """The HTML of the agenda of ``content`` (a session) or of ``forum``'s programme (a list)."""
    if isinstance(content, Session):
        return pdf.render_session_agenda_html(content)
    return pdf.render_programme_html(forum, content)


def _content_hash(html: str) -> str:
    """SHA-256 hex digest of ``html`` encoded as UTF-8."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def _storage_name(document: GeneratedDocument, content_hash: str) -> str:
    """An ASCII file name for the PDF: slugs of the forum and session, kind and hash prefix.

    At most 78 characters, so that with ``upload_to`` ("documents/YYYY/MM/", 18) it fits
    the field's 100 and the storage never truncates it.
    """
    kind = "agenda" if document.session_id else "programme"
    subject = f"{document.forum.slug} {document.session.slug}" if document.session_id else document.forum.slug
    stem = slugify(subject)[: STORAGE_STEM_LENGTH - len(kind) - 1].strip("-")
    return f"{stem}-{kind}-{content_hash[:12]}.pdf"


def _queue_render(document_id: int) -> None:
    """Send the render task for ``document_id`` (called on commit)."""
    from sessions_app.tasks import document_render_task  # tasks.py imports this module

    document_render_task.delay(document_id)
