"""Hostile inputs for the forms of the site, and the checks that one landed harmlessly.

``HOSTILE_INPUTS`` is the list the tests push through every form (``test_hostile_inputs``):
markup and script payloads, SQL-looking strings, very long strings, emoji and right-to-left
names, invisible and control characters, spreadsheet formulas, paths and URLs, header
injection, look-alike characters, template syntax and JSON-breaking text. Each entry is a
``HostileInput``: a name (the test ids and failure messages use it), the string, and what
it tries. None depends on the database.

The helpers read a response the way an attacker hopes a browser would:
``injected_markup`` lists script, event-handler, ``javascript:`` and style payloads that
reached the HTML as markup; ``form_values`` reads a form as a browser would submit it
unchanged; ``shown_as_text`` tells whether a stored value reads as plain text on a page.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from sessions_app.tests.support import page_text


@dataclass(frozen=True)
class HostileInput:
    """One hostile string: ``name`` (an identifier), ``value`` and ``tries`` (what it attempts)."""

    name: str
    value: str
    tries: str

    def __str__(self) -> str:
        return self.name


MEGABYTE = 1024 * 1024

HOSTILE_INPUTS: tuple[HostileInput, ...] = (
    HostileInput("script_tag", '<script>alert("xss")</script>', "a script element"),
    HostileInput("script_mixed_case", "<ScRiPt>alert(1)</sCrIpT>", "a script element past a case-sensitive filter"),
    HostileInput("script_split", "<scr<script>ipt>alert(1)</script>", "a script rebuilt by a filter that removes once"),
    HostileInput("img_onerror", "<img src=x onerror=alert(1)>", "an event handler on an image"),
    HostileInput("svg_onload", "<svg onload=alert(1)>", "an event handler on inline SVG"),
    HostileInput("javascript_link", '<a href="javascript:alert(1)">click</a>', "a javascript: link"),
    HostileInput("javascript_url", "javascript:alert(1)", "a javascript: URL where an address is expected"),
    HostileInput("style_element", "<style>body{display:none}</style>", "a style sheet hiding the page"),
    HostileInput(
        "style_attribute",
        '<div style="background:url(javascript:alert(1))">styled</div>',
        "a style attribute with a javascript: URL",
    ),
    HostileInput("iframe", '<iframe src="https://evil.example/"></iframe>', "an embedded page"),
    HostileInput("attribute_breakout", '"><script>alert(1)</script>', "leaving an attribute, then a script"),
    HostileInput("attribute_breakout_single", "'><img src=x onerror=alert(1)>", "leaving a single-quoted attribute"),
    HostileInput("entity_encoded_script", "&lt;script&gt;alert(1)&lt;/script&gt;", "markup behind entities"),
    HostileInput("html_comment", "<!-- hidden -->shown", "an HTML comment"),
    HostileInput("sql_or", "' OR 1=1 --", "an always-true SQL condition"),
    HostileInput("sql_drop", "Robert'); DROP TABLE registration_registration;--", "a second SQL statement"),
    HostileInput("sql_union", "1 UNION SELECT password FROM forum_user --", "reading another table"),
    HostileInput("long_10k", "Migración " * 1000, "10,000 characters"),
    HostileInput("huge_1mb", "A" * MEGABYTE, "a megabyte in one field"),
    HostileInput("emoji_zwj", "Ana 👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏿", "emoji with skin tones and zero-width-joiner sequences"),
    HostileInput("arabic_name", "فاطمة الزهراء", "a right-to-left name (Arabic)"),
    HostileInput("hebrew_name", "דוד כהן", "a right-to-left name (Hebrew)"),
    HostileInput("rlo_override", "invoice\u202etxt.exe", "a right-to-left override disguising text"),
    HostileInput("zero_width", "Ana\u200bPérez\u200d\u2060", "zero-width space, joiner and word joiner"),
    HostileInput("null_byte", "Ana\x00Pérez", "a NUL character (PostgreSQL refuses it in text)"),
    HostileInput("control_characters", "bell\x07back\x08escape\x1b[31mred", "control characters and an ANSI escape"),
    HostileInput("formula_hyperlink", '=HYPERLINK("http://evil.example","click")', "a spreadsheet formula"),
    HostileInput("formula_plus", "+1", "a formula starting with +"),
    HostileInput("formula_minus", "-2+3", "a formula starting with -"),
    HostileInput("formula_at", "@SUM(A1)", "a formula starting with @"),
    HostileInput("formula_dde", "=cmd|' /C calc'!A0", "a DDE command"),
    HostileInput("path_traversal", "../../etc/passwd", "a path out of a directory"),
    HostileInput("file_url", "file:///etc/passwd", "a local file URL"),
    HostileInput("crlf_header", "a\r\nBcc: x@evil.example", "a header injected with a line break"),
    HostileInput("long_email", "a" * 250 + "@example.org", "an e-mail address longer than 254 characters"),
    HostileInput("percent_encoded", "%3Cscript%3Ealert(1)%3C%2Fscript%3E%00", "markup and NUL percent-encoded"),
    HostileInput("fullwidth_markup", "＜script＞alert(1)＜/script＞", "markup in full-width look-alikes"),
    HostileInput("homoglyph_email", "аdmin@exаmple.org", "an address with Cyrillic look-alike letters"),
    HostileInput("template_syntax", "{{ 7*7 }} {% debug %} ${7*7}", "template and expression syntax"),
    HostileInput("json_breaking", '"}]}\\u0000{"', "text that closes a JSON document"),
    HostileInput("footnote_markers", "See [^1] and [^999].", "footnote markers without references"),
    HostileInput("whitespace_only", " \t \u00a0 ", "a value that is only blanks"),
    HostileInput("plain_specials", "Migrants & refugees: 5 < 7 > 3", "plain text with & < > (kept as typed)"),
)
"""The hostile inputs, in a fixed order; names are unique."""

MARKUP_CHARACTERS = frozenset('<>"')
"""Characters that could end an element or an attribute: a value holding one must never
appear raw in HTML (Django escapes them as ``&lt;``, ``&gt;``, ``&quot;``)."""

EMBEDDING_TAGS = frozenset({"iframe", "object", "embed", "frame", "frameset", "applet"})
"""Elements the site's own pages never contain: one on a page came from a payload."""

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"})
"""Attributes a browser follows or loads: a ``javascript:`` URL there runs."""

_JAVASCRIPT_URL = re.compile(r"^[\s\x00-\x20]*j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:", re.I)


class _MarkupScanner(HTMLParser):
    """Collects the markup of ``injected_markup``'s list found in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self.found.append("inline <script>")
        if tag in EMBEDDING_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"event handler {name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value and _JAVASCRIPT_URL.match(value):
                self.found.append(f"javascript: URL in {name}= of <{tag}>")
            if name == "style" and value and "javascript" in value.lower():
                self.found.append(f"javascript in style= of <{tag}>")
        self._open = tag if tag in ("style", "script") else None

    def handle_data(self, data):
        if self._open == "style" and "display:none" in data.replace(" ", ""):
            self.found.append("a <style> from content")
        if self._open == "script" and "alert(" in data:
            self.found.append("alert( inside <script>")

    def handle_endtag(self, tag):
        self._open = None


def injected_markup(html: str | bytes) -> list[str]:
    """What in ``html`` is a payload that reached the page as markup: an inline ``<script>``,
    an embedding element (``EMBEDDING_TAGS``), an ``on…=`` event handler, a ``javascript:``
    URL in an attribute a browser follows (``URL_ATTRIBUTES``), a style attribute naming
    javascript or a ``<style>`` hiding the page. An empty list means none; the site's own
    pages have none of these."""
    if isinstance(html, bytes):
        html = html.decode()
    scanner = _MarkupScanner()
    scanner.feed(html)
    return scanner.found


def raw_in_page(html: str | bytes, value: str) -> bool:
    """True if ``value`` holds a character of ``MARKUP_CHARACTERS`` and stands in ``html``
    unescaped, i.e. it reached the page as markup rather than as text."""
    if isinstance(html, bytes):
        html = html.decode()
    return bool(MARKUP_CHARACTERS & set(value)) and value in html


def shown_as_text(html: str | bytes, value: str) -> bool:
    """True if ``value`` (blanks collapsed) reads as text on the page ``html``: the page,
    tags removed and entities decoded, contains it, which it cannot if it were markup."""
    return " ".join(value.split()) in page_text(html)


class _FormReader(HTMLParser):
    """Reads the fields of the form with ``id`` (or the first form) as a browser submits them."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.done = False
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._multiple = False
        self._option: dict | None = None
        self._textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.done:
            self.inside = self.form_id is None or attributes.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name and "disabled" not in attributes:
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.add(name, attributes.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and name and "disabled" not in attributes:
            self._select, self._select_first, self._select_chosen = name, None, False
            self._multiple = "multiple" in attributes
        elif tag == "option" and self._select:
            value = attributes.get("value")
            self._option = {"value": value, "text": "", "selected": "selected" in attributes}
        elif tag == "textarea" and name and "disabled" not in attributes:
            self._textarea = name
            self.add(name, "")

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "option" and self._option is not None:
            option, self._option = self._option, None
            value = option["value"] if option["value"] is not None else option["text"].strip()
            if self._select_first is None:
                self._select_first = value
            if option["selected"]:
                self.add(self._select, value)
                self._select_chosen = True
        elif tag == "select" and self._select:
            if not self._select_chosen and not self._multiple and self._select_first is not None:
                self.add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one line break that may follow <textarea>.
            text = self.values[self._textarea][-1]
            self.values[self._textarea][-1] = text[1:] if text.startswith("\n") else text
            self._textarea = None


def form_values(html: str | bytes, form_id: str | None = None) -> dict[str, list[str]]:
    """The values a browser would submit from the form ``form_id`` (the first form if None)
    of ``html`` when nothing is changed: text, hidden and number inputs, ticked checkboxes
    and radio buttons, each select's selected options (the first option of a single select
    with none selected) and textareas; buttons, file inputs and disabled fields are left
    out. Maps each name to its values in page order (a ``dict`` of lists, as
    ``Client.post`` takes)."""
    if isinstance(html, bytes):
        html = html.decode()
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.values
