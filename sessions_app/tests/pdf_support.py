"""Test helpers for generated PDFs: their text as a reader would search it, their outline and metadata."""

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader

from forum.models import Forum
from sessions_app import services
from sessions_app.models import GeneratedDocument, Session
from sessions_app.seeds import quito_2020


def pdf_text(pdf_bytes: bytes) -> str:
    """The text of every page of ``pdf_bytes``, normalized with ``normalize``."""
    return normalize(" ".join(page_texts(pdf_bytes)))


def rendered_pdf(*, forum: Forum, session: Session | None = None, kind: str) -> bytes:
    """The PDF of ``kind`` for ``forum`` (or ``session``), requested then rendered as the
    worker does; asserts the render is READY (its error as the message otherwise)."""
    requested = services.document_request(forum=forum, session=session, kind=kind)
    document = services.document_render(document_id=requested.pk)
    assert document.status == GeneratedDocument.Status.READY, document.error
    with document.file.open("rb") as pdf_file:
        return pdf_file.read()


def page_texts(pdf_bytes: bytes) -> list[str]:
    """The text of each page of ``pdf_bytes`` in order, normalized with ``normalize``.

    pypdf reads a page's content stream in drawing order: WeasyPrint draws the page's
    content before its margin boxes, so the running header and footer come last.
    """
    return [normalize(page.extract_text()) for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


def normalize(text: str) -> str:
    """Collapse whitespace and line breaks after hyphens, so text wrapped across lines still matches."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


@dataclass
class Bookmark:
    """An entry of a PDF's outline: its title, the 1-based page it opens and its children."""

    title: str
    page: int
    children: list["Bookmark"]


def pdf_outline(pdf_bytes: bytes) -> list[Bookmark]:
    """The outline (bookmarks) of ``pdf_bytes`` as a tree of ``Bookmark``."""
    reader = PdfReader(io.BytesIO(pdf_bytes))

    def tree(entries: list) -> list[Bookmark]:
        # pypdf lists an entry's children as a list right after the entry.
        bookmarks: list[Bookmark] = []
        for entry in entries:
            if isinstance(entry, list):
                bookmarks[-1].children = tree(entry)
            else:
                bookmarks.append(Bookmark(entry.title, reader.get_destination_page_number(entry) + 1, []))
        return bookmarks

    return tree(reader.outline)


def pdf_catalog_and_info(pdf_bytes: bytes) -> tuple[dict, dict]:
    """The document catalog (``/Lang``, ``/MarkInfo``, ``/StructTreeRoot``…) and the
    information dictionary (``/Title``, ``/Author``…) of ``pdf_bytes``, resolved."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return dict(reader.trailer["/Root"].get_object()), dict(reader.metadata or {})


def loaded_for_print(session: Session) -> Session:
    """``session`` re-read with everything its printed agenda needs (``for_session_page``)."""
    return Session.objects.for_session_page().get(pk=session.pk)


QUITO_KEY_QUESTIONS = quito_2020.SESSION["key_questions"]
