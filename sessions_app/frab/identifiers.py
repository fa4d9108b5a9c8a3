"""The identifiers and vocabularies that the frab export and import agree on.

Rules from the c3voc schemas (``../shared/schemas/schedule.schema.json``): the conference
``acronym`` matches ``^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$``; event slugs match
``^[a-z0-9_-]+[a-z0-9]$`` (and ``[a-z0-9_]{4,}-[a-z0-9\\-_]{4,}``, the XSD's
``voc-slug-new``); event and person guids are UUIDs.
"""

import re
import uuid

from django.utils.text import slugify

from sessions_app.models import Session

GUID_NAMESPACE = "urn:x-forum-frab"
"""Prefix of the names from which ``uuid5`` guids are derived (in ``uuid.NAMESPACE_URL``)."""

EVENT_TYPES = {Session.Kind.PLENARY: "plenary", Session.Kind.PARALLEL: "parallel"}
"""The event ``type`` exported for each session kind (frab types are free text)."""

PLENARY_TYPE_WORDS = ("plenary", "keynote", "plenaria", "plenario", "plenum")
"""An imported event whose ``type`` contains one of these words (any case) is a plenary;
every other type ("lecture", "Talk", "Workshop", …) is a parallel session."""

_NOT_ACRONYM = re.compile(r"[^a-z0-9_]")
_NOT_EVENT_SLUG = re.compile(r"[^a-z0-9_-]")
MIN_ACRONYM_LENGTH = 4
MIN_SLUG_PART_LENGTH = 4


def acronym_for_slug(forum_slug: str) -> str:
    """The conference acronym of the forum with slug ``forum_slug``: lower-cased, hyphens
    (and any other character outside ``[a-z0-9_]``) as underscores, padded with
    underscores to the schema's four characters ("quito-2020" → "quito_2020", "q" → "q___")."""
    return _NOT_ACRONYM.sub("_", forum_slug.lower()).ljust(MIN_ACRONYM_LENGTH, "_")


def slug_for_acronym(acronym: str) -> str:
    """The forum slug an import uses for conference ``acronym``, the inverse of
    ``acronym_for_slug``: slugified, lower-cased, underscores as hyphens, outer hyphens
    dropped, at most 100 characters ("quito_2020" → "quito-2020", "Camp2019" → "camp2019").
    Empty when the acronym has no letter or digit."""
    return slugify(acronym).lower().replace("_", "-").strip("-")[:100].strip("-")


def event_slug(acronym: str, session_slug: str) -> str:
    """The exported slug of a session: ``<acronym>-<session slug>``, lower-cased, characters
    outside ``[a-z0-9_-]`` as hyphens, no trailing ``-``/``_``; a session slug shorter than
    four characters is prefixed with ``session-`` to fit ``voc-slug-new``."""
    part = _NOT_EVENT_SLUG.sub("-", session_slug.lower()).strip("-_")
    if len(part) < MIN_SLUG_PART_LENGTH:
        part = f"session-{part}".strip("-")
    return f"{acronym}-{part}"


def session_slug_from_event(slug: str, *, acronym: str, event_id: str) -> str:
    """The part of an event slug that names the session: without the leading
    ``<acronym>-`` and then ``<id>-`` that frab and pretalx put in front
    ("Camp2019-10386-opening_ceremony" → "opening_ceremony"), as ``event_slug`` writes
    them back. Case-insensitive; the rest is returned as given."""
    rest = slug.strip()
    prefix = f"{acronym.lower()}-"
    if acronym and rest.lower().startswith(prefix):
        rest = rest[len(prefix) :]
    if event_id and rest.startswith(f"{event_id}-"):
        rest = rest[len(event_id) + 1 :]
    return rest


def kind_for_type(event_type: str) -> str:
    """``Session.Kind`` for a frab event ``type`` (see ``PLENARY_TYPE_WORDS``)."""
    lowered = event_type.lower()
    if any(word in lowered for word in PLENARY_TYPE_WORDS):
        return Session.Kind.PLENARY
    return Session.Kind.PARALLEL


def derived_guid(acronym: str, kind: str, key: str) -> uuid.UUID:
    """A stable guid for a record the file gives no guid for:
    ``uuid5(NAMESPACE_URL, "urn:x-forum-frab:<acronym lower-cased>:<kind>:<key>")``,
    ``kind`` being ``person``, ``person-name`` (key: the name case-folded) or ``event``.
    (``export.room_guid`` names rooms the same way, from the forum slug.)"""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{GUID_NAMESPACE}:{acronym.lower()}:{kind}:{key}")


def derived_person_guid(acronym: str, person_id: str, name: str) -> uuid.UUID:
    """The guid of a person the file gives none for: from the person's frab ``id`` when
    there is one, else from their name case-folded (``derived_guid``)."""
    if person_id:
        return derived_guid(acronym, "person", person_id)
    return derived_guid(acronym, "person-name", " ".join(name.split()).casefold())
