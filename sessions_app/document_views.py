"""PDF downloads of a forum's programme, its sessions' agendas and their recommendations
documents, and its outcome document, and their status pages.

Each printed subject has one stable URL: ``<forum>/programme.pdf``,
``<forum>/sessions/<slug>/agenda.pdf``, ``<forum>/sessions/<slug>/recommendations.pdf``
and ``<forum>/outcome.pdf``.
A GET never waits on WeasyPrint: it asks ``services.document_request`` for the document
of the current content and sends the stored file if it is ready, or redirects to that
document's status page. A POST retries the current document when rendering failed, has
been queued too long or is stuck.

Finding the current document means rendering the subject's HTML and hashing it, which
takes seconds for a large programme, so which ready document prints a subject's
current content is kept in the shared cache (``forum.caching``, dropped with every
change of the data): a repeated GET then reads that row and sends its file. A ready
PDF carries an ``ETag`` (of its content hash, language and file) and ``Last-Modified``
(when its render was stored), with ``Cache-Control: no-cache`` (``private`` too for a
signed-in visitor, who may be reading a draft); a conditional GET that matches them
gets a 304 without the file being opened.

A document row can be deleted while a visitor waits on it (superseded by the document of
a newer edit, or replaced), but the subject's URL always resolves to the current
document. So the status page (``<subject URL>/status/<pk>/``) refreshes itself to the
subject's URL (its script, which asks the page itself for news, goes there once the page
redirects), its download link and retry form point there too, and a status URL whose
document is gone (a reload, the Back button, a bookmark, the script) redirects there.

With the Celery broker unreachable (``forum.tasking``), a GET that needs a new render
still answers as usual: the row is stored QUEUED and its task is not sent (no 500). Its
status page then says that the PDF will be prepared as soon as the service is back,
answering 202 Accepted (taken, to be done later) with ``Retry-After`` and refreshing
itself every ``BROKER_DOWN_REFRESH_SECONDS`` instead of every ``STATUS_REFRESH_SECONDS``.
Browsers show it and follow its refresh as they do a 200; a 503 would do the same, but
Django logs every 5xx response as an error, once per refresh of every waiting visitor,
and proxies may swap a 5xx page for their own. The outage itself is logged by
``forum.tasking`` and reported by ``/healthz`` (503). Celery beat's
``requeue_stuck_documents`` queues the row again once the broker is back, and the page's
Retry button appears after ``QUEUED_RETRY_AFTER`` as for any row queued too long.

Every view answers 404 unless the forum is published and, for a session's document, the
session is one of its sessions. A recommendations document answers 404 if the session
has none; once published anyone may download it (unless its session was added since
the latest release), before that only the session's rapporteurs and the organizers
(``recommendation_services.is_rapporteur`` / ``is_organizer``), and 404 to anyone else,
so a draft's existence is not disclosed.
The outcome document, which prints only published documents, is open to anyone and
answers 404 while the forum has none.
"""

import hashlib
import re
import unicodedata
from datetime import timedelta
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic.base import TemplateResponseMixin

from forum import caching, tasking
from forum.models import Forum
from sessions_app.models import GeneratedDocument, Session
from sessions_app.published import shown_to
from sessions_app.recommendation_services import is_organizer, is_rapporteur
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.services import document_language, document_request, document_retry, is_stuck

STATUS_REFRESH_SECONDS = 2
# While the broker is down nothing changes for a while: refresh less often.
BROKER_DOWN_REFRESH_SECONDS = 30
# A render takes seconds; a row still queued after this long has probably lost its
# task message (e.g. a broker restart), so its status page offers a retry.
QUEUED_RETRY_AFTER = timedelta(minutes=2)
# Bytes of a download file name in UTF-8, ".pdf" included (file systems allow 255).
FILENAME_MAX_BYTES = 150

_FILENAME_RESERVED = re.compile(r'[/\\:*?"<>|]+')

Kind = GeneratedDocument.Kind
# URL names of each kind's download and status page.
_URL_NAMES = {
    Kind.PROGRAMME: ("documents:programme-pdf", "documents:document-status"),
    Kind.SESSION_AGENDA: ("documents:session-agenda-pdf", "documents:document-status"),
    Kind.RECOMMENDATIONS: ("documents:recommendations-pdf", "documents:recommendations-status"),
    Kind.OUTCOME: ("documents:outcome-pdf", "documents:outcome-status"),
}


class SubjectMixin:
    """Looks up the printed subject of the URL, answering 404 if there is none.

    ``self.forum`` is the published forum ``forum_slug``; ``self.session`` is its session
    ``session_slug`` (for an agenda, one in the released programme unless the user is
    staff: ``published``), or ``None`` without ``session_slug`` (the programme). ``self.kind``
    is the document's kind: the view's ``kind`` (``as_view(kind=…)``), by default the
    agenda with a session and the programme without. For ``RECOMMENDATIONS`` the session
    must have a recommendations document that the user may read (``may_read_recommendations``);
    for ``OUTCOME`` the forum must have a published one (``has_outcome_document``).
    """

    kind: str | None = None

    def dispatch(self, request, *args, **kwargs):
        self.forum = get_object_or_404(Forum, slug=kwargs["forum_slug"], is_published=True)
        session_slug = kwargs.get("session_slug")
        self.session = get_object_or_404(self.forum.sessions, slug=session_slug) if session_slug else None
        self.kind = self.kind or (Kind.SESSION_AGENDA if self.session else Kind.PROGRAMME)
        if self.kind == Kind.SESSION_AGENDA and not shown_to(request.user, self.session):
            raise Http404("This session is not in the released programme yet.")
        if self.kind == Kind.RECOMMENDATIONS:
            document = get_object_or_404(RecommendationsDocument, session=self.session)
            document.session = self.session
            if not may_read_recommendations(request.user, document):
                raise Http404("No recommendations document to show.")
        if self.kind == Kind.OUTCOME and not has_outcome_document(self.forum):
            raise Http404("No recommendations document has been published yet.")
        return super().dispatch(request, *args, **kwargs)


def may_read_recommendations(user, document: RecommendationsDocument) -> bool:
    """Whether ``user`` may read ``document``: its session's rapporteurs and the organizers
    always; anyone else once it is published and its session is one ``user`` sees
    (``published.shown_to``: a session added since the latest release stays hidden)."""
    if document.status == RecommendationsDocument.Status.PUBLISHED and shown_to(user, document.session):
        return True
    return is_organizer(user) or is_rapporteur(user, document.session)


def has_outcome_document(forum: Forum) -> bool:
    """Whether ``forum`` has an outcome document: at least one published recommendations document."""
    return RecommendationsDocument.objects.filter(
        session__forum=forum, status=RecommendationsDocument.Status.PUBLISHED
    ).exists()


class SubjectPdfView(SubjectMixin, View):
    """A printed subject's URL. GET: the current PDF, or a redirect to its status page.

    POST: queue the current document again if its status page offers a retry (see
    ``retry_offered``), then redirect to its status page.
    """

    def dispatch(self, request, *args, **kwargs):
        # Read before the subject's rows (see ``current_document``).
        self.generation = caching.generation()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return _file_or_status(request, self.current_document())

    def post(self, request, *args, **kwargs) -> HttpResponse:
        document = self.get_document()
        if retry_offered(document):
            document = document_retry(document=document)
        return HttpResponseRedirect(_status_url(document))

    def get_document(self) -> GeneratedDocument:
        """The document of the subject's current content (``services.document_request``)."""
        return document_request(forum=self.forum, session=self.session, kind=self.kind)

    def current_document(self) -> GeneratedDocument:
        """``get_document``, without rendering the subject's HTML when the shared cache
        knows which ready document prints its current content in the active language.

        That document is used if its row is still READY and its file is in storage (one
        query, one storage check); otherwise, and on a cache miss, ``get_document``
        decides, and its answer is remembered if READY. The generation is read in
        ``dispatch``, before the forum and session are (see ``forum.caching``), so an
        answer built from rows older than a change is never remembered past it.
        """
        current = self.generation
        session_id = self.session.pk if self.session else ""
        name = f"document:{self.kind}:{self.forum.pk}:{session_id}:{document_language()}"
        document_id = caching.get(name, current)
        if document_id is not None:
            document = GeneratedDocument.objects.filter(pk=document_id).first()
            if document is not None and document.has_pdf():
                document.forum, document.session = self.forum, self.session
                return document
        document = self.get_document()
        if document.status == GeneratedDocument.Status.READY:
            caching.put(name, document.pk, current)
        return document


@method_decorator(never_cache, name="dispatch")
class DocumentStatusView(SubjectMixin, TemplateResponseMixin, View):
    """Where document ``pk`` stands: queued or rendering (refreshes itself, with a progress bar
    and, while rendering, the seconds since the render started), ready (download) or
    failed (retry). The page refreshes itself by script, without reloading
    (``static/js/live-update.js``, which fetches this same view every
    ``refresh_seconds``); without script, by a meta refresh inside ``<noscript>``. No
    ``Refresh`` header, which a browser would follow even with script. Queued while the
    broker is unreachable (``tasking.broker_available``): the PDF will be prepared once the
    service is back, with status 202 and ``Retry-After`` (see the module docstring).

    Refreshes, downloads and retries go to the subject's URL, and so does a redirect
    (302) if the subject has no document ``pk`` (see the module docstring).
    """

    template_name = "documents/status.html"

    def get(self, request, *args, **kwargs) -> HttpResponse:
        url = subject_url(self.forum, self.session, self.kind)
        document = GeneratedDocument.objects.filter(
            forum=self.forum, session=self.session, kind=self.kind, pk=kwargs["pk"]
        ).first()
        if document is None:
            return HttpResponseRedirect(url)
        in_progress = document.status in (GeneratedDocument.Status.QUEUED, GeneratedDocument.Status.RENDERING)
        broker_down = document.status == GeneratedDocument.Status.QUEUED and not tasking.broker_available()
        # A retry could not be queued either; the page keeps refreshing until the broker is back.
        offer_retry = retry_offered(document) and not broker_down
        # Once a retry is offered the page stops refreshing, so the button stays under the cursor.
        refreshing = in_progress and not offer_retry
        refresh_seconds = BROKER_DOWN_REFRESH_SECONDS if broker_down else STATUS_REFRESH_SECONDS
        response = self.render_to_response(
            {
                "forum": self.forum,
                "document": document,
                "subject_title": subject_title(self.forum, self.session, self.kind),
                "subject_url": url,
                "refresh_seconds": refresh_seconds,
                "in_progress": in_progress,
                "refreshing": refreshing,
                "broker_down": broker_down,
                "rendering_seconds": _rendering_seconds(document),
                "offer_retry": offer_retry,
            },
            status=202 if broker_down else 200,
        )
        if broker_down:
            response["Retry-After"] = str(refresh_seconds)
        return response


def retry_offered(document: GeneratedDocument) -> bool:
    """Whether ``document`` may be queued again: it failed, has been queued for longer than
    ``QUEUED_RETRY_AFTER``, or is stuck rendering (``services.is_stuck``)."""
    if document.status == GeneratedDocument.Status.FAILED or is_stuck(document):
        return True
    return document.status == GeneratedDocument.Status.QUEUED and (
        timezone.now() - document.updated_at > QUEUED_RETRY_AFTER
    )


def _rendering_seconds(document: GeneratedDocument) -> int | None:
    """Whole seconds since ``document``'s render started, if it is RENDERING with a start time; else None."""
    if document.status != GeneratedDocument.Status.RENDERING or document.render_started_at is None:
        return None
    return max(0, int((timezone.now() - document.render_started_at).total_seconds()))


def subject_url(forum: Forum, session: Session | None, kind: str) -> str:
    """The stable URL of a printed subject: ``session``'s ``agenda.pdf`` or ``recommendations.pdf``
    (by ``kind``), or ``forum``'s ``programme.pdf`` or ``outcome.pdf``."""
    return reverse(_URL_NAMES[kind][0], kwargs=_subject_kwargs(forum, session))


def _subject_kwargs(forum: Forum, session: Session | None) -> dict[str, str]:
    """The URL arguments naming a printed subject: ``forum_slug``, and ``session_slug`` for a session's document."""
    if session is not None:
        return {"forum_slug": forum.slug, "session_slug": session.slug}
    return {"forum_slug": forum.slug}


def _file_or_status(request, document: GeneratedDocument) -> HttpResponse:
    """The PDF as an attachment if ``document`` is ready, else a 302 to its status page.

    A ready PDF carries ``document_etag`` and ``Last-Modified`` (its ``updated_at``,
    when it became READY); a GET whose ``If-None-Match`` or ``If-Modified-Since``
    matches them gets a 304 without the file being opened
    (https://docs.djangoproject.com/en/5.2/topics/conditional-view-processing/).
    ``Cache-Control: no-cache`` makes clients revalidate, since the URL's content
    changes; ``private`` too for a signed-in visitor.
    """
    if document.status != GeneratedDocument.Status.READY:
        return HttpResponseRedirect(_status_url(document))
    etag, last_modified = document_etag(document), int(document.updated_at.timestamp())  # HTTP dates: whole seconds
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = pdf_attachment(document)
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, no_cache=True)
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


def pdf_attachment(document: GeneratedDocument) -> FileResponse:
    """The stored PDF of a ready ``document`` as an attachment named after its subject
    (``subject_title``, ``content_disposition``); its ``forum`` and ``session`` are read."""
    response = FileResponse(document.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        subject_title(document.forum, document.session, document.kind)
    )
    return response


def document_etag(document: GeneratedDocument) -> str:
    """A strong ``ETag`` (quoted) of a ready ``document``: a digest of its content hash,
    its language and its file's name, so that a forced re-render (a new file of the
    same content) gets a new one too."""
    digest = hashlib.sha256(f"{document.content_hash}:{document.language}:{document.file.name}".encode())
    return quote_etag(digest.hexdigest()[:40])


def _status_url(document: GeneratedDocument) -> str:
    """The status page of ``document``, under its subject's URL."""
    kwargs = _subject_kwargs(document.forum, document.session) | {"pk": document.pk}
    return reverse(_URL_NAMES[document.kind][1], kwargs=kwargs)


def subject_title(forum: Forum, session: Session | None, kind: str | None = None) -> str:
    """What a document prints, e.g. "Agenda — <session title>", "Recommendations — <session
    title>", "Programme — <forum title>" or "Outcome document — <forum title>". ``kind``
    defaults to the agenda with a ``session`` and the programme without. In the active language."""
    if kind == Kind.OUTCOME:
        return _("Outcome document — %(forum)s") % {"forum": forum.title}
    if kind == Kind.RECOMMENDATIONS:
        return _("Recommendations — %(session)s") % {"session": session.title}
    if session is not None:
        return _("Agenda — %(session)s") % {"session": session.title}
    return _("Programme — %(forum)s") % {"forum": forum.title}


def content_disposition(title: str) -> str:
    """The ``Content-Disposition`` value that downloads a PDF named after ``title`` (RFC 6266).

    ``attachment; filename="<ascii_filename>"; filename*=UTF-8''<download_filename,
    percent-encoded>`` (RFC 8187): browsers use the UTF-8 name, older clients the
    ASCII one. The value is pure ASCII.
    """
    encoded = quote(download_filename(title), safe="")
    return f"attachment; filename=\"{ascii_filename(title)}\"; filename*=UTF-8''{encoded}"


def download_filename(title: str) -> str:
    """A file name for ``title`` + ".pdf" that keeps its letters, accents and emoji.

    Turns path separators and characters that file systems reserve into "-", control,
    format (e.g. a right-to-left override) and separator characters into spaces,
    collapses spaces, and cuts the name to at most ``FILENAME_MAX_BYTES`` bytes of UTF-8
    (".pdf" included) on a character boundary. "document.pdf" if nothing is left.
    """
    text = "".join(
        " " if unicodedata.category(char)[0] in "CZ" else char for char in unicodedata.normalize("NFC", title)
    )
    text = " ".join(_FILENAME_RESERVED.sub("-", text).split())
    stem = text.encode()[: FILENAME_MAX_BYTES - len(".pdf")].decode("utf-8", "ignore").strip(" .-")
    return f"{stem or 'document'}.pdf"


def ascii_filename(title: str) -> str:
    """``download_filename`` in ASCII, the fallback for clients that ignore ``filename*``.

    Accents are dropped ("Garcés" → "Garces"), dashes become "-", other non-ASCII
    characters (emoji, other scripts) are left out. Never contains ``"`` or ``\\``, so
    it can be sent as a quoted string.
    """
    simplified = "".join(_ascii_equivalent(char) for char in unicodedata.normalize("NFKD", title))
    return download_filename(simplified.encode("ascii", "ignore").decode("ascii"))


def _ascii_equivalent(char: str) -> str:
    """A dash as "-", a control, format or separator character as a space, any other ``char`` as it is."""
    category = unicodedata.category(char)
    if category == "Pd":
        return "-"
    return " " if category[0] in "CZ" else char
