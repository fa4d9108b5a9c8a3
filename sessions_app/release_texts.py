"""The changes of a programme release in words, for the changelog page, its Atom feed, the
organizers' confirmation page and the participants' e-mails.

Sentences are in the active language; times, stored in UTC in the release
(``sessions_app.release_services``), are shown in the forum's time zone with Django's
localized date formatting, e.g. "Moved: Wed 22 January 14:00–16:30 → 15:00–17:30,
Room A → Room B".
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from forum.models import Forum
from sessions_app.models import Session
from sessions_app.release_services import Change
from sessions_app.releases import ProgrammeRelease

DAY_FORMAT = pgettext_lazy("programme change day, Django date format", "D j F")
"""A session's day in a change, e.g. "Wed 22 January"."""


@dataclass
class SessionChanges:
    """What changed in one session: its ``title`` (in the active language while the
    session exists), ``url`` (its page, None once deleted) and one sentence per change."""

    guid: str
    title: str
    url: str | None = None
    lines: list[str] = field(default_factory=list)


@dataclass
class ReleaseEntry:
    """A release as the changelog shows it: its number, time, note and changed sessions."""

    number: int
    released_at: datetime
    note: str
    sessions: list[SessionChanges]

    @property
    def change_count(self) -> int:
        """How many changes the release lists."""
        return sum(len(session.lines) for session in self.sessions)


def describe(change: dict, zone: tzinfo) -> str:
    """One change (a dict of ``ProgrammeRelease.changes``) as a sentence, times in ``zone``."""
    before, after = change["before"], change["after"]
    match change["kind"]:
        case Change.ADDED:
            sentence = _("Added: %(when)s, %(room)s") % {
                "when": _span(after["start"], after["end"], zone),
                "room": _room(after["room"]),
            }
            return f"{sentence} ({_('cancelled')})" if after["cancelled"] else sentence
        case Change.REMOVED:
            return _("Removed from the programme")
        case Change.MOVED:
            parts = []
            if (before["start"], before["end"]) != (after["start"], after["end"]):
                same_day = _local(before["start"], zone).date() == _local(after["start"], zone).date()
                new_time = _span(after["start"], after["end"], zone, with_day=not same_day)
                parts.append(f"{_span(before['start'], before['end'], zone)} → {new_time}")
            if before["room"] != after["room"]:
                parts.append(f"{_room(before['room'])} → {_room(after['room'])}")
            return _("Moved: %(change)s") % {"change": ", ".join(parts)}
        case Change.CANCELLED:
            return _("Cancelled")
        case Change.REINSTATED:
            return _("No longer cancelled: it takes place as planned")
        case Change.RETITLED:
            return _("Retitled: “%(before)s” → “%(after)s”") % {"before": before["title"], "after": after["title"]}
        case Change.SPEAKERS:
            joined = [f"+ {name}" for name in after["speakers"] if name not in before["speakers"]]
            left = [f"− {name}" for name in before["speakers"] if name not in after["speakers"]]
            return _("Speakers: %(change)s") % {"change": ", ".join(joined + left)}
    raise ValueError(f"Unknown change kind {change['kind']!r}.")


def session_changes(changes: Iterable[dict], zone: tzinfo, sessions: dict[str, Session]) -> list[SessionChanges]:
    """``changes`` grouped by session in their order, each with its sentences (times in
    ``zone``). ``sessions`` maps guids (strings) to the sessions that still exist (with
    their forum's slug known), for their current title and page URL."""
    groups: dict[str, SessionChanges] = {}
    for change in changes:
        guid = change["guid"]
        group = groups.get(guid)
        if group is None:
            session = sessions.get(guid)
            group = groups[guid] = SessionChanges(
                guid=guid,
                title=session.title if session else change["title"],
                url=_session_url(session) if session else None,
            )
        group.lines.append(describe(change, zone))
    return list(groups.values())


def forum_sessions(forum: Forum) -> dict[str, Session]:
    """``forum``'s current sessions by guid (string), in one query, to name and link the
    sessions of its releases."""
    sessions = {}
    for session in Session.objects.filter(forum=forum).only("guid", "slug", "title", "forum_id"):
        session.forum = forum
        sessions[str(session.guid)] = session
    return sessions


def release_entries(releases: Iterable[ProgrammeRelease], forum: Forum) -> list[ReleaseEntry]:
    """``releases`` of ``forum`` as changelog entries, in their order (one query)."""
    sessions = forum_sessions(forum)
    return [
        ReleaseEntry(
            number=release.number,
            released_at=release.released_at,
            note=release.note,
            sessions=session_changes(release.changes, forum.tzinfo, sessions),
        )
        for release in releases
    ]


def _session_url(session: Session) -> str:
    return reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def _local(moment: str, zone: tzinfo) -> datetime:
    """``moment`` (ISO 8601 in UTC, as stored) as an aware datetime in ``zone``."""
    return datetime.fromisoformat(moment).astimezone(zone)


def _span(start: str, end: str, zone: tzinfo, *, with_day: bool = True) -> str:
    """The local times of ``start``–``end`` in ``zone``, after the day unless ``with_day`` is False."""
    local_start, local_end = _local(start, zone), _local(end, zone)
    times = f"{date_format(local_start, 'H:i')}–{date_format(local_end, 'H:i')}"
    if not with_day:
        return times
    return _("%(day)s %(times)s") % {"day": date_format(local_start, DAY_FORMAT), "times": times}


def _room(name: str | None) -> str:
    return name or _("room to be announced")
