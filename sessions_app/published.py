"""What the public sees of a forum's schedule: the programme as of its latest release.

Before a forum's first release its programme is public as it stands. From the first
release on, organizers keep editing while the public pages, calendars, schedule exports
and PDFs show the *schedule* of the latest release (``ProgrammeRelease.snapshot``):
which sessions there are, their start and end, their room and whether they are
cancelled. A session added since is not shown until the next release; a session moved,
re-roomed or cancelled since keeps its released time, room and status. Texts (titles,
objectives, agendas, key questions) are shown as they are now: a release fixes when and
where things happen, not their wording. A session deleted since is gone at once: its
row, and so its texts, no longer exist.

Staff who may change sessions (``sees_working_programme``) see the working programme on
the site, as a preview, told that the public sees the latest release; other staff, such as
a registration desk with only registration permissions, see what the public sees.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.db.models.fields.json import KeyTransform

from forum.models import Forum, Room
from sessions_app.models import Session
from sessions_app.releases import ProgrammeRelease


@dataclass
class PublicSchedule:
    """A forum's schedule as its visitor sees it.

    ``release`` is the latest release, or None before the first one (then nothing is
    overlaid); ``preview`` is True for staff once the forum has a release: they see
    the working programme (``apply`` then changes nothing).
    """

    forum: Forum
    release: ProgrammeRelease | None = None
    preview: bool = False
    entries: dict[str, dict] | None = None
    """The release's snapshot entries read, when only some were (``session_schedule``);
    None when the whole snapshot was (``release.snapshot``)."""
    _rooms: dict[str, Room] | None = field(default=None, repr=False)

    @property
    def _snapshot(self) -> dict[str, dict]:
        return self.entries if self.entries is not None else self.release.snapshot

    def room_named(self, name: str) -> Room:
        """The forum's room called ``name`` (its rooms read in one query, the first time),
        or an unsaved ``Room`` of that name if there is none any more."""
        if self._rooms is None:
            self._rooms = {room.name: room for room in Room.objects.filter(forum=self.forum)}
        return self._rooms.get(name) or Room(forum=self.forum, name=name)

    @property
    def overlays(self) -> bool:
        """True when sessions are shown as released rather than as they stand."""
        return self.release is not None and not self.preview

    @property
    def version(self) -> int:
        """The number of the release shown, 0 before the first (and for staff's preview, the latest)."""
        return self.release.number if self.release is not None else 0

    def sessions_shown(self, path: str = "") -> Q:
        """A filter keeping the rows whose session, reached by ``path`` (e.g.
        ``"agenda_item__session__"`` from a speaker role), this visitor sees: every row
        unless ``overlays``, else those of the sessions the release holds."""
        if not self.overlays:
            return Q()
        return Q(**{f"{path}guid__in": list(self._snapshot)})

    def shows(self, session: Session) -> bool:
        """True if ``session`` is in what this visitor sees (always, unless it was added after the release)."""
        return not self.overlays or str(session.guid) in self._snapshot

    def apply(self, sessions: Iterable[Session]) -> list[Session]:
        """``sessions`` as this visitor sees them, in start order (a stable sort, so the
        given order holds among sessions starting together).

        When ``overlays``: drops the sessions the release does not hold and sets, on the
        given instances, ``start``, ``end`` (aware, UTC), ``is_cancelled`` and ``room``
        (``room_named`` the released name, read only for a session whose room changed
        since; None if it had none). The instances are for
        display: never save them. Otherwise returns ``sessions`` as a list, unchanged.
        """
        sessions = list(sessions)
        if not self.overlays:
            return sessions
        shown = []
        for session in sessions:
            facts = self._snapshot.get(str(session.guid))
            if facts is None:
                continue
            session.start = datetime.fromisoformat(facts["start"])
            session.end = datetime.fromisoformat(facts["end"])
            session.is_cancelled = facts["cancelled"]
            room_name = facts["room"]
            current = session.room.name if session.room_id else None
            if room_name != current:
                session.room = self.room_named(room_name) if room_name else None
            shown.append(session)
        shown.sort(key=lambda session: session.start)
        return shown


def sees_working_programme(user) -> bool:
    """Whether ``user`` (None: an anonymous visitor, a feed or a PDF) sees the working
    programme rather than the latest release: active staff with the change permission on
    sessions (superusers have it), who edit the programme and release it. Staff without it
    (e.g. a registration desk) see the release, like the public. Reads the user's
    permissions once per user object (``has_perm`` caches them)."""
    return user is not None and user.is_staff and user.has_perm("sessions_app.change_session")


def public_schedule(forum: Forum, user=None) -> PublicSchedule:
    """The schedule of ``forum`` that ``user`` (None: an anonymous visitor, a feed or a
    PDF) sees: the latest release's, or the working programme for those who
    ``sees_working_programme`` and for a forum never released. One query (the latest
    release), and the user's permissions once; ``apply`` may read the forum's rooms once."""
    releases = ProgrammeRelease.objects.filter(forum=forum).defer("changes").order_by("-number")
    if sees_working_programme(user):
        release = releases.defer("snapshot").first()
        return PublicSchedule(forum=forum, release=release, preview=release is not None)
    return PublicSchedule(forum=forum, release=releases.first())


def session_schedule(session: Session, user=None) -> PublicSchedule:
    """What ``public_schedule(session.forum, user)`` gives, for a page or a check about
    ``session`` alone, in one query that reads the latest release without its snapshot (a
    300-session snapshot is about 80 KB of JSON) but with ``session``'s entry of it (a key
    transform, https://docs.djangoproject.com/en/5.2/topics/db/queries/#key-index-and-path-transforms).

    The schedule's ``entries`` hold that one entry, or none if the release does not hold
    the session, so ``shows`` and ``apply`` answer for ``session`` exactly as the full
    schedule would; use it for no other session. Those who ``sees_working_programme`` get
    ``public_schedule``'s preview.
    """
    if sees_working_programme(user):
        return public_schedule(session.forum, user)
    guid = str(session.guid)
    release = (
        ProgrammeRelease.objects.filter(forum_id=session.forum_id)
        .defer("changes", "snapshot")
        .annotate(session_facts=KeyTransform(guid, "snapshot"))
        .order_by("-number")
        .first()
    )
    if release is None:
        return PublicSchedule(forum=session.forum)
    entries = {guid: release.session_facts} if release.session_facts is not None else {}
    return PublicSchedule(forum=session.forum, release=release, entries=entries)


def shown_to(user, session: Session) -> bool:
    """Whether ``user`` (None: anonymous) sees ``session`` of its forum, in one small query
    (``session_schedule``): those who ``sees_working_programme`` see every session; before
    the first release, everyone does."""
    return session_schedule(session, user).shows(session)
