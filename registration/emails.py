"""The e-mails of registration: one message per ``Notification``, in the participant's language.

Each sentence is written once, here, and marked for translation; the templates under
``registration/email/`` only lay the same content out as plain text (``message.txt``)
and HTML (``message.html``); the reminder before a forum (``reminder.txt`` and
``reminder.html``) adds the participant's programme to that layout. Dates and session
times are given in the forum's time zone. Links are absolute, on ``settings.SITE_URL``.
"""

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from forum.models import Forum
from registration import selectors, services
from registration.calendar import personal_entries, personal_feed_url
from registration.models import Notification, Registration
from sessions_app.calendars import Attendance
from sessions_app.models import Session
from sessions_app.published import public_schedule
from sessions_app.release_texts import describe as describe_change

Kind = Notification.Kind

DAY_FORMAT = pgettext_lazy("e-mail date, Django date format", "j F Y")
"""A calendar day, e.g. "22 January 2020" ("22 de enero de 2020" in Spanish)."""

WEEKDAY_FORMAT = pgettext_lazy("e-mail session day, Django date format", "l j F Y")
"""A session's day, e.g. "Wednesday 22 January 2020" ("miércoles 22 de enero de 2020")."""


def build_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for ``notification``: one-line subject, plain-text body and HTML alternative.

    Written in the registration's ``language`` to its user's address, from
    ``DEFAULT_FROM_EMAIL``. Expects ``notification.registration`` (with its forum and
    user) and, for session kinds, ``notification.session``. The reminder before the
    forum reads the participant's sessions in one more query.
    """
    registration = notification.registration
    layout = "reminder" if notification.kind == Kind.REMINDER else "message"
    with translation.override(registration.language):
        context = _context(notification)
        text = render_to_string(f"registration/email/{layout}.txt", context)
        html = render_to_string(f"registration/email/{layout}.html", context)
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[registration.user.email],
        headers={"Content-Language": registration.language},
    )
    message.attach_alternative(html, "text/html")
    return message


def _context(notification: Notification) -> dict:
    """Everything the layouts show, already translated into the active language."""
    registration = notification.registration
    forum = registration.forum
    session = notification.session
    names = {
        "name": registration.printed_name,
        "forum": forum.title,
        "city": forum.city,
        "dates": _forum_dates(forum),
        "session": session.title if session else "",
    }
    facts = [
        (_("Forum"), forum.title),
        (_("Dates"), names["dates"]),
        (_("Place"), ", ".join(part for part in (forum.venue, forum.city, forum.country) if part)),
        (_("Registration status"), registration.get_status_display()),
    ]
    if session is not None:
        facts += [
            (_("Session"), session.title),
            (_("When"), _session_time(session, forum)),
            (_("Room"), session.room.name if session.room_id else _("to be announced")),
        ]
    site = settings.SITE_URL
    links = [
        (_("Your registration"), site + reverse("registration:my-registration", kwargs={"forum_slug": forum.slug})),
        (_("Programme"), site + reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug})),
    ]
    if notification.kind == Kind.SESSION_CHANGED:
        page = reverse("sessions_app:session-detail", kwargs={"forum_slug": forum.slug, "session_slug": session.slug})
        links.insert(0, (_("Session page"), site + page))
    context = {
        "language": translation.get_language(),
        "subject": " ".join(_subject(notification, names).split()),
        "greeting": _("Dear %(name)s,") % names,
        "facts": facts,
        "links": links,
        "signature": _("The organizers of %(forum)s") % names,
    }
    if notification.kind == Kind.REMINDER:
        agenda = _agenda(registration)
        context["paragraphs"] = _reminder(agenda, names)
        context["agenda"] = agenda
        context["agenda_title"] = _("Your programme (%(city)s time)") % names
        if registration.calendar_token:  # made when the participant first opened their page
            links.append((_("Your calendar feed"), personal_feed_url(registration)))
    else:
        context["paragraphs"] = _paragraphs(notification, names)
    return context


def _subject(notification: Notification, names: dict) -> str:
    """The subject line of ``notification``'s e-mail."""
    if notification.kind == Kind.PROMOTED and notification.registration.status != Registration.Status.CONFIRMED:
        return _("You are off the waitlist: %(forum)s") % names
    subjects = {
        Kind.RECEIVED: _("Registration received: %(forum)s"),
        Kind.CONFIRMED: _("Registration confirmed: %(forum)s"),
        Kind.DECLINED: _("Registration declined: %(forum)s"),
        Kind.WAITLISTED: _("You are on the waitlist: %(forum)s"),
        Kind.PROMOTED: _("A place is now yours: %(forum)s"),
        Kind.CANCELLED: _("Registration cancelled: %(forum)s"),
        Kind.SESSION_CONFIRMED: _("Your seat is confirmed: %(session)s"),
        Kind.SESSION_WAITLISTED: _("You are on the session's waitlist: %(session)s"),
        Kind.SESSION_PROMOTED: _("A seat is now yours: %(session)s"),
        Kind.SESSION_CHANGED: _("Programme change: %(session)s"),
        Kind.REMINDER: _("Reminder: %(forum)s, %(dates)s"),
    }
    return subjects[notification.kind] % names


def _paragraphs(notification: Notification, names: dict) -> list[str]:
    """The paragraphs that say what happened and what happens next."""
    registration = notification.registration
    match notification.kind:
        case Kind.RECEIVED:
            return [
                _("We have received your registration for %(forum)s (%(city)s, %(dates)s).") % names,
                _(
                    "The organizers review each registration and hold your place meanwhile. We will write to you "
                    "again as soon as they confirm or decline it."
                ),
            ]
        case Kind.CONFIRMED:
            return [
                _("Your registration for %(forum)s (%(city)s, %(dates)s) is confirmed. We look forward to seeing you.")
                % names,
                _(
                    "Plenary sessions are open to every participant. On your registration page you can choose the "
                    "parallel sessions you will attend."
                ),
            ]
        case Kind.DECLINED:
            return [
                _(
                    "We are sorry: the organizers could not accept your registration for %(forum)s "
                    "(%(city)s, %(dates)s)."
                )
                % names,
                _("If you think this is a mistake, please write to the organizers."),
            ]
        case Kind.WAITLISTED:
            if services.waitlist_reason(registration) == "category":
                waiting = _(
                    "The places for your category (%(category)s) at %(forum)s (%(city)s, %(dates)s) are taken for "
                    "now, so your registration is on the waitlist."
                ) % {**names, "category": registration.get_category_display()}
            else:
                waiting = (
                    _("%(forum)s (%(city)s, %(dates)s) is full for now, so your registration is on the waitlist.")
                    % names
                )
            return [
                waiting,
                *_waitlist_position(selectors.waitlist_position(registration)),
                _(
                    "When a place becomes free it goes to the next person on the waitlist, and we will write to you "
                    "if it is yours. You do not need to do anything."
                ),
            ]
        case Kind.PROMOTED if registration.status == Registration.Status.CONFIRMED:
            return [
                _("A place has become free at %(forum)s (%(city)s, %(dates)s) and it is yours.") % names,
                _("Your registration is confirmed. We look forward to seeing you."),
            ]
        case Kind.PROMOTED:
            return [
                _(
                    "A place has become free at %(forum)s (%(city)s, %(dates)s) and your registration has left the "
                    "waitlist."
                )
                % names,
                _("The organizers review each registration. We will write to you again when they confirm it."),
            ]
        case Kind.CANCELLED:
            return [
                _(
                    "Your registration for %(forum)s (%(city)s, %(dates)s) is cancelled, and so are your seats and "
                    "waitlist places in parallel sessions."
                )
                % names,
                _("If you change your mind, you can register again while registration is open."),
            ]
        case Kind.SESSION_CONFIRMED:
            return [
                _("Your seat in the parallel session “%(session)s” at %(forum)s is confirmed.") % names,
                _leave_session_hint(),
            ]
        case Kind.SESSION_WAITLISTED:
            return [
                _("The parallel session “%(session)s” at %(forum)s is full, so you are on its waitlist.") % names,
                *_waitlist_position(selectors.session_waitlist_position(registration, notification.session)),
                _("When a seat becomes free it goes to the next person on the waitlist, and we will write to you."),
            ]
        case Kind.SESSION_PROMOTED:
            return [
                _("A seat has become free in the parallel session “%(session)s” at %(forum)s and it is yours.") % names,
                _leave_session_hint(),
            ]
        case Kind.SESSION_CHANGED:
            return _session_changed(notification, names)
    raise ValueError(f"No e-mail for notification kind {notification.kind!r}.")


def _session_changed(notification: Notification, names: dict) -> list[str]:
    """What changed in ``notification.session`` in ``notification.release``, one sentence a
    change (times in the forum's zone, ``sessions_app.release_texts``), and what to do."""
    session, release, forum = notification.session, notification.release, notification.registration.forum
    names = {**names, "number": release.number}
    if session.is_plenary:
        intro = _(
            "The organizers have released version %(number)s of the programme of %(forum)s, and the plenary "
            "session “%(session)s” has changed:"
        )
    else:
        intro = _(
            "The organizers have released version %(number)s of the programme of %(forum)s, and the session "
            "“%(session)s”, which you signed up for, has changed:"
        )
    changes = [change for change in release.changes if change["guid"] == str(session.guid)]
    kinds = {change["kind"] for change in changes}
    closing = [_("Times are local to %(city)s.") % names] if "moved" in kinds else []
    if not session.is_plenary and "cancelled" in kinds:
        closing.append(_("You may choose another session at that time; your place in this one is then given up."))
    elif not session.is_plenary:
        closing.append(_leave_session_hint())
    return [intro % names, *(describe_change(change, forum.tzinfo) for change in changes), *closing]


def _agenda(registration: Registration) -> list[dict]:
    """The sessions that take place for ``registration``'s participant, in time order: every
    plenary and each parallel session they hold a seat in or are on the waitlist of
    (``registration.calendar.personal_entries``, one query), as the public sees them
    (``published.public_schedule``: the latest release's times, rooms and cancellations,
    one query), as the personal calendar feed lists them; cancelled sessions are left out.

    Each item has ``when`` (day and times in the forum's time zone), ``title``, ``room``,
    ``place`` ("plenary", "seat" or "waitlist") and ``attendance``, that place as a
    translated phrase.
    """
    forum = registration.forum
    phrases = {
        "plenary": _("plenary, open to every participant"),
        "seat": _("your seat"),
        "waitlist": _("waitlist: we will write to you if a seat becomes free"),
    }
    attendances = dict(personal_entries(registration))
    agenda = []
    for session in public_schedule(forum).apply(attendances):
        attendance = attendances[session]
        if session.is_cancelled:
            continue
        if session.is_plenary:
            place = "plenary"
        else:
            place = "waitlist" if attendance == Attendance.WAITLISTED else "seat"
        agenda.append(
            {
                "when": _slot(session, forum),
                "title": session.title,
                "room": session.room.name if session.room_id else _("room to be announced"),
                "place": place,
                "attendance": phrases[place],
            }
        )
    return agenda


def _reminder(agenda: list[dict], names: dict) -> list[str]:
    """The paragraphs of the reminder before the forum, given the participant's ``agenda``."""
    paragraphs = [
        _("%(forum)s (%(city)s, %(dates)s) is about to begin, and we look forward to seeing you there.") % names
    ]
    if agenda:
        paragraphs.append(
            _(
                "Plenary sessions are open to every participant. Below are the plenaries and the parallel sessions "
                "you chose."
            )
        )
    if not any(item["place"] == "seat" for item in agenda):
        paragraphs.append(
            _("You hold no seat in a parallel session yet. You can still choose sessions on your registration page.")
        )
    return paragraphs


def _leave_session_hint() -> str:
    return _(
        "If you cannot attend, leave the session on your registration page so that someone else can have your seat."
    )


def _waitlist_position(position: int | None) -> list[str]:
    """The sentence giving the waitlist ``position``, or none if it is unknown."""
    if position is None:
        return []
    return [_("You are number %(position)s on the waitlist.") % {"position": position}]


def _forum_dates(forum: Forum) -> str:
    """The forum's dates in the active language, e.g. "22 January 2020" or "21 … to 23 January 2020"."""
    start = _day(forum.start_date)
    if forum.end_date == forum.start_date:
        return start
    return _("%(start)s to %(end)s") % {"start": start, "end": _day(forum.end_date)}


def _local_times(session: Session, forum: Forum) -> dict[str, str]:
    """The session's ``day`` (e.g. "Wednesday 22 January 2020"), ``start`` and ``end``
    ("14:00", "16:30") in ``forum``'s time zone, in the active language."""
    zone = forum.tzinfo
    start, end = timezone.localtime(session.start, zone), timezone.localtime(session.end, zone)
    return {
        "day": date_format(start, WEEKDAY_FORMAT),
        "start": date_format(start, "H:i"),
        "end": date_format(end, "H:i"),
    }


def _session_time(session: Session, forum: Forum) -> str:
    """The session's day and times in ``forum``'s time zone with its city, e.g.
    "Wednesday 22 January 2020, 14:00–16:30, Quito time"."""
    return _("%(day)s, %(start)s–%(end)s, %(city)s time") % {**_local_times(session, forum), "city": forum.city}


def _slot(session: Session, forum: Forum) -> str:
    """The session's day and times in ``forum``'s time zone, e.g. "Wednesday 22 January 2020, 14:00–16:30"."""
    return _("%(day)s, %(start)s–%(end)s") % _local_times(session, forum)


def _day(day: date) -> str:
    return date_format(day, DAY_FORMAT)
