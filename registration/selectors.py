"""Reads of registration for the public pages, each a constant number of queries."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from forum.models import Forum
from registration.models import Registration, SessionSignup
from sessions_app.models import Session


def _waitlist_rank(model, partition: str) -> Subquery:
    """The 1-based place in line of the outer row among waitlisted rows sharing ``partition``."""
    ahead = (
        model.objects.filter(**{partition: OuterRef(partition)}, status="waitlisted")
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values(partition)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead)


def registration_of(forum: Forum, user) -> Registration | None:
    """``user``'s registration for ``forum`` (any status) with its place in the waitlist.

    ``waitlist_position`` is 1 for the first waitlisted participant, None unless WAITLISTED.
    Anonymous users have none. One query, and a second for a waitlisted registration.
    """
    if not user.is_authenticated:
        return None
    registration = Registration.objects.filter(forum=forum, user=user).first()
    if registration is not None:
        registration.waitlist_position = waitlist_position(registration)
    return registration


def waitlist_position(registration: Registration) -> int | None:
    """``registration``'s place in its forum's waitlist (1 is next), None unless WAITLISTED.

    No query unless it is waitlisted, then one.
    """
    if registration.status != Registration.Status.WAITLISTED:
        return None
    return (
        Registration.objects.filter(pk=registration.pk)
        .annotate(rank=_waitlist_rank(Registration, "forum"))
        .values_list("rank", flat=True)
        .get()
    )


def session_waitlist_position(registration: Registration, session: Session) -> int | None:
    """``registration``'s place in ``session``'s waitlist (1 is next), None unless waitlisted there. One query."""
    return (
        SessionSignup.objects.filter(registration=registration, session=session, status=SessionSignup.Status.WAITLISTED)
        .annotate(rank=_waitlist_rank(SessionSignup, "session"))
        .values_list("rank", flat=True)
        .first()
    )


def signups_of(registration: Registration) -> list[SessionSignup]:
    """``registration``'s session sign-ups in programme order, with session, room and waitlist place.

    Each sign-up's ``waitlist_position`` is 1 for the first in its session's line, None
    when it holds a seat. One query.
    """
    signups = (
        registration.signups.select_related("session__room")
        .annotate(rank=_waitlist_rank(SessionSignup, "session"))
        .order_by("session__start", "session__title")
    )
    result = list(signups)
    for signup in result:
        signup.waitlist_position = signup.rank if signup.status == "waitlisted" else None
    return result


def seats_held() -> QuerySet[SessionSignup]:
    """The sign-ups that hold a seat (confirmed): what a session's places are counted from."""
    return SessionSignup.objects.filter(status=SessionSignup.Status.CONFIRMED)


def seats_taken(sessions: QuerySet) -> dict[int, int]:
    """Confirmed sign-ups per session id among ``sessions`` (missing ids have none). One query."""
    rows = seats_held().filter(session__in=sessions).order_by().values_list("session_id").annotate(n=Count("pk"))
    return dict(rows)
