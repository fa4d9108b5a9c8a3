"""The programme PDF, timed in-process: the project's render as a Celery worker runs it, and
its floor, WeasyPrint alone on the same HTML.

The project's render is ``sessions_app.services.document_render`` (what the task
``sessions_app.document_render`` calls): claim the row, load the content (queries), render
the HTML (templates), WeasyPrint, write the file to storage, mark it READY. Further runs
re-render the READY document the way the admin's "regenerate" does
(``document_retry(force=True)``). The document is asked for first with
``services.document_request``, as the download view does (a few queries, the HTML and
its hash, the row); that time is reported apart.

The floor renders the very HTML the document was printed from (checked by its SHA-256,
the document's ``content_hash``) with WeasyPrint's own defaults: ``weasyprint.HTML(string=…,
base_url=…).write_pdf(pdf_variant=…)`` with the same PDF variant (tagged PDF/UA, a
WeasyPrint option) and the same stylesheet, whose link is pointed at the file on disk
because the project's URL fetcher (``sessions_app.pdf.StaticFilesFetcher``) is left out.
Both PDFs must have the same number of pages.
"""

import hashlib
import io
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pypdf
import weasyprint
from django.contrib.staticfiles import finders
from django.utils import translation

from forum.models import Forum
from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument, Session
from sessions_app.published import public_schedule

STYLESHEET_LINK = re.compile(r'href="/static/(?P<path>[^"?]+)(?:\?[^"]*)?"')


@dataclass
class PdfResult:
    """Seconds of the programme PDF's request, renders and WeasyPrint floor runs, and its pages."""

    document_id: int
    pages: int
    request_seconds: float
    render_seconds: list[float]
    weasyprint_seconds: list[float]

    @property
    def render_median(self) -> float:
        """Median seconds of the project's render."""
        return statistics.median(self.render_seconds)

    @property
    def weasyprint_median(self) -> float:
        """Median seconds of WeasyPrint alone."""
        return statistics.median(self.weasyprint_seconds)

    def as_dict(self) -> dict:
        """The figures as a JSON-ready dict."""
        return asdict(self) | {"render_median": self.render_median, "weasyprint_median": self.weasyprint_median}


def programme_html(forum: Forum) -> str:
    """The HTML the programme document prints (English): the released schedule's sessions,
    loaded for the page, in programme order, through ``pdf.render_programme_html``."""
    with translation.override("en"):
        sessions = Session.objects.filter(forum=forum).for_session_page().order_by("start", "theme__order", "title")
        return pdf.render_programme_html(forum, public_schedule(forum).apply(sessions))


def standalone(html: str) -> tuple[str, str]:
    """``html`` with its stylesheet link pointed at the static file on disk, and the base URL
    (a ``file://`` folder) to render it with, for WeasyPrint without the project's fetcher.

    Raises ``LookupError`` if the HTML links no static stylesheet or the file is not found.
    """
    match = STYLESHEET_LINK.search(html)
    found = finders.find(match["path"]) if match else None
    if not isinstance(found, str):
        raise LookupError("The programme's HTML links no static stylesheet the finders know.")
    path = Path(found)
    return html[: match.start()] + f'href="{path.as_uri()}"' + html[match.end() :], path.parent.as_uri() + "/"


def measure_programme_pdf(forum: Forum, repeat: int) -> PdfResult:
    """Render ``forum``'s English programme PDF ``repeat`` times as a worker does and
    WeasyPrint alone ``repeat`` times on the same HTML, in turns (so that a change in the
    machine's load weighs on both alike); the document stays READY.

    Raises ``RuntimeError`` if a render does not end READY, the HTML is not the document's,
    or the two PDFs' page counts differ.
    """
    started = time.perf_counter()
    document = services.document_request(forum=forum, kind=GeneratedDocument.Kind.PROGRAMME, language="en")
    request_seconds = time.perf_counter() - started
    html = programme_html(forum)
    if hashlib.sha256(html.encode()).hexdigest() != document.content_hash:
        raise RuntimeError("The programme HTML rebuilt here is not the one the document is printed from.")
    floor_html, base_url = standalone(html)
    renders, floor_runs = [], []
    for run in range(repeat):
        if run:
            document = services.document_retry(document=document, force=True)
        started = time.perf_counter()
        document = services.document_render(document_id=document.pk)
        renders.append(time.perf_counter() - started)
        if document.status != GeneratedDocument.Status.READY:
            raise RuntimeError(f"The programme PDF ended {document.status}: {document.error}")
        started = time.perf_counter()
        floor_pdf = weasyprint.HTML(string=floor_html, base_url=base_url).write_pdf(pdf_variant=pdf.PDF_UA)
        floor_runs.append(time.perf_counter() - started)
    with document.file.open("rb") as stored:
        pages = len(pypdf.PdfReader(stored).pages)
    floor_pages = len(pypdf.PdfReader(io.BytesIO(floor_pdf)).pages)
    if pages != floor_pages:
        raise RuntimeError(f"The project's PDF has {pages} pages, WeasyPrint's alone {floor_pages}.")
    return PdfResult(document.pk, pages, request_seconds, renders, floor_runs)
