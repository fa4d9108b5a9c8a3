"""A participant's personal calendar feed: its secret key and the sessions it holds.

The feed lives at a URL carrying ``Registration.calendar_token``, so calendar apps
(Google Calendar, Outlook, Apple Calendar) can fetch it without signing in. The key is
made on first need (``calendar_token_of``) with ``secrets.token_urlsafe`` (256 random
bits, unguessable) and looked up through its unique index; a new key
(``new_calendar_token``) revokes the old URL, which then answers 404.

What the feed holds (``personal_entries``):

- for a confirmed participant, every plenary and each parallel session they hold a seat
  in (STATUS:CONFIRMED), and the sessions whose waitlist they are on, as TENTATIVE with
  "Waitlist:" before the title, so the slot shows in their day and is confirmed by the
  next fetch once a seat frees up;
- for a registration awaiting approval or on the forum's waitlist, the same sessions,
  all TENTATIVE;
- for a declined or cancelled registration, nothing: the feed answers an empty calendar
  (not 404), so subscribed apps remove the events instead of keeping stale ones and
  reporting errors.
"""

import secrets

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from registration.models import Registration, SessionSignup
from sessions_app.calendars import UNPRINTED_TEXTS, Attendance
from sessions_app.models import Session

TOKEN_BYTES = 32
"""Random bytes in a calendar key (43 URL-safe characters; the column holds 64)."""


def calendar_token_of(registration: Registration) -> str:
    """``registration``'s calendar key, made and stored now if it has none.

    No query when the key exists. Otherwise one conditional UPDATE, so two requests
    racing to make the first key agree on the one stored (a second query reads it back
    for the loser). Sets ``registration.calendar_token``.
    """
    if registration.calendar_token:
        return registration.calendar_token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    made = Registration.objects.filter(pk=registration.pk, calendar_token__isnull=True).update(calendar_token=token)
    if not made:
        token = Registration.objects.values_list("calendar_token", flat=True).get(pk=registration.pk)
    registration.calendar_token = token
    return token


def new_calendar_token(registration: Registration) -> str:
    """Give ``registration`` a new calendar key and return it; the old feed URL answers 404 from now on.

    One UPDATE; sets ``registration.calendar_token``.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    Registration.objects.filter(pk=registration.pk).update(calendar_token=token)
    registration.calendar_token = token
    return token


def personal_feed_url(registration: Registration) -> str:
    """The absolute URL (on ``settings.SITE_URL``, in the active language) of ``registration``'s
    personal feed, making its key if needed (see ``calendar_token_of``)."""
    path = reverse("calendars:personal-ics", kwargs={"token": calendar_token_of(registration)})
    return settings.SITE_URL + path


def registration_by_calendar_token(token: str) -> Registration | None:
    """The registration whose calendar key is ``token``, with its forum joined, if that forum
    is published; None otherwise. One query through the key's unique index."""
    return Registration.objects.filter(calendar_token=token, forum__is_published=True).select_related("forum").first()


def personal_entries(registration: Registration) -> list[tuple[Session, Attendance]]:
    """The sessions of ``registration``'s feed in time order, each with the participant's
    ``Attendance`` (rules in the module docstring); room and theme joined, the texts no
    calendar prints (``calendars.UNPRINTED_TEXTS``) left unread.

    One query (the sign-up status is a subquery), none for a declined or cancelled registration.
    """
    if not registration.is_active:
        return []
    signup_status = SessionSignup.objects.filter(registration=registration, session=OuterRef("pk")).values("status")
    sessions = (
        Session.objects.filter(forum_id=registration.forum_id)
        .annotate(signup_status=Subquery(signup_status[:1]))
        .filter(Q(kind=Session.Kind.PLENARY) | Q(signup_status__isnull=False))
        .select_related("room", "theme")
        .defer(*UNPRINTED_TEXTS)
        .order_by("start", "title")
    )
    sure = registration.status == Registration.Status.CONFIRMED
    entries = []
    for session in sessions:
        if session.signup_status == SessionSignup.Status.WAITLISTED:
            attendance = Attendance.WAITLISTED
        else:
            attendance = Attendance.CONFIRMED if sure else Attendance.TENTATIVE
        entries.append((session, attendance))
    return entries
