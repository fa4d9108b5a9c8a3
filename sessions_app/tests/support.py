"""Test helpers: the concept note read from the shared folder, and a page's visible text.

The concept note lives beside the project, in ``../shared/seeds/`` (or in the folder
named by ``FORUM_SHARED_DIR``). Tests compare what it says with what a page shows, so
the facts are read from the source document, not copied from the seed module.
"""

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

_SUPERSCRIPTS = {"¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
_AGENDA_ITEM = re.compile(r"^(\d\d:\d\d) – (\d\d:\d\d)\t(.+)$")
_SESSION_TITLE = re.compile(r"^\d{1,2}:\d\d [ap]m - \d{1,2}:\d\d [ap]m: (.+)$")
_ROLE_PREFIX = re.compile(r"^(Facilitator|Session Rapporteur|Rapporteurship): (.+)$")


@dataclass
class AgendaEntry:
    """An agenda item as printed: times, title, and its people lines (role prefix kept apart)."""

    start: str
    end: str
    title: str
    people: list[tuple[str, str]] = field(default_factory=list)  # (role label or "", "Name, affiliation")
    participants: list[str] = field(default_factory=list)


@dataclass
class ConceptNote:
    """The facts of the Quito 2020 concept note, as printed in the shared text file."""

    heading: str
    place: str
    introduction: list[str]
    theme: str
    session_title: str
    objective: str
    organizers: list[str]
    context: list[str]
    footnotes: dict[int, str]
    methodology: str
    key_questions: list[str]
    expected_result: str
    agenda: list[AgendaEntry]


def shared_dir() -> Path:
    """``$FORUM_SHARED_DIR``, by default ``../shared`` beside the project."""
    return Path(os.environ.get("FORUM_SHARED_DIR") or Path(settings.BASE_DIR).parent / "shared")


def concept_note_path() -> Path:
    """``seeds/quito-2020-concept-note.txt`` in ``shared_dir``."""
    return shared_dir() / "seeds" / "quito-2020-concept-note.txt"


def _between(lines: list[str], start: str, end: str) -> list[str]:
    first = lines.index(start) + 1
    last = next(i for i in range(first, len(lines)) if lines[i].startswith(end))
    return [line for line in lines[first:last] if line.strip()]


def printed_person(line: str) -> str:
    """A person line of the agenda with the seed's documented corrections applied.

    The seed stores the rapporteur printed "David David Khoudour" as David Khoudour and
    drops the full stops after affiliations (``sessions_app/seeds/quito_2020.py``).
    """
    return line.strip().removesuffix(".").replace("David David Khoudour", "David Khoudour")


def load_concept_note() -> ConceptNote:
    """Parse the concept note; skip the calling test if the shared folder is not there."""
    path = concept_note_path()
    if not path.exists():
        pytest.skip(f"the concept note is not at {path} (set FORUM_SHARED_DIR to the shared folder)")
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()]
    nonblank = [line for line in lines if line.strip()]
    footnotes = {_SUPERSCRIPTS[line[0]]: line[1:].strip() for line in nonblank if line[:1] in _SUPERSCRIPTS}
    theme_line = next(line for line in nonblank if line.startswith("Parallel sessions: "))
    intro_start = nonblank.index(next(line for line in nonblank if line.startswith("January 22")))
    agenda: list[AgendaEntry] = []
    in_participants = False
    for line in lines[lines.index("Session Agenda") + 1 :]:
        if match := _AGENDA_ITEM.match(line):
            agenda.append(AgendaEntry(*match.groups()))
            in_participants = False
        elif line.startswith("\t") and line.strip():
            text = line.strip()
            if text == "Participants:":
                in_participants = True
            elif in_participants:
                agenda[-1].participants.append(printed_person(text))
            elif role := _ROLE_PREFIX.match(text):
                agenda[-1].people.append((role.group(1), printed_person(role.group(2))))
            else:
                agenda[-1].people.append(("", printed_person(text)))
    return ConceptNote(
        heading=nonblank[0],
        place=nonblank[1],
        introduction=nonblank[intro_start + 1 : nonblank.index(theme_line)],
        theme=theme_line.removeprefix("Parallel sessions: "),
        session_title=next(m.group(1) for line in nonblank if (m := _SESSION_TITLE.match(line))),
        objective=" ".join(_between(lines, "Session Objective", "Organizers")),
        organizers=[line.removeprefix("- ") for line in _between(lines, "Organizers", "Context and justification")],
        context=[
            line
            for line in _between(lines, "Context and justification", "Session Methodology")
            if line[:1] not in _SUPERSCRIPTS
        ],
        footnotes=footnotes,
        methodology=" ".join(_between(lines, "Session Methodology", "Key Questions")),
        key_questions=[
            re.sub(r"^- \d+\. ", "", line)
            for line in _between(lines, "Key Questions", "Result:")
            if line.startswith("- ")
        ],
        expected_result=next(line for line in nonblank if line.startswith("Result: ")).removeprefix("Result: "),
        agenda=agenda,
    )


def without_footnote_markers(text: str) -> str:
    """``text`` of the concept note without its superscript footnote markers (¹ ² ³)."""
    return re.sub(r"\s?[¹²³⁴⁵⁶⁷⁸⁹]", "", text)


class _TextExtractor(HTMLParser):
    _INLINE = {"a", "abbr", "b", "em", "i", "small", "span", "strong", "sup", "time"}
    _SKIPPED = {"script", "style", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag not in self._INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self._SKIPPED:
            self._skipping -= 1
        elif tag not in self._INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def page_text(html: str | bytes, *, footnote_markers: bool = True) -> str:
    """The text a reader sees in ``html``: tags removed, entities unescaped, whitespace collapsed.

    Block elements separate words; inline ones (links, spans, ``sup``) do not. With
    ``footnote_markers=False`` the footnote superscripts are left out, to compare prose.
    """
    if isinstance(html, bytes):
        html = html.decode()
    if not footnote_markers:
        html = re.sub(r'<sup class="footnote-ref">.*?</sup>', "", html, flags=re.S)
    extractor = _TextExtractor()
    extractor.feed(html)
    return " ".join("".join(extractor.parts).split())


def element_html(html: str | bytes, element_id: str) -> str:
    """The HTML of the ``<tr>``, ``<section>`` or ``<div>`` whose ``id`` is ``element_id`` (not nested)."""
    if isinstance(html, bytes):
        html = html.decode()
    match = re.search(rf'<(tr|section|div|li)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>.*?</\1>', html, flags=re.S)
    assert match, f"no element with id {element_id!r} on the page"
    return match.group(0)


def client_for(user) -> Client:
    """A test client signed in as ``user`` (no password, no e-mail check)."""
    client = Client()
    client.force_login(user)
    return client
