"""Plain text made safe for machine-read formats (XML, Atom, iCalendar).

Organizers and imported files can put characters in texts that XML 1.0 forbids or
RFC 5545 calls control characters; a page shows them harmlessly, but an XML writer
raises on them and a calendar app may refuse the file. Output that must parse strips them.
"""

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")
"""C0 and C1 control characters and DEL except tab, line feed and carriage return, the
noncharacters of the Basic Multilingual Plane and lone surrogates: what XML 1.0 cannot
hold (W3C XML 1.0 §2.2, "Char") or discourages, and what RFC 5545 §3.3.11 excludes from TEXT."""


def without_controls(text: str) -> str:
    """``text`` without ``CONTROL_CHARACTERS``; everything else, line breaks included, kept."""
    return CONTROL_CHARACTERS.sub("", text)
