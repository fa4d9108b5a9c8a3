"""Writes of the sessions app: generated PDF documents (programme, session agenda,
session recommendations, outcome document).

A ``GeneratedDocument`` row stands for one PDF of one subject (a forum's programme, a
session's agenda, a session's recommendations document or a forum's outcome document)
rendered from one version of its content, identified by the
SHA-256 of the HTML it prints. Requests never wait on WeasyPrint: ``document_request``
returns the stored document or queues its rendering (Celery task
``sessions_app.document_render``) after the transaction commits; ``document_render``
runs in the worker.

A row's status moves QUEUED → RENDERING → READY or FAILED. A worker claims a row by
setting it RENDERING with ``render_started_at`` in one conditional UPDATE, so two
workers never render the same row at once. A row RENDERING for longer than
``STALE_RENDER_SECONDS`` was left by a worker that died (or was killed at the task's
hard time limit): it counts as stuck, another worker may claim it, and
``document_request``, ``document_retry`` and ``requeue_stuck_documents`` queue it again.
"""

import hashlib
import logging
import time
from datetime import datetime, timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import slugify

from forum import tasking
from forum.models import Forum
from sessions_app import pdf
from sessions_app.models import GeneratedDocument, Session
from sessions_app.published import public_schedule
from sessions_app.recommendations import Recommendation, RecommendationsDocument

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 500
# + "-" + 12 hex digits + ".pdf" = 70 characters; a storage that keeps an existing file of
# that name (a re-render of the same content) appends "_" + 7 characters: 78 at most.
STORAGE_STEM_LENGTH = 53
RENDER_SOFT_TIME_LIMIT_SECONDS = 120
"""Seconds after which the render task is interrupted and its document stored FAILED."""
RENDER_TIME_LIMIT_SECONDS = 150
"""Seconds after which the worker process running the render task is killed."""
STALE_RENDER_SECONDS = 2 * RENDER_TIME_LIMIT_SECONDS
"""Seconds after which a row still RENDERING is stuck: no live worker can still be rendering it."""


def document_request(
    *,
    forum: Forum,
    session: Session | None = None,
    kind: GeneratedDocument.Kind | None = None,
    language: str | None = None,
) -> GeneratedDocument:
    """The document of ``kind`` for its subject's current content, printed in ``language``.

    ``language`` is a code of ``settings.LANGUAGES`` ("en", "es"; a variant such as
    "es-ec" counts as "es"); by default the active language (the page's URL prefix).
    Interface words, dates and the content's translated fields are printed in it, each
    content field falling back to the other language where it has no translation. Each
    language has its own documents.

    ``kind`` defaults to ``session``'s agenda, or without ``session`` to ``forum``'s
    programme; ``RECOMMENDATIONS`` prints ``session``'s recommendations document, which
    must exist (else ``RecommendationsDocument.DoesNotExist``); ``OUTCOME`` (without
    ``session``) gathers ``forum``'s published recommendations documents, so publishing,
    editing or withdrawing any of them changes its hash.

    Renders the current HTML (a few queries, no PDF) and hashes it. Returns, in order:
    the READY document with that hash (if its file has gone from storage, it is set
    QUEUED and queued again); else the existing QUEUED, RENDERING or FAILED row with that
    hash (a stuck RENDERING one, see ``is_stuck``, is set QUEUED and queued again; a
    FAILED one is not: see ``document_retry``); else a new QUEUED row,
    whose rendering is queued with ``transaction.on_commit`` (so a worker never looks
    for a row that is not committed; outside a transaction it is queued at once, and
    with eager Celery rendered before this returns, the returned instance then being
    stale). Concurrent requests for the same content share one row: the insert runs in
    its own savepoint and an ``IntegrityError`` from the unique constraints falls back
    to reading the row the other request created.
    """
    if kind is None:
        kind = GeneratedDocument.Kind.SESSION_AGENDA if session else GeneratedDocument.Kind.PROGRAMME
    language = document_language(language)
    with translation.override(language):
        content = _load_content(forum=forum, session_id=session.pk if session else None, kind=kind)
        content_hash = _content_hash(_render_html(forum, kind, content))
    subject = {"forum": forum, "session": session, "kind": kind, "language": language, "content_hash": content_hash}
    ready = GeneratedDocument.objects.filter(status=GeneratedDocument.Status.READY, **subject).first()
    if ready is not None:
        if ready.has_pdf():
            return ready
        return _requeue(ready)
    try:
        with transaction.atomic():
            document, created = GeneratedDocument.objects.get_or_create(**subject)
    except IntegrityError:
        document, created = GeneratedDocument.objects.get(**subject), False
    if created:
        transaction.on_commit(partial(_queue_render, document.pk))
    elif is_stuck(document):
        return _requeue(document)
    return document


def document_language(language: str | None = None) -> str:
    """The code of ``settings.LANGUAGES`` that documents asked for in ``language`` are printed in.

    ``None`` means the active language. Raises ``LookupError`` for a language the site
    does not offer.
    """
    return translation.get_supported_language_variant(language or translation.get_language() or "en")


def document_retry(*, document: GeneratedDocument, force: bool = False) -> GeneratedDocument:
    """Queue ``document`` for rendering again and return it.

    Sets it QUEUED with no error and no ``render_started_at``, saves those fields and
    queues the render task with ``transaction.on_commit``. That is done for a FAILED or
    QUEUED document, a stuck RENDERING one (``is_stuck``) and, with ``force=True`` (the
    admin's "regenerate"), a READY one too: its render then replaces the file even if
    the content is unchanged. Otherwise (READY without ``force``, or RENDERING by a live
    worker) ``document`` is returned unchanged and nothing is queued. The render re-reads
    the current content, so an edit made since is printed too.
    """
    Status = GeneratedDocument.Status
    if document.status == Status.RENDERING and not is_stuck(document):
        return document
    if document.status == Status.READY and not force:
        return document
    return _requeue(document)


def requeue_stuck_documents() -> int:
    """Queue every stuck document for rendering again; return how many.

    Stuck: RENDERING by a worker that died (``is_stuck``), or QUEUED for more than
    ``STALE_RENDER_SECONDS`` (its task message was lost, e.g. a broker restart; a
    duplicate message is harmless, since a render claims its row first).
    Meant to run periodically (``manage.py requeue_stuck_documents`` from cron or Celery
    beat). The rows are locked, set QUEUED with no error and no ``render_started_at`` in
    one transaction, and their render tasks are sent after it commits.
    """
    cutoff = timezone.now() - timedelta(seconds=STALE_RENDER_SECONDS)
    lost = Q(status=GeneratedDocument.Status.QUEUED, updated_at__lt=cutoff)
    with transaction.atomic():
        stuck = list(
            GeneratedDocument.objects.select_for_update().filter(_stuck_renders() | lost).values_list("pk", flat=True)
        )
        GeneratedDocument.objects.filter(pk__in=stuck).update(
            status=GeneratedDocument.Status.QUEUED, error="", render_started_at=None, updated_at=timezone.now()
        )
        for document_id in stuck:
            transaction.on_commit(partial(_queue_render, document_id))
    if stuck:
        logger.warning("Re-queued %d stuck document render(s): %s.", len(stuck), stuck)
    return len(stuck)


def is_stuck(document: GeneratedDocument, *, now: datetime | None = None) -> bool:
    """Whether ``document`` is RENDERING since more than ``STALE_RENDER_SECONDS`` before ``now``
    (default: the current time), i.e. its worker died; a RENDERING row without a start time
    counts as stuck too."""
    if document.status != GeneratedDocument.Status.RENDERING:
        return False
    started = document.render_started_at
    return started is None or started < (now or timezone.now()) - timedelta(seconds=STALE_RENDER_SECONDS)


def _stuck_renders(now: datetime | None = None) -> Q:
    """The condition of ``is_stuck`` as a filter on ``GeneratedDocument`` rows."""
    cutoff = (now or timezone.now()) - timedelta(seconds=STALE_RENDER_SECONDS)
    return Q(status=GeneratedDocument.Status.RENDERING) & (
        Q(render_started_at__isnull=True) | Q(render_started_at__lt=cutoff)
    )


def _requeue(document: GeneratedDocument) -> GeneratedDocument:
    """Set ``document`` QUEUED with no error and no start time, and queue its render on commit."""
    document.status = GeneratedDocument.Status.QUEUED
    document.error = ""
    document.render_started_at = None
    document.save(update_fields=["status", "error", "render_started_at", "updated_at"])
    transaction.on_commit(partial(_queue_render, document.pk))
    return document


def document_render(*, document_id: int) -> GeneratedDocument:
    """Render document ``document_id`` to PDF, store the file and mark it READY (run by the task).

    First claims the row: one conditional UPDATE sets it RENDERING with
    ``render_started_at`` = now, only if it is QUEUED or stuck (``is_stuck``); in the
    worker (autocommit) that is committed before WeasyPrint starts. A row that cannot be
    claimed (READY, FAILED, or RENDERING by another live worker) is returned unchanged,
    without rendering.

    Re-reads the subject's current content. If it changed since the request, the current
    content is printed and the row takes its hash, unless another row holds that hash
    (or takes it while this one renders): this row is then obsolete, it is deleted and
    that other row is returned (its own task renders it). If a concurrent render of the
    row (one that claimed it as stuck) finished first, its result is kept.

    Side effects: writes the PDF through the default storage under an ASCII name such as
    ``documents/2020/01/quito-2020-<session-slug>-agenda-<hash12>.pdf``; saves ``file``,
    ``content_hash``, ``status``, ``error`` and ``render_seconds`` (wall-clock seconds of
    HTML and PDF rendering, from ``time.perf_counter``); deletes the older documents of
    the same subject. That final write is one transaction holding the row's lock; the
    row's previous file (a forced re-render) and the files of deleted rows are removed
    from storage after it commits (the latter by the ``post_delete`` receiver in
    ``sessions_app.signals``).

    Errors: an exception while rendering (template or WeasyPrint) is logged and stored
    as FAILED with a short message, and so is ``SoftTimeLimitExceeded`` (the task's soft
    time limit) anywhere in the render; the FAILED row is returned. Database errors
    propagate (the task retries the transient ones) after the row is set QUEUED again,
    so that the retry can claim it. Raises ``GeneratedDocument.DoesNotExist`` if the row
    is gone, before or during the render (its new file is then removed).
    """
    claimed = _claim(document_id)
    document = GeneratedDocument.objects.select_related("forum", "session").get(pk=document_id)
    if not claimed:
        logger.info("Document %s is %s; not rendering it.", document_id, document.status)
        return document
    try:
        return _render_claimed(document)
    except SoftTimeLimitExceeded as error:
        return _store_failed(document, error)
    except DatabaseError:
        _release(document)
        raise


def _claim(document_id: int) -> bool:
    """Set row ``document_id`` RENDERING since now if it is QUEUED or stuck; True if it was."""
    now = timezone.now()
    claimable = Q(status=GeneratedDocument.Status.QUEUED) | _stuck_renders(now)
    return bool(
        GeneratedDocument.objects.filter(claimable, pk=document_id).update(
            status=GeneratedDocument.Status.RENDERING, render_started_at=now, error="", updated_at=now
        )
    )


def _release(document: GeneratedDocument) -> None:
    """Set ``document`` QUEUED again if it is still RENDERING, so that a retry of the task can claim it.

    A database error here is logged and swallowed (the caller is already propagating
    one): the row then stays RENDERING until it is stuck and queued again.
    """
    try:
        GeneratedDocument.objects.filter(pk=document.pk, status=GeneratedDocument.Status.RENDERING).update(
            status=GeneratedDocument.Status.QUEUED, render_started_at=None, updated_at=timezone.now()
        )
    except DatabaseError:
        logger.exception("Could not set document %s queued again after a database error.", document.pk)


def _render_claimed(document: GeneratedDocument) -> GeneratedDocument:
    """Render ``document`` (claimed RENDERING by this worker) in its language and store it; see ``document_render``."""
    with translation.override(document.language):
        return _render_claimed_in_language(document)


def _render_claimed_in_language(document: GeneratedDocument) -> GeneratedDocument:
    """``_render_claimed`` with the document's language active."""
    try:
        content = _load_content(forum=document.forum, session_id=document.session_id, kind=document.kind)
    except RecommendationsDocument.DoesNotExist as error:
        return _store_failed(document, error)
    started = time.perf_counter()
    try:
        html = _render_html(document.forum, document.kind, content)
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
    except (GeneratedDocument.DoesNotExist, SoftTimeLimitExceeded):
        document.file.delete(save=False)
        raise


def _store_ready(document: GeneratedDocument, *, content_hash: str, render_seconds: float) -> GeneratedDocument:
    """Save ``document`` as READY with its new file, then drop the subject's older documents.

    One transaction that locks the row first: ``DoesNotExist`` if it was deleted
    meanwhile; if a concurrent render already made it READY, that result is kept and
    the new file removed after commit. ``IntegrityError`` means a concurrent request
    took ``content_hash`` first. The row's previous file, if it had one under another
    name (a forced re-render), is removed after commit; older rows are deleted in the
    transaction (their files go after commit, see ``sessions_app.signals``).
    """
    storage = document.file.storage
    with transaction.atomic():
        locked = GeneratedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == GeneratedDocument.Status.READY:
            transaction.on_commit(partial(storage.delete, document.file.name))
            return locked
        if locked.file and locked.file.name != document.file.name:
            transaction.on_commit(partial(storage.delete, locked.file.name))
        document.content_hash = content_hash
        document.status = GeneratedDocument.Status.READY
        document.error = ""
        document.render_seconds = render_seconds
        document.save(update_fields=["file", "content_hash", "status", "error", "render_seconds", "updated_at"])
        _subject_documents(document).filter(pk__lt=document.pk).delete()
    logger.info("Document %s (%s) ready in %.2f s.", document.pk, document.kind, render_seconds)
    return document


def _store_failed(document: GeneratedDocument, error: Exception) -> GeneratedDocument:
    """Log ``error`` with its traceback and save ``document`` as FAILED with a short message
    (at most ``ERROR_MAX_LENGTH`` characters; for ``SoftTimeLimitExceeded``, the time limit)."""
    # The worker must survive a document it cannot print: record why and carry on.
    logger.error("Rendering document %s (%s) failed.", document.pk, document.kind, exc_info=error)
    document.status = GeneratedDocument.Status.FAILED
    if isinstance(error, SoftTimeLimitExceeded):
        document.error = (
            f"Rendering took longer than the time limit of {RENDER_SOFT_TIME_LIMIT_SECONDS} seconds and was stopped."
        )
    else:
        document.error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    document.save(update_fields=["status", "error", "updated_at"])
    return document


def _supersede(document: GeneratedDocument, current: GeneratedDocument) -> GeneratedDocument:
    """Delete ``document`` (no file yet), whose content is now printed by ``current``; return ``current``."""
    logger.info("Document %s is superseded by document %s (same current content).", document.pk, current.pk)
    GeneratedDocument.objects.filter(pk=document.pk).delete()
    return current


def _subject_documents(document: GeneratedDocument) -> QuerySet[GeneratedDocument]:
    """The other documents of the same kind and language for the same session (or, for a
    forum's documents, forum)."""
    same = Q(session_id=document.session_id) if document.session_id else Q(forum_id=document.forum_id)
    return GeneratedDocument.objects.filter(same, kind=document.kind, language=document.language).exclude(
        pk=document.pk
    )


Content = Session | list[Session] | RecommendationsDocument | list[RecommendationsDocument]
"""What a document prints: a session (its agenda), sessions (a programme), a
recommendations document, or a forum's published ones (its outcome document)."""


def _load_content(*, forum: Forum, session_id: int | None, kind: str) -> Content:
    """What a document of ``kind`` prints, loaded in a fixed number of queries.

    For an agenda, the session ``session_id`` as ``for_session_page`` loads it; for the
    programme, the forum's sessions loaded the same way, in programme order; both with
    the schedule of the latest release (``published.public_schedule``: the sessions it
    holds, their released times, rooms and status; an agenda of a session added since
    prints it as it stands, for staff); for
    recommendations, the session's document with ``recommendation_list`` in order and
    its ``session`` loaded as for an agenda (``RecommendationsDocument.DoesNotExist`` if
    the session has none); for the outcome document, the forum's published documents
    of the sessions the latest release holds, with their sessions loaded as for an agenda
    and their released times (8 queries however many there are; in no particular order,
    ``pdf.render_outcome_html`` orders them).
    """
    if kind == GeneratedDocument.Kind.OUTCOME:
        documents = list(
            _with_recommendation_list(
                RecommendationsDocument.objects.filter(
                    session__forum=forum, status=RecommendationsDocument.Status.PUBLISHED
                )
            )
        )
        sessions = Session.objects.for_session_page().in_bulk([document.session_id for document in documents])
        shown = {session.pk: session for session in public_schedule(forum).apply(sessions.values())}
        # A session deleted between the two queries, or added since the latest release,
        # takes its document with it.
        documents = [document for document in documents if document.session_id in shown]
        for document in documents:
            document.session = shown[document.session_id]
        return documents
    if kind == GeneratedDocument.Kind.RECOMMENDATIONS:
        document = _with_recommendation_list(RecommendationsDocument.objects).get(session_id=session_id)
        document.session = Session.objects.for_session_page().get(pk=session_id)
        return document
    schedule = public_schedule(forum)
    if session_id is not None:
        session = Session.objects.for_session_page().get(pk=session_id)
        schedule.apply([session])
        return session
    return schedule.apply(
        Session.objects.filter(forum=forum).for_session_page().order_by("start", "theme__order", "title")
    )


def _with_recommendation_list(documents: QuerySet[RecommendationsDocument]) -> QuerySet[RecommendationsDocument]:
    """``documents`` with their recommendations in order as ``recommendation_list``."""
    return documents.prefetch_related(
        Prefetch("recommendations", queryset=Recommendation.objects.order_by("order"), to_attr="recommendation_list")
    )


def _render_html(forum: Forum, kind: str, content: Content) -> str:
    """The HTML printing ``content``, a document of ``kind`` of ``forum`` as ``_load_content`` loads it."""
    if kind == GeneratedDocument.Kind.OUTCOME:
        return pdf.render_outcome_html(forum, content)
    if kind == GeneratedDocument.Kind.RECOMMENDATIONS:
        return pdf.render_recommendations_html(content)
    if kind == GeneratedDocument.Kind.SESSION_AGENDA:
        return pdf.render_session_agenda_html(content)
    return pdf.render_programme_html(forum, content)


def _content_hash(html: str) -> str:
    """SHA-256 hex digest of ``html`` encoded as UTF-8."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


_STORAGE_KIND_NAMES = {
    GeneratedDocument.Kind.PROGRAMME: "programme",
    GeneratedDocument.Kind.SESSION_AGENDA: "agenda",
    GeneratedDocument.Kind.RECOMMENDATIONS: "recommendations",
    GeneratedDocument.Kind.OUTCOME: "outcome",
}
"""The kind as ``_storage_name`` writes it in a file name."""


def _storage_name(document: GeneratedDocument, content_hash: str) -> str:
    """An ASCII file name for the PDF: slugs of the forum and session, kind ("programme",
    "agenda", "recommendations" or "outcome"), language code and hash prefix.

    At most 70 characters, so that with ``upload_to`` ("documents/YYYY/MM/", 18) and the
    "_" + 7 characters a storage appends when the name is taken (a re-render of the
    same content), it fits the field's 100 and the storage never truncates it.
    """
    kind = _STORAGE_KIND_NAMES[document.kind]
    subject = f"{document.forum.slug} {document.session.slug}" if document.session_id else document.forum.slug
    suffix = f"{kind}-{document.language}"
    stem = slugify(subject)[: STORAGE_STEM_LENGTH - len(suffix) - 1].strip("-")
    return f"{stem}-{suffix}-{content_hash[:12]}.pdf"


def _queue_render(document_id: int) -> None:
    """Send the render task for ``document_id`` (called on commit) through ``forum.tasking.publish``.

    With the broker unreachable the task is not sent and the row stays QUEUED:
    ``requeue_stuck_documents`` queues it again once it has waited ``STALE_RENDER_SECONDS``.
    """
    from sessions_app.tasks import document_render_task  # tasks.py imports this module

    tasking.publish(document_render_task, document_id)
