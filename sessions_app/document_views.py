"""PDF downloads of a forum's programme and its sessions' agendas, and their status pages.

A download never waits on WeasyPrint: it asks ``services.document_request`` for the
document of the current content and sends the stored file if it is ready, or redirects
to the document's status page, which refreshes itself until the file is ready and
offers a retry when rendering failed.
"""

import re
import unicodedata
from datetime import timedelta

from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView

from forum.models import Forum
from sessions_app.models import GeneratedDocument
from sessions_app.services import document_request, document_retry

STATUS_REFRESH_SECONDS = 2
# A render takes seconds; a row still pending after this long has probably lost its
# task (e.g. a worker restart), so its status page offers a retry.
PENDING_RETRY_AFTER = timedelta(minutes=2)
FILENAME_MAX_LENGTH = 150

_FILENAME_RESERVED = re.compile(r'[/\\:*?"<>|]+')


class ForumDocumentMixin:
    """Looks up the published forum of the URL's ``forum_slug`` (404 otherwise) as ``self.forum``."""

    def dispatch(self, request, *args, **kwargs):
        self.forum = get_object_or_404(Forum, slug=kwargs["forum_slug"], is_published=True)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return GeneratedDocument.objects.filter(forum=self.forum).select_related("forum", "session")


class ProgrammePdfView(ForumDocumentMixin, View):
    """The forum's programme as PDF: the file if ready, else a redirect to its status page."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return _file_or_status(document_request(forum=self.forum))


class SessionAgendaPdfView(ForumDocumentMixin, View):
    """A session's agenda as PDF: the file if ready, else a redirect to its status page."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        session = get_object_or_404(self.forum.sessions, slug=kwargs["session_slug"])
        return _file_or_status(document_request(forum=self.forum, session=session))


class DocumentDownloadView(ForumDocumentMixin, View):
    """A given document's file if ready, else a redirect to its status page."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return _file_or_status(get_object_or_404(self.get_queryset(), pk=kwargs["pk"]))


@method_decorator(never_cache, name="dispatch")
class DocumentStatusView(ForumDocumentMixin, DetailView):
    """Where a document stands: preparing (refreshes itself), ready (download) or failed (retry)."""

    template_name = "documents/status.html"
    context_object_name = "document"

    def get_context_data(self, **kwargs) -> dict:
        document = self.object
        pending = document.status == GeneratedDocument.Status.PENDING
        return super().get_context_data(
            forum=self.forum,
            subject_title=_subject_title(document),
            download_url=_document_url("documents:document-download", document),
            retry_url=_document_url("documents:document-retry", document),
            refresh_seconds=STATUS_REFRESH_SECONDS,
            offer_retry=document.status == GeneratedDocument.Status.FAILED
            or (pending and timezone.now() - document.updated_at > PENDING_RETRY_AFTER),
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        if self.object.status == GeneratedDocument.Status.PENDING:
            response["Refresh"] = str(STATUS_REFRESH_SECONDS)
        return response


class DocumentRetryView(ForumDocumentMixin, View):
    """POST: queue a failed (or stuck) document again and go back to its status page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        document = document_retry(document=get_object_or_404(self.get_queryset(), pk=kwargs["pk"]))
        return redirect(_document_url("documents:document-status", document))


def _file_or_status(document: GeneratedDocument) -> HttpResponse:
    """The PDF as an attachment if ``document`` is ready, else a 302 to its status page."""
    if document.status != GeneratedDocument.Status.READY:
        return HttpResponseRedirect(_document_url("documents:document-status", document))
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=download_filename(_subject_title(document)),
        content_type="application/pdf",
    )


def _document_url(name: str, document: GeneratedDocument) -> str:
    return reverse(name, kwargs={"forum_slug": document.forum.slug, "pk": document.pk})


def _subject_title(document: GeneratedDocument) -> str:
    """What the document prints, e.g. "Agenda — <session title>" or "Programme — <forum title>"."""
    if document.session_id:
        return f"Agenda — {document.session.title}"
    return f"Programme — {document.forum.title}"


def download_filename(title: str) -> str:
    """A file name for ``title`` + ".pdf", safe to offer in Content-Disposition.

    Keeps letters with accents (Django sends non-ASCII names as ``filename*=utf-8''…``),
    turns path separators and characters that file systems reserve into "-", drops
    control and format characters (e.g. a right-to-left override), collapses spaces
    and caps the length at ``FILENAME_MAX_LENGTH`` characters before the extension.
    """
    text = "".join(
        " " if unicodedata.category(char)[0] in "CZ" else char for char in unicodedata.normalize("NFC", title)
    )
    text = " ".join(_FILENAME_RESERVED.sub("-", text).split())
    stem = text[:FILENAME_MAX_LENGTH].strip(" .-") or "document"
    return f"{stem}.pdf"
