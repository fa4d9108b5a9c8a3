"""iCalendar downloads and feeds, and the participant's "new link" for their personal feed.

Views are thin: they read through ``sessions_app.calendars`` and ``registration.calendar``
and answer ``text/calendar``. An unknown or unpublished forum, a session slug unknown in
that forum, or an unknown (or revoked) personal key answers 404. The personal feed needs
no sign-in (calendar apps cannot sign in): its key is the secret.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.generic import View
from icalendar import Calendar

from forum.views import PublishedForumMixin
from registration import calendar as personal
from registration.views import ParticipantMixin
from sessions_app import calendars
from sessions_app.published import public_schedule

CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_response(calendar: Calendar, *, filename: str | None = None) -> HttpResponse:
    """An HTTP response carrying ``calendar``; with ``filename``, as a download of that name."""
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    if filename:
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class ProgrammeCalendarView(PublishedForumMixin, View):
    """The feed of a published forum's whole programme as released (``published``; up to
    four queries, whatever its size)."""

    def get(self, request, *args, **kwargs):
        """Answer the programme as ``text/calendar``."""
        schedule = public_schedule(self.forum)
        sessions = schedule.apply(calendars.feed_sessions(self.forum))
        calendar = calendars.programme_calendar(self.forum, sessions, stamp=timezone.now(), sequence=schedule.version)
        return calendar_response(calendar)


class SessionCalendarView(View):
    """One session of a published forum as released (``published``) as an ``.ics`` download
    (up to three queries)."""

    def get(self, request, forum_slug: str, session_slug: str):
        """Answer the session's file, named ``<forum>-<session>.ics``; ``Http404`` for a
        session added since the latest release."""
        session = get_object_or_404(calendars.sessions_for_calendar(forum_slug), slug=session_slug)
        schedule = public_schedule(session.forum)
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

    Marked private so that no shared cache keeps a participant's sessions.
    """

    def get(self, request, token: str):
        """Answer the feed of the registration whose key is ``token``; ``Http404`` if there is none."""
        registration = personal.registration_by_calendar_token(token)
        if registration is None:
            raise Http404("No calendar has this address.")
        attendances = dict(personal.personal_entries(registration))
        schedule = public_schedule(registration.forum)
        entries = [(session, attendances[session]) for session in schedule.apply(attendances)]
        calendar = calendars.personal_calendar(
            registration.forum, entries, stamp=timezone.now(), sequence=schedule.version
        )
        response = calendar_response(calendar)
        patch_cache_control(response, private=True)
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
