"""Template filters that print concept-note text: paragraphs and footnote markers.

Load with ``{% load concept_note %}``; used by the session page and the PDF templates.
"""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_FOOTNOTE_MARKER = re.compile(r"\s?\[\^(\d+)\]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@register.filter
def paragraphs(text: str) -> SafeString:
    """Escape ``text`` and wrap each blank-line-separated paragraph in ``<p>``."""
    parts = [part.strip() for part in _PARAGRAPH_BREAK.split(text or "") if part.strip()]
    return mark_safe("".join(format_html("<p>{}</p>", part) for part in parts))


@register.filter
def footnoted(text: str, id_prefix: str = "") -> SafeString:
    """Like ``paragraphs``, and turn each ``[^N]`` marker into a superscript link to ``#{prefix}ref-N``.

    The reference list links back with ``id="{prefix}ref-N"``; each marker gets
    ``id="{prefix}refmark-N"`` (the first occurrence only, so ids stay unique).
    """
    seen: set[str] = set()

    def marker(match: re.Match) -> str:
        number = match.group(1)
        anchor = "" if number in seen else f' id="{id_prefix}refmark-{number}"'
        seen.add(number)
        return f'<sup class="footnote-ref"><a href="#{id_prefix}ref-{number}"{anchor}>{number}</a></sup>'

    parts = [part.strip() for part in _PARAGRAPH_BREAK.split(text or "") if part.strip()]
    return mark_safe("".join(f"<p>{_FOOTNOTE_MARKER.sub(marker, escape(part))}</p>" for part in parts))
