"""Writes of registration: registering, organizer decisions, cancelling, session sign-ups.

Every rule that counts places runs in one transaction that first locks the row the
count belongs to, so concurrent requests queue instead of racing between the count and
the write: a forum's places under its ``RegistrationSettings`` row, a session's seats
under its ``Session`` row, a participant's own sign-ups under their ``Registration``
row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every transaction of this project
is ``IMMEDIATE`` and takes the database's write lock, see ``forum.settings``). Locks are
always taken in the order settings → registration → session, so no two operations wait
on each other in a cycle.

Each status change writes a ``Notification`` row in the same transaction; its e-mail is
queued with ``transaction.on_commit`` (task ``registration.send_notification``, sent
through ``forum.tasking.publish``). With the broker down the change stands and the row
stays unsent until ``requeue_unsent_notifications`` queues it again.

Refusals raise ``RegistrationError`` with a message for the participant and a ``code``.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from forum import tasking
from forum.models import Forum
from registration.models import (
    Category,
    Notification,
    Registration,
    RegistrationSettings,
    SessionSignup,
)
from sessions_app.models import Session

DETAIL_FIELDS = (
    "printed_name",
    "organization",
    "position",
    "category",
    "country",
    "city",
    "language",
    "accessibility_needs",
)
"""The fields a participant fills in and may edit until registration closes."""

Status = Registration.Status

REMINDER_LEAD = timedelta(hours=24)
"""How long before a forum starts its participants are sent the reminder e-mail."""


class RegistrationError(Exception):
    """A request the registration rules refuse.

    ``message`` is a sentence for the participant or organizer (translated into the
    active language); ``code`` names the rule: ``closed``, ``not_open_yet``,
    ``not_verified``, ``already_registered``, ``quota_full``, ``forum_full``,
    ``inactive``, ``not_confirmed``, ``wrong_forum``, ``plenary``, ``cancelled``,
    ``overlap``, ``session_full``.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def has_verified_email(user) -> bool:
    """True if ``user`` has confirmed at least one e-mail address through allauth."""
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def check_can_register(forum: Forum, user, *, now: datetime | None = None) -> RegistrationSettings:
    """The forum's registration settings, if ``user`` may submit a registration at ``now``.

    Read-only (no lock): views call it to show the refusal before the participant
    fills in the form; ``register`` checks again under the lock. Raises
    ``RegistrationError`` (``closed``, ``not_open_yet``, ``not_verified``).
    """
    settings = RegistrationSettings.objects.select_related("forum").filter(forum=forum).first()
    _check_open(settings, now or timezone.now())
    _check_verified(user)
    return settings


@transaction.atomic
def register(*, forum: Forum, user, details: Mapping, now: datetime | None = None) -> Registration:
    """Register ``user`` for ``forum`` with ``details`` (``DETAIL_FIELDS`` and ``consent``).

    The new registration is CONFIRMED when a place is free and the forum needs no
    approval, SUBMITTED when it needs approval, WAITLISTED when the forum's capacity or
    the category's quota is taken (places are held by SUBMITTED and CONFIRMED
    registrations). A participant who cancelled registers again on the same row, at
    the back of any waitlist. Sends "confirmed", "received" or "waitlisted".

    Raises ``RegistrationError``: ``closed``/``not_open_yet`` outside the forum's
    registration days (``now``, aware, default the current time), ``not_verified``
    without a confirmed e-mail address, ``already_registered`` if ``user`` has a
    registration that is not cancelled (so a second submit of the same form creates
    nothing), ``consent`` without consent.
    """
    now = now or timezone.now()
    settings = _locked_settings(forum)
    _check_open(settings, now)
    _check_verified(user)
    if not details.get("consent"):
        raise RegistrationError(_("Registration needs your consent to the processing of your data."), "consent")
    registration = Registration.objects.select_for_update().filter(forum=forum, user=user).first()
    if registration is not None and registration.status != Status.CANCELLED:
        raise RegistrationError(_("You are already registered for this forum."), "already_registered")
    registration = registration or Registration(forum=forum, user=user)
    _copy_details(registration, details)
    registration.consent, registration.consented_at = True, now
    places = _Places.count(settings)
    if places.has_room(registration.category):
        status = Status.SUBMITTED if settings.requires_approval else Status.CONFIRMED
    else:
        status = Status.WAITLISTED
    _set_status(registration, status, now)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as error:
        raise RegistrationError(_("You are already registered for this forum."), "already_registered") from error
    kind = {
        Status.CONFIRMED: Notification.Kind.CONFIRMED,
        Status.SUBMITTED: Notification.Kind.RECEIVED,
        Status.WAITLISTED: Notification.Kind.WAITLISTED,
    }[status]
    notify(registration, kind)
    return registration


@transaction.atomic
def update_details(*, registration: Registration, details: Mapping, now: datetime | None = None) -> Registration:
    """Save the participant's edited ``details`` (``DETAIL_FIELDS``) while registration is open.

    The category is not changed here (it decides quotas: organizers change it with
    ``change_category``); a ``category`` in ``details`` is ignored. Sends no e-mail.

    Raises ``RegistrationError``: ``closed``/``not_open_yet`` after or before the
    registration days, ``inactive`` for a declined or cancelled registration.
    """
    now = now or timezone.now()
    settings = _locked_settings(registration.forum)
    _check_open(settings, now)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_active:
        raise RegistrationError(_("This registration was declined or cancelled."), "inactive")
    _copy_details(registration, {name: value for name, value in details.items() if name != "category"})
    registration.save()
    return registration


def category_change_refusal(registration: Registration, category: str) -> str | None:
    """Why ``registration`` may not move to ``category`` now, or None if it may.

    A registration holding a place (SUBMITTED or CONFIRMED) may move only into a category
    whose quota has room. Read-only; ``change_category`` asks again under the lock.
    """
    if category == registration.category or registration.status not in Registration.HOLDING_PLACES:
        return None
    settings = RegistrationSettings.objects.filter(forum_id=registration.forum_id).first()
    if settings is None or _Places.count(settings, excluding=registration).quota_has_room(category):
        return None
    return _("The places for the category “%(category)s” are taken.") % {
        "category": Category(category).label,
    }


@transaction.atomic
def change_category(*, registration: Registration, category: str, now: datetime | None = None) -> Registration:
    """Move ``registration`` to participant ``category`` (an organizer's correction), at any time.

    A place it holds moves with it when the new category's quota has room. Afterwards
    the forum's waitlist is promoted in order (the old category may have freed a place,
    or a waitlisted participant may now fit). Raises ``RegistrationError``
    (``quota_full``) when ``category_change_refusal`` gives a reason.
    """
    settings = _locked_settings(registration.forum, required=False)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    refusal = category_change_refusal(registration, category)
    if refusal:
        raise RegistrationError(refusal, "quota_full")
    registration.category = category
    registration.save(update_fields=["category", "updated_at"])
    if settings is not None:
        _promote_waitlist(settings, now or timezone.now())
    return registration


@transaction.atomic
def confirm_registration(*, registration: Registration, now: datetime | None = None) -> bool:
    """Confirm ``registration`` as an organizer; returns False if it already was confirmed.

    A SUBMITTED registration holds its place and is confirmed; a WAITLISTED or DECLINED
    one only if the forum and its category have room. Sends "confirmed". Raises
    ``RegistrationError``: ``forum_full`` without room, ``inactive`` for a registration
    its participant cancelled.
    """
    now = now or timezone.now()
    settings = _locked_settings(registration.forum, required=False)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Status.CONFIRMED:
        return False
    if registration.status == Status.CANCELLED:
        raise RegistrationError(_("The participant cancelled this registration."), "inactive")
    if registration.status != Status.SUBMITTED and settings is not None:
        places = _Places.count(settings)
        if not places.has_room(registration.category):
            if places.forum_has_room():
                message = _("The places for the category “%(category)s” are taken.") % {
                    "category": registration.get_category_display()
                }
            else:
                message = _("The forum is full.")
            raise RegistrationError(message, "forum_full")
    _set_status(registration, Status.CONFIRMED, now)
    registration.save()
    notify(registration, Notification.Kind.CONFIRMED)
    return True


@transaction.atomic
def decline_registration(*, registration: Registration, now: datetime | None = None) -> bool:
    """Decline ``registration`` as an organizer; returns False if it already was declined.

    Frees its place and session seats (promoting the first waitlisted participants)
    and sends "declined". Raises ``RegistrationError`` (``inactive``) for a
    registration its participant cancelled.
    """
    return _withdraw(registration, Status.DECLINED, now or timezone.now())


@transaction.atomic
def cancel_registration(*, registration: Registration, now: datetime | None = None) -> bool:
    """Cancel ``registration`` for its participant; returns False if it already was cancelled.

    Frees its place and session seats, promotes the first waitlisted participants that
    fit, and sends "cancelled". Raises ``RegistrationError`` (``inactive``) for a
    declined registration.
    """
    return _withdraw(registration, Status.CANCELLED, now or timezone.now())


@transaction.atomic
def fill_places(*, forum: Forum, now: datetime | None = None) -> int:
    """Promote waitlisted registrations into the places now free (e.g. after capacity grew).

    Returns how many were promoted. Each promoted participant gets "promoted".
    """
    settings = _locked_settings(forum, required=False)
    if settings is None:
        return 0
    return _promote_waitlist(settings, now or timezone.now())


def waitlist_reason(registration: Registration) -> str | None:
    """Why ``registration`` waits: ``"category"`` when its category's quota is taken while the
    forum has room, ``"forum"`` when the forum is full; None unless it is WAITLISTED.

    Read-only, at most two queries: capacity and places held (no lock: the answer is for display).
    """
    if registration.status != Status.WAITLISTED:
        return None
    settings = RegistrationSettings.objects.filter(forum_id=registration.forum_id).values_list("capacity").first()
    if settings is None:
        return "forum"
    (capacity,) = settings
    if capacity is None:
        return "category"
    held = Registration.objects.filter(forum_id=registration.forum_id).holding_places().count()
    return "category" if held < capacity else "forum"


def session_capacity(session: Session) -> int | None:
    """The seats of ``session`` for participants: its own capacity, else its room's; None means no limit."""
    if session.capacity is not None:
        return session.capacity
    return session.room.capacity if session.room_id else None


@transaction.atomic
def session_sign_up(
    *, registration: Registration, session: Session, join_waitlist: bool = False, now: datetime | None = None
) -> SessionSignup:
    """Give ``registration``'s participant a seat in the parallel ``session``, or a waitlist place.

    Returns the sign-up; if the participant already has one for this session it is
    returned unchanged (a second submit creates nothing). A seat is given while the
    session has fewer CONFIRMED sign-ups than ``session_capacity``; when it is full the
    participant is WAITLISTED if ``join_waitlist``. Sends "session sign-up confirmed" or
    "session waitlist joined".

    Raises ``RegistrationError``: ``not_confirmed`` unless the registration is
    CONFIRMED; ``wrong_forum`` for another forum's session; ``plenary`` for a plenary
    (everyone attends, no sign-up); ``cancelled`` for a cancelled session; ``overlap`` if
    the participant is signed up (or waitlisted) for a session whose time overlaps this
    one (a cancelled one does not count); ``session_full`` when full and not ``join_waitlist``.

    A sign-up the participant holds for a cancelled session at an overlapping time is
    given up (deleted) by this one, so that reinstating the cancelled session later can
    never leave them in two sessions at once.
    """
    now = now or timezone.now()
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    session = Session.objects.select_for_update().get(pk=session.pk)
    mine = list(
        registration.signups.filter(
            Q(session=session)
            | Q(session__start__lt=session.end, session__end__gt=session.start, session__is_cancelled=False)
        ).select_related("session__forum")
    )
    existing = next((signup for signup in mine if signup.session_id == session.pk), None)
    if existing is not None:
        return existing
    if registration.status != Status.CONFIRMED:
        raise RegistrationError(_("Only confirmed participants can sign up for parallel sessions."), "not_confirmed")
    if session.forum_id != registration.forum_id:
        raise RegistrationError(_("This session belongs to another forum."), "wrong_forum")
    if session.is_plenary:
        raise RegistrationError(_("Plenary sessions are open to every participant; no sign-up is needed."), "plenary")
    if session.is_cancelled:
        raise RegistrationError(_("This session is cancelled, so it takes no sign-ups."), "cancelled")
    if mine:
        clash = mine[0].session
        start = timezone.localtime(clash.start, clash.forum.tzinfo)
        raise RegistrationError(
            _("You have already chosen “%(title)s” (%(time)s), at the same time as this session. Leave it first.")
            % {"title": clash.title, "time": f"{date_format(start, 'MONTH_DAY_FORMAT')}, {start:%H:%M}"},
            "overlap",
        )
    capacity = session_capacity(session)
    seats = session.signups.aggregate(
        taken=Count("pk", filter=Q(status=SessionSignup.Status.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=SessionSignup.Status.WAITLISTED)),
    )
    taken = seats["taken"]
    if seats["waiting"] and (capacity is None or taken < capacity):
        taken += _promote_session_waitlist(session)  # seats freed by a change not yet refilled
    if capacity is None or taken < capacity:
        status = SessionSignup.Status.CONFIRMED
    elif join_waitlist:
        status = SessionSignup.Status.WAITLISTED
    else:
        raise RegistrationError(_("This session is full. You can join its waitlist."), "session_full")
    signup = SessionSignup.objects.create(
        registration=registration,
        session=session,
        status=status,
        waitlisted_at=now if status == SessionSignup.Status.WAITLISTED else None,
    )
    registration.signups.filter(
        session__is_cancelled=True, session__start__lt=session.end, session__end__gt=session.start
    ).delete()
    kind = (
        Notification.Kind.SESSION_CONFIRMED
        if status == SessionSignup.Status.CONFIRMED
        else Notification.Kind.SESSION_WAITLISTED
    )
    notify(registration, kind, session=session)
    return signup


@transaction.atomic
def session_leave(*, registration: Registration, session: Session) -> bool:
    """Take ``registration``'s participant out of ``session`` (seat or waitlist place).

    A freed seat goes to the first waitlisted participant, who gets "promoted from a
    session's waitlist". Returns False if the participant had no sign-up there (a
    second submit changes nothing).
    """
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    session = Session.objects.select_for_update().get(pk=session.pk)
    signup = SessionSignup.objects.filter(registration=registration, session=session).first()
    if signup is None:
        return False
    signup.delete()
    if signup.status == SessionSignup.Status.CONFIRMED:
        _promote_session_waitlist(session)
    return True


@transaction.atomic
def fill_seats(*, session: Session) -> int:
    """Promote waitlisted sign-ups of ``session`` into seats now free (e.g. after its capacity grew).

    Returns how many were promoted.
    """
    return _promote_session_waitlist(Session.objects.select_for_update().get(pk=session.pk))


@transaction.atomic
def drop_plenary_signups(*, session: Session) -> int:
    """Delete the sign-ups of ``session`` if it is (now) a plenary: everyone attends a plenary,
    and a leftover seat or waitlist place would block the participant's other choices at that
    time. Returns how many were deleted (0 for a parallel session)."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_plenary:
        return 0
    deleted, _by_model = SessionSignup.objects.filter(session=session).delete()
    return deleted


def queue_forum_reminders(now: datetime | None = None) -> int:
    """Write the reminder e-mail owed before a forum starts, once per participant; return how many.

    A published forum starts at its first session that is not cancelled, or, without
    one, at 00:00 on ``start_date`` in the forum's ``time_zone``. From ``REMINDER_LEAD``
    (24 hours) before that moment until it, every CONFIRMED registration of the forum
    that has no reminder yet gets a ``Notification`` of kind REMINDER, and its e-mail is
    queued on commit (task ``registration.send_notification``). Submitted, waitlisted,
    declined and cancelled registrations get none; a participant confirmed later inside
    the window gets theirs at the next run. Once the forum has started nothing more is
    written, so a reminder missed while the site was down is not sent late.

    ``now`` is an aware datetime (default: the current time); session times are stored
    in UTC and compared as such. Celery beat runs this every 15 minutes
    (``registration.send_forum_reminders``, ``CELERY_BEAT_SCHEDULE``), so a reminder goes
    out between 24 hours and 23 hours 45 minutes before the start.

    Idempotent, also when two runs overlap: each forum's reminders are written in one
    transaction that first locks the forum's row (``SELECT … FOR UPDATE``; on SQLite the
    ``IMMEDIATE`` transaction takes the database's write lock), so a second run waits and
    then finds every reminder written. The partial unique constraint
    ``notification_one_reminder_per_registration`` backs this up: a duplicate would
    raise ``IntegrityError``, rolling back that forum's batch and ending the run, rather
    than send twice. Queries: one for the forums, then three per forum due a reminder (lock,
    registrations without a reminder, one bulk insert; SQLite splits the insert into
    batches of its bound-parameter limit), whatever the number of participants.
    """
    now = now or timezone.now()
    return sum(_queue_reminders(forum) for forum in _forums_due_a_reminder(now))


def _forums_due_a_reminder(now: datetime) -> list[Forum]:
    """The published forums that start within ``REMINDER_LEAD`` after ``now`` and have not started.

    One query: the dates are narrowed in the database (a forum's local calendar day is at
    most one day off its UTC day), the start moment is checked here.
    """
    utc_today = now.astimezone(UTC).date()
    utc_last_day = (now + REMINDER_LEAD).astimezone(UTC).date()
    forums = Forum.objects.filter(
        is_published=True,
        start_date__lte=utc_last_day + timedelta(days=1),
        end_date__gte=utc_today - timedelta(days=1),
    ).annotate(first_session_start=Min("sessions__start", filter=Q(sessions__is_cancelled=False)))
    return [forum for forum in forums if now < _forum_start(forum) <= now + REMINDER_LEAD]


def _forum_start(forum: Forum) -> datetime:
    """When ``forum`` starts: its ``first_session_start`` annotation, else 00:00 local on ``start_date``."""
    return forum.first_session_start or forum.day_bounds(forum.start_date)[0]


@transaction.atomic
def _queue_reminders(forum: Forum) -> int:
    """Write a REMINDER for each CONFIRMED registration of ``forum`` that has none, under the
    forum's row lock, and queue their e-mails on commit. Returns how many were written."""
    Forum.objects.select_for_update().get(pk=forum.pk)  # a run overlapping this one waits here
    reminded = Notification.objects.filter(registration=OuterRef("pk"), kind=Notification.Kind.REMINDER)
    due = Registration.objects.filter(forum=forum, status=Status.CONFIRMED).filter(~Exists(reminded)).order_by()
    queued_at = timezone.now()  # their publish follows on commit; emptied if it is refused
    reminders = Notification.objects.bulk_create(
        Notification(registration_id=registration_id, kind=Notification.Kind.REMINDER, queued_at=queued_at)
        for registration_id in due.values_list("pk", flat=True)
    )
    for reminder in reminders:
        transaction.on_commit(partial(_queue_notification, reminder.pk), robust=True)
    return len(reminders)


def notify(registration: Registration, kind: str, *, session: Session | None = None, release=None) -> Notification:
    """Record the e-mail ``kind`` owed to ``registration``'s participant and queue it on commit.

    ``session`` is required for the session kinds; ``release`` (a ``ProgrammeRelease``) for
    "session changed", whose e-mail lists that release's changes to ``session``.

    The row is written with ``queued_at`` set to now (UTC), as if its task were already
    queued: the publish follows on commit and ``_queue_notification`` empties ``queued_at``
    only if the broker refuses it. Stamping after a successful publish instead would cost
    an UPDATE per e-mail, and that UPDATE could wait, inside the request, for the row lock
    of a worker already sending the e-mail. One query (the INSERT).
    """
    notification = Notification.objects.create(
        registration=registration, kind=kind, session=session, release=release, queued_at=timezone.now()
    )
    # robust: an unreachable broker (or, with in-process tasks, a failing SMTP server) is
    # logged and leaves the row unsent; the participant's change stands, never a 500.
    transaction.on_commit(partial(_queue_notification, notification.pk), robust=True)
    return notification


def _queue_notification(notification_id: int) -> bool:
    """Send the e-mail task for ``notification_id`` (called on commit) through
    ``forum.tasking.publish``; True if the broker took it.

    With the broker unreachable the row stays unsent, its ``queued_at`` is emptied (one
    UPDATE, only then) and ``requeue_unsent_notifications`` queues it a minute after it
    was written, once the broker is back.
    """
    from registration.tasks import send_notification  # tasks.py imports this module

    if tasking.publish(send_notification, notification_id):
        return True
    Notification.objects.filter(pk=notification_id).update(queued_at=None)
    return False


UNSENT_REQUEUE_AFTER = timedelta(minutes=1)
"""How long after it was written a notification whose task was never queued (``queued_at``
empty) waits before ``requeue_unsent_notifications`` queues it."""

QUEUED_REQUEUE_AFTER = timedelta(minutes=15)
"""How long after its task was last queued (``queued_at``) an unsent notification waits
before ``requeue_unsent_notifications`` queues it again: long enough for a busy queue
(a programme release's e-mails) to drain, so that rows still waiting in it are not queued twice."""

UNSENT_GIVE_UP_AFTER = timedelta(days=2)
"""Notifications written longer ago than this are given up: not queued again."""

MAX_SEND_ATTEMPTS = 5
"""After this many failed deliveries of its task (``Notification.attempts``) a notification
is given up: ``requeue_unsent_notifications`` no longer queues it and ``send_notification``
no longer tries it."""

REQUEUE_BATCH_SIZE = 500
"""The most notifications ``requeue_unsent_notifications`` queues in one run."""


def requeue_unsent_notifications(*, now: datetime | None = None) -> int:
    """Queue again the e-mail of each notification left unsent; return how many tasks were queued.

    ``now`` is an aware datetime (default: the current time); all times are compared in
    UTC. A row is picked when it has no ``sent_at``, is not given up (fewer than
    ``MAX_SEND_ATTEMPTS``, 5, failed deliveries in ``attempts``, and written less than
    ``UNSENT_GIVE_UP_AFTER``, 2 days, before ``now``), and either
    - its task was never queued (``queued_at`` empty: the broker refused it, see
      ``forum.tasking``) and it was written more than ``UNSENT_REQUEUE_AFTER`` (1 minute)
      ago, or
    - its task was last queued more than ``QUEUED_REQUEUE_AFTER`` (15 minutes) ago and has
      not sent it: lost with the broker's data or a dead worker, or failed all its retries
      (SMTP down). A row queued more recently may still be waiting in a busy queue and is
      left alone, so the queue does not grow with copies.
    The least-tried rows go first (fewest ``attempts``, then never queued, then longest
    waiting), so rows that keep failing cannot crowd out a newer e-mail; at most
    ``REQUEUE_BATCH_SIZE`` (500) a run. Each queued row gets ``queued_at = now``; the run
    stops at the first task the broker does not take, the others wait for the next run.
    Celery beat runs it every 5 minutes (``registration.requeue_unsent_notifications``,
    ``CELERY_BEAT_SCHEDULE``), so a failing e-mail is tried about every 15 to 20 minutes
    and given up after its fifth failed delivery (``send_notification`` logs that error).

    Idempotent: ``send_notification`` locks the row and sends nothing once ``sent_at``
    is set, so a row queued twice (a run and its original task still waiting in the
    queue, or two runs) is sent once. Two queries: the rows (the partial index
    ``notification_unsent_idx`` holds only unsent rows) and one UPDATE of the queued ones.
    """
    from registration.tasks import send_notification  # tasks.py imports this module

    now = now or timezone.now()
    never_queued = Q(queued_at__isnull=True, created_at__lt=now - UNSENT_REQUEUE_AFTER)
    queue_lost = Q(queued_at__lt=now - QUEUED_REQUEUE_AFTER)
    due = (
        Notification.objects.filter(never_queued | queue_lost)
        .filter(
            sent_at__isnull=True,
            attempts__lt=MAX_SEND_ATTEMPTS,
            created_at__gte=now - UNSENT_GIVE_UP_AFTER,
        )
        .order_by("attempts", F("queued_at").asc(nulls_first=True), "created_at", "pk")
        .values_list("pk", flat=True)[:REQUEUE_BATCH_SIZE]
    )
    queued = []
    for notification_id in due:
        if not tasking.publish(send_notification, notification_id):
            break
        queued.append(notification_id)
    if queued:
        Notification.objects.filter(pk__in=queued).update(queued_at=now)
    return len(queued)


@dataclass
class _Places:
    """A forum's places as counted under its settings' lock."""

    capacity: int | None
    quotas: dict[str, int]
    total: int = 0
    by_category: Counter = field(default_factory=Counter)

    @classmethod
    def count(cls, settings: RegistrationSettings, *, excluding: Registration | None = None) -> "_Places":
        """Count the places held at ``settings``' forum, leaving ``excluding`` out."""
        held = Registration.objects.filter(forum_id=settings.forum_id).holding_places()
        if excluding is not None:
            held = held.exclude(pk=excluding.pk)
        by_category = Counter(dict(held.values_list("category").annotate(n=Count("pk")).order_by()))
        quotas = dict(settings.quotas.values_list("category", "places"))
        return cls(settings.capacity, quotas, sum(by_category.values()), by_category)

    def quota_has_room(self, category: str) -> bool:
        """True if ``category`` has no quota or its quota is not taken."""
        return category not in self.quotas or self.by_category[category] < self.quotas[category]

    def forum_has_room(self) -> bool:
        """True if the forum has no capacity or a free place, whatever the quotas."""
        return self.capacity is None or self.total < self.capacity

    def has_room(self, category: str) -> bool:
        """True if the forum and ``category``'s quota both have a free place."""
        return self.forum_has_room() and self.quota_has_room(category)

    def take(self, category: str) -> None:
        """Count one more place held in ``category``."""
        self.total += 1
        self.by_category[category] += 1


def _locked_settings(forum: Forum, *, required: bool = True) -> RegistrationSettings | None:
    """Lock and return ``forum``'s registration settings (None, or ``closed`` if ``required``, without)."""
    settings = RegistrationSettings.objects.select_for_update().filter(forum=forum).first()
    if settings is None and required:
        raise RegistrationError(_("Registration for this forum is not open."), "closed")
    if settings is not None:
        settings.forum = forum
    return settings


def _check_open(settings: RegistrationSettings | None, now: datetime) -> None:
    """Raise ``RegistrationError`` unless registration is open at ``now``."""
    if settings is None:
        raise RegistrationError(_("Registration for this forum is not open."), "closed")
    if now < settings.opens_at:
        raise RegistrationError(
            _("Registration opens on %(day)s.") % {"day": date_format(settings.opens_on, "DATE_FORMAT")}, "not_open_yet"
        )
    if now >= settings.closes_at:
        raise RegistrationError(
            _("Registration closed on %(day)s.") % {"day": date_format(settings.closes_on, "DATE_FORMAT")}, "closed"
        )


def _check_verified(user) -> None:
    """Raise ``RegistrationError`` (``not_verified``) unless ``user`` confirmed an e-mail address."""
    if not has_verified_email(user):
        raise RegistrationError(
            _("Confirm your e-mail address first: follow the link in the message we sent you."), "not_verified"
        )


def _copy_details(registration: Registration, details: Mapping) -> None:
    for name in DETAIL_FIELDS:
        if name in details:
            setattr(registration, name, details[name])


def _set_status(registration: Registration, status: str, now: datetime) -> None:
    registration.status = status
    registration.waitlisted_at = now if status == Status.WAITLISTED else None


def _withdraw(registration: Registration, status: str, now: datetime) -> bool:
    """Set ``registration`` DECLINED or CANCELLED (``status``), free its places, promote, notify."""
    settings = _locked_settings(registration.forum, required=False)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == status:
        return False
    if not registration.is_active:
        raise RegistrationError(
            _("This registration was already declined or cancelled."),
            "inactive",
        )
    was_holding = registration.status in Registration.HOLDING_PLACES
    _release_seats(registration.signups.order_by("session_id"))
    _set_status(registration, status, now)
    registration.save()
    notify(
        registration,
        Notification.Kind.CANCELLED if status == Status.CANCELLED else Notification.Kind.DECLINED,
    )
    if was_holding and settings is not None:
        _promote_waitlist(settings, now)
    return True


def _release_seats(signups: Iterable[SessionSignup]) -> None:
    """Delete ``signups`` (in session order, locking each session) and refill the seats they held."""
    for signup in list(signups):
        session = Session.objects.select_for_update().get(pk=signup.session_id)
        signup.delete()
        if signup.status == SessionSignup.Status.CONFIRMED:
            _promote_session_waitlist(session)


def _promote_waitlist(settings: RegistrationSettings, now: datetime) -> int:
    """Promote waitlisted registrations, first come first served, while places are free.

    A waitlisted participant whose category quota is taken keeps their place in line
    and the next one who fits is promoted. Promoted registrations become CONFIRMED, or
    SUBMITTED if the forum needs approval, and get "promoted". Caller holds the lock.
    """
    places = _Places.count(settings)
    promoted = 0
    for candidate in Registration.objects.filter(forum_id=settings.forum_id).waitlist().select_for_update():
        if settings.capacity is not None and places.total >= settings.capacity:
            break
        if not places.has_room(candidate.category):
            continue
        _set_status(candidate, Status.SUBMITTED if settings.requires_approval else Status.CONFIRMED, now)
        candidate.save(update_fields=["status", "waitlisted_at", "updated_at"])
        places.take(candidate.category)
        notify(candidate, Notification.Kind.PROMOTED)
        promoted += 1
    return promoted


def _promote_session_waitlist(session: Session) -> int:
    """Give free seats of ``session`` to its waitlist in order; the caller holds the session's lock.

    A cancelled session promotes no one (its seats are refilled if it is reinstated and
    someone signs up or leaves, or by ``fill_seats``).
    """
    if session.is_cancelled:
        return 0
    capacity = session_capacity(session)
    waitlist = session.signups.waitlist().select_for_update()
    if capacity is not None:
        free = capacity - session.signups.filter(status=SessionSignup.Status.CONFIRMED).count()
        if free <= 0:
            return 0
        waitlist = waitlist[:free]
    promoted = 0
    for signup in waitlist:
        signup.status, signup.waitlisted_at = SessionSignup.Status.CONFIRMED, None
        signup.save(update_fields=["status", "waitlisted_at"])
        notify(signup.registration, Notification.Kind.SESSION_PROMOTED, session=session)
        promoted += 1
    return promoted
