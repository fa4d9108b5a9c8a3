"""iCalendar downloads and feeds, and the participant's "new link" for their personal feed.

Views are thin: they read through ``sessions_app.calendars`` and ``registration.calendar``
and answer ``text/calendar``. An unknown or unpublished forum, a session slug unknown in
that forum, or an unknown (or revoked) personal key answers 404. The personal feed needs
no sign-in (calendar apps cannot sign in): its key is the secret.

The programme's and a session's files are served to anonymous visitors from the shared
cache (``forum.caching``), with ``ETag`` and ``Last-Modified``. The personal feed is
never in the shared cache; it carries an ``ETag`` and ``Last-Modified`` of the cache's
generation, so a calendar app that asks again before anything changed gets a 304 after
one query.
"""

import hashlib

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import View
from icalendar import Calendar

from forum import caching
from forum.caching import PublicCacheMixin
from forum.views import PublishedForumMixin
from registration import calendar as personal
from registration.views import ParticipantMixin
from sessions_app import calendars
from sessions_app.published import public_schedule, session_schedule

CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_response(calendar: Calendar, *, filename: str | None = None) -> HttpResponse:
    """An HTTP response carrying ``calendar``; with ``filename``, as a download of that name."""
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    if filename:
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class ProgrammeCalendarView(PublicCacheMixin, PublishedForumMixin, View):
    """The feed of a published forum's whole programme as released (``published``; up to
    four queries, whatever its size)."""

    def get(self, request, *args, **kwargs):
        """Answer the programme as ``text/calendar``."""
        schedule = public_schedule(self.forum)
        sessions = schedule.apply(calendars.feed_sessions(self.forum))
        calendar = calendars.programme_calendar(self.forum, sessions, stamp=timezone.now(), sequence=schedule.version)
        return calendar_response(calendar)


class SessionCalendarView(PublicCacheMixin, View):
    """One session of a published forum as released (``published``) as an ``.ics`` download
    (up to three queries)."""

    def get(self, request, forum_slug: str, session_slug: str):
        """Answer the session's file, named ``<forum>-<session>.ics``; ``Http404`` for a
        session added since the latest release."""
        session = get_object_or_404(calendars.sessions_for_calendar(forum_slug), slug=session_slug)
        schedule = session_schedule(session)
        if not schedule.shows(session):
            raise Http404("This session is not in the released programme yet.")
        schedule.apply([session])
        calendar = calendars.session_calendar(
            session, forum=session.forum, stamp=timezone.now(), sequence=schedule.version
        )
        return calendar_response(calendar, filename=f"{forum_slug}-{session_slug}.ics")


class PersonalCalendarView(View):
    """A participant's feed as released (``published``), found by its secret key (up to
    four queries, whatever its size).

    Marked private so that no shared cache keeps a participant's sessions, and no-cache
    so that a client revalidates before reusing its copy. Its ``ETag``
    and ``Last-Modified`` are those of the cache's generation (``forum.caching``), which
    every change the feed shows replaces: a conditional GET that matches them gets a
    304 after the key's lookup, without reading the sessions. With the cache failing,
    every generation is new: the feed is sent whole.
    """

    def get(self, request, token: str):
        """Answer the feed of the registration whose key is ``token``, or 304 (see the
        class docstring); ``Http404`` if there is none."""
        registration = personal.registration_by_calendar_token(token)
        if registration is None:
            raise Http404("No calendar has this address.")
        current = caching.generation()
        etag = quote_etag(hashlib.sha256(f"{current.token}:{token}:{get_language()}".encode()).hexdigest()[:32])
        not_modified = get_conditional_response(request, etag=etag, last_modified=current.at)
        if not_modified is not None:
            patch_cache_control(not_modified, private=True, no_cache=True)
            return not_modified
        attendances = dict(personal.personal_entries(registration))
        schedule = public_schedule(registration.forum)
        entries = [(session, attendances[session]) for session in schedule.apply(attendances)]
        calendar = calendars.personal_calendar(
            registration.forum, entries, stamp=timezone.now(), sequence=schedule.version
        )
        response = calendar_response(calendar)
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(current.at)
        patch_cache_control(response, private=True, no_cache=True)
        return response


class NewPersonalCalendarLinkView(ParticipantMixin, View):
    """POST: give the signed-in participant's feed a new key, revoking the old address.

    An anonymous visitor is sent to sign in; a user without a registration for the forum
    gets 404. Back to My registration with a message.
    """

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        """Replace the key and report it."""
        if self.registration is None:
            raise Http404("You have no registration for this forum.")
        personal.new_calendar_token(self.registration)
        messages.success(
            request,
            _(
                "Your calendar has a new address. The old one no longer works: "
                "subscribe again in your calendar app with the new one."
            ),
        )
        return redirect(self.my_registration_url() + "#calendar")
