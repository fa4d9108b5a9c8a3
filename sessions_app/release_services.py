"""Releasing a forum's programme: snapshots, the changes between two releases, and the
e-mails to the participants of the sessions that changed.

A snapshot (``programme_snapshot``) holds each session's schedule facts, keyed by the
session's guid; times are ISO 8601 strings in UTC (the pages and e-mails show them in
the forum's zone, see ``sessions_app.release_texts``). ``diff_snapshots`` compares two
snapshots; ``release_programme`` stores the next numbered ``ProgrammeRelease`` with its
snapshot and its changes since the previous release, and writes a "session changed"
``Notification`` for each participant concerned, in one transaction.

Change kinds (``Change``), in the order they are listed for one session:

- ``added``: a session that was not in the previous release (every session of the
  first release); ``after`` holds all its facts.
- ``removed``: a session of the previous release deleted since; ``before`` holds its facts.
- ``moved``: its start, end or room changed; ``before``/``after`` hold ``start``, ``end``
  and ``room``.
- ``cancelled`` / ``reinstated``: its ``is_cancelled`` flag was set / cleared;
  ``before``/``after`` hold ``cancelled``.
- ``retitled``: its title changed; ``before``/``after`` hold ``title``.
- ``speakers``: someone joined or left its agenda; ``before``/``after`` hold ``speakers``.
  A new order of the same people is not a change.

A change to the session's kind (plenary/parallel), theme or texts is not a schedule
change: it is kept in the next snapshot but listed nowhere.

Who is e-mailed (decisions): the participants with a sign-up for a changed session,
confirmed or waitlisted (a waitlisted participant still plans to come and needs to know
of a move or a cancellation); for a changed plenary, which takes no sign-ups because
everyone attends, every CONFIRMED participant of the forum. Added and removed sessions
e-mail no one (a new session has no sign-ups yet; a deleted one has lost its sign-ups).
Each participant gets one e-mail per changed session, listing all of that session's
changes in the release (a ``Notification`` names one session).
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from forum.models import Forum, User
from registration.models import Notification, Registration, SessionSignup
from registration.services import notify
from sessions_app.models import Session, SpeakerRole
from sessions_app.releases import ProgrammeRelease

Snapshot = dict[str, dict]
"""A programme snapshot: session guid (string) → schedule facts (see ``programme_snapshot``)."""


class Change(TextChoices):
    """The kinds of change between two releases, in the order they are listed for a session."""

    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    CANCELLED = "cancelled"
    REINSTATED = "reinstated"
    RETITLED = "retitled"
    SPEAKERS = "speakers"


NOTIFYING_CHANGES = frozenset({Change.MOVED, Change.CANCELLED, Change.REINSTATED, Change.RETITLED, Change.SPEAKERS})
"""The changes that e-mail the session's participants."""

_KIND_ORDER = {kind: position for position, kind in enumerate(Change)}
_PLACE_FIELDS = ("start", "end", "room")


class ReleaseError(Exception):
    """A release the rules refuse.

    ``message`` is a sentence for the organizer (in the active language); ``code`` names
    the rule: ``no_changes`` (the programme is as last released), ``stale`` (the
    programme changed after the organizer reviewed the changes), ``concurrent`` (another
    release took the same number; nothing was stored).
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def programme_snapshot(forum: Forum) -> Snapshot:
    """Every session of ``forum``, keyed by its guid (string), with its schedule facts:

    ``title`` (in ``settings.LANGUAGE_CODE``, falling back to the other language),
    ``kind`` (``plenary``/``parallel``), ``start`` and ``end`` (ISO 8601 in UTC, e.g.
    ``"2020-01-22T19:00:00+00:00"``), ``room`` (its name, or None), ``cancelled``
    (bool) and ``speakers``: the names of the people and named groups on its agenda,
    in agenda order (item, then role), each once.

    Two queries, whatever the programme's size. Read-only.
    """
    with translation.override(settings.LANGUAGE_CODE):
        sessions = list(Session.objects.filter(forum=forum).select_related("room").order_by("start", "pk"))
        snapshot = {
            str(session.guid): {
                "title": session.title,
                "kind": session.kind,
                "start": session.start.astimezone(UTC).isoformat(),
                "end": session.end.astimezone(UTC).isoformat(),
                "room": session.room.name if session.room_id else None,
                "cancelled": session.is_cancelled,
                "speakers": [],
            }
            for session in sessions
        }
    guids = {session.pk: str(session.guid) for session in sessions}
    roles = (
        SpeakerRole.objects.filter(agenda_item__session__forum=forum)
        .select_related("person")
        .annotate(session_pk=F("agenda_item__session_id"))
        .order_by("agenda_item__session_id", "agenda_item__order", "order")
    )
    for role in roles:
        if role.session_pk not in guids:
            continue  # its session was added after the sessions were read
        speakers = snapshot[guids[role.session_pk]]["speakers"]
        if role.display_name not in speakers:
            speakers.append(role.display_name)
    return snapshot


def diff_snapshots(before: Mapping[str, dict], after: Mapping[str, dict]) -> list[dict]:
    """The changes from snapshot ``before`` to snapshot ``after`` (see the module docstring).

    Each change is a dict: ``kind`` (a ``Change``), ``guid``, ``title`` (the session's
    title in ``after``, or in ``before`` for a removed session) and ``before``/``after``
    (the facts that changed, ``{}`` on the side where the session does not exist).
    Listed by the session's start (in ``after``, else ``before``), title and guid, then
    in ``Change`` order. Pure function.
    """
    changes = []
    for guid in before.keys() | after.keys():
        old, new = before.get(guid), after.get(guid)
        if old is None:
            changes.append(_change(Change.ADDED, guid, new, {}, new))
            continue
        if new is None:
            changes.append(_change(Change.REMOVED, guid, old, old, {}))
            continue
        if any(old[name] != new[name] for name in _PLACE_FIELDS):
            changes.append(_change(Change.MOVED, guid, new, _pick(old, _PLACE_FIELDS), _pick(new, _PLACE_FIELDS)))
        if old["cancelled"] != new["cancelled"]:
            kind = Change.CANCELLED if new["cancelled"] else Change.REINSTATED
            changes.append(_change(kind, guid, new, _pick(old, ("cancelled",)), _pick(new, ("cancelled",))))
        if old["title"] != new["title"]:
            changes.append(_change(Change.RETITLED, guid, new, _pick(old, ("title",)), _pick(new, ("title",))))
        if set(old["speakers"]) != set(new["speakers"]):
            changes.append(_change(Change.SPEAKERS, guid, new, _pick(old, ("speakers",)), _pick(new, ("speakers",))))

    def order(change: dict) -> tuple:
        facts = after.get(change["guid"]) or before[change["guid"]]
        return facts["start"], facts["title"], change["guid"], _KIND_ORDER[change["kind"]]

    return sorted(changes, key=order)


def latest_release(forum: Forum) -> ProgrammeRelease | None:
    """``forum``'s release with the highest number, or None before the first release."""
    return ProgrammeRelease.objects.filter(forum=forum).order_by("-number").first()


def published_releases(forum: Forum) -> QuerySet[ProgrammeRelease]:
    """``forum``'s releases, newest first, without their snapshots (what the changelog and
    feed print: number, time, note and changes)."""
    return ProgrammeRelease.objects.filter(forum=forum).defer("snapshot").order_by("-number")


def pending_release(forum: Forum) -> tuple[ProgrammeRelease | None, list[dict]]:
    """``forum``'s latest release (None before the first) and what releasing its programme
    now would list: the changes (``diff_snapshots``) from that release's snapshot to the
    current programme; for the first release, every session as ``added``. Read-only,
    three queries, no lock (for display: the release itself computes them again under
    the forum's lock)."""
    previous = latest_release(forum)
    return previous, diff_snapshots(previous.snapshot if previous else {}, programme_snapshot(forum))


def changes_fingerprint(changes: list[dict]) -> str:
    """A SHA-256 hex digest of ``changes``, to check that a release stores the changes an
    organizer reviewed (``release_programme``'s ``expected_fingerprint``)."""
    return hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def release_programme(
    *, forum: Forum, user: User | None = None, note: str = "", expected_fingerprint: str | None = None
) -> ProgrammeRelease:
    """Store the next release of ``forum``'s programme and e-mail the participants of the
    sessions that changed.

    In one transaction that first locks the forum's row (``SELECT … FOR UPDATE``; on
    SQLite the IMMEDIATE transaction holds the database's write lock), so concurrent
    releases run one after the other: each diffs against the release stored by the one
    before and takes the next number (1 for the first release; the database's unique
    constraint on forum and number backs this). The release keeps ``user`` (the
    organizer, may be None), ``note`` (stripped), the current ``programme_snapshot`` and
    its ``changes`` (``diff_snapshots`` from the previous release's snapshot). For each
    participant concerned (see the module docstring) a ``Notification`` of kind
    ``SESSION_CHANGED`` naming the session and the release is written; its e-mail is
    sent after commit (``registration.services.notify``).

    Raises ``ReleaseError``: ``no_changes`` when the programme is as last released
    (nothing is stored); ``stale`` when ``expected_fingerprint`` is given and differs from
    the ``changes_fingerprint`` of the changes found under the lock; ``concurrent`` if the
    number was taken all the same.
    """
    forum = Forum.objects.select_for_update().get(pk=forum.pk)
    previous = latest_release(forum)
    snapshot = programme_snapshot(forum)
    changes = diff_snapshots(previous.snapshot if previous else {}, snapshot)
    if not changes:
        raise no_changes_error(previous)
    if expected_fingerprint is not None and expected_fingerprint != changes_fingerprint(changes):
        raise ReleaseError(
            _("The programme changed while you were reviewing it. Check the changes again before releasing."),
            "stale",
        )
    release = ProgrammeRelease(
        forum=forum,
        number=previous.number + 1 if previous else 1,
        released_by=user,
        note=note.strip(),
        snapshot=snapshot,
        changes=changes,
    )
    release.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError as error:
        raise ReleaseError(
            _("Another release of this programme was stored at the same moment. Nothing was stored; try again."),
            "concurrent",
        ) from error
    for registration, session in notification_recipients(forum, changes):
        notify(registration, Notification.Kind.SESSION_CHANGED, session=session, release=release)
    return release


def no_changes_error(previous: ProgrammeRelease | None) -> ReleaseError:
    """The ``no_changes`` refusal of a release whose programme is as in ``previous`` (the
    latest release, None if there is none and the programme has no session)."""
    if previous is None:
        return ReleaseError(_("The programme has no session yet: there is nothing to release."), "no_changes")
    return ReleaseError(
        _("The programme has not changed since version %(number)s: there is nothing to release.")
        % {"number": previous.number},
        "no_changes",
    )


def notification_recipients(forum: Forum, changes: list[dict]) -> list[tuple[Registration, Session]]:
    """Who is e-mailed for ``changes`` (of ``forum``'s programme), about which session: for
    each session with a ``NOTIFYING_CHANGES`` change, the CONFIRMED registrations signed up
    for it (confirmed or waitlisted sign-ups) or, for a plenary, every CONFIRMED
    registration of the forum. In session order, then registration order. Three queries
    at most. Read-only."""
    guids = {change["guid"] for change in changes if change["kind"] in NOTIFYING_CHANGES}
    if not guids:
        return []
    sessions = list(Session.objects.filter(forum=forum, guid__in=guids).order_by("start", "pk"))
    parallel = [session for session in sessions if not session.is_plenary]
    signed_up: dict[int, list[Registration]] = {session.pk: [] for session in parallel}
    signups = SessionSignup.objects.filter(
        session__in=parallel, registration__status=Registration.Status.CONFIRMED
    ).select_related("registration")
    for signup in signups.order_by("registration_id"):
        signed_up[signup.session_id].append(signup.registration)
    confirmed: list[Registration] = []
    if len(parallel) < len(sessions):
        confirmed = list(Registration.objects.filter(forum=forum, status=Registration.Status.CONFIRMED).order_by("pk"))
    return [
        (registration, session)
        for session in sessions
        for registration in (confirmed if session.is_plenary else signed_up[session.pk])
    ]


def _change(kind: Change, guid: str, facts: dict, before: dict, after: dict) -> dict:
    return {"kind": str(kind), "guid": guid, "title": facts["title"], "before": before, "after": after}


def _pick(facts: dict, names: tuple[str, ...]) -> dict:
    return {name: facts[name] for name in names}
