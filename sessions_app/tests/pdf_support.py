"""Test helpers for generated PDFs: their text as a reader would search it."""

import io
import re

from pypdf import PdfReader

from sessions_app.models import Session
from sessions_app.seeds import quito_2020


def pdf_text(pdf_bytes: bytes) -> str:
    """The text of every page of ``pdf_bytes``, normalized with ``normalize``."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return normalize(" ".join(page.extract_text() for page in reader.pages))


def normalize(text: str) -> str:
    """Collapse whitespace and line breaks after hyphens, so text wrapped across lines still matches."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def loaded_for_print(session: Session) -> Session:
    """``session`` re-read with everything its printed agenda needs (``for_session_page``)."""
    return Session.objects.for_session_page().get(pk=session.pk)


QUITO_KEY_QUESTIONS = quito_2020.SESSION["key_questions"]
