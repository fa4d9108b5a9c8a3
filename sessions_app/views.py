"""Public pages of the programme: the programme by day (with its filters and search), a
session's page and the "now and next" screen for the venue.

Views are thin: they read through ``sessions_app.selectors``, ``sessions_app.search`` and
``registration.selectors``. Templates print times in the forum's time zone
(``{% timezone forum.time_zone %}`` in ``forum/base.html``). An unknown or unpublished
forum, or a session slug unknown in that forum, answers 404.

Parallel sessions show their places left and, to a signed-in participant, the sign-up
control of ``registration/includes/session_signup.html`` (or, instead, the session they
chose at the same time); the seats taken and the participant's sign-ups are read in one
query each, whatever the programme's size.

The programme and session pages are served to anonymous visitors from the shared cache
(``forum.caching.PublicCacheMixin``) until their data changes or registration opens or
closes; the "now and next" screen, which changes with the clock, is not cached.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.generic import DetailView, TemplateView

from forum.caching import PublicCacheMixin
from forum.models import Forum
from forum.views import PublishedForumMixin, registration_boundaries
from registration import selectors as registration_selectors
from registration.models import Registration, SessionSignup
from registration.services import session_capacity
from registration.views import RegistrationForumMixin, registration_is_open
from sessions_app import search, selectors
from sessions_app.filter_forms import NowNextForm, ProgrammeFilterForm
from sessions_app.models import Session
from sessions_app.published import public_schedule, session_schedule


@dataclass(frozen=True)
class Places:
    """A parallel session's seats for participants: ``capacity`` (None: no limit) and ``taken``."""

    capacity: int | None
    taken: int

    @property
    def left(self) -> int | None:
        """Seats still free (0 when full), None without a limit."""
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    def label(self) -> str:
        """ "3 of 20 places left" (translated, the plural following the capacity), or ""
        when full or without a limit. Worked out here rather than with
        ``{% blocktranslate count %}`` in every card: a fraction of the time."""
        left = self.left
        if not left:
            return ""
        return ngettext(
            "%(left)s of %(capacity)s place left", "%(left)s of %(capacity)s places left", self.capacity
        ) % {"left": left, "capacity": self.capacity}


def participant_signups(forum: Forum, user) -> tuple[Registration | None, dict[int, SessionSignup]]:
    """``user``'s registration for ``forum`` and their sign-ups by session id (two queries at most)."""
    registration = registration_selectors.registration_of(forum, user)
    if registration is None:
        return None, {}
    return registration, {signup.session_id: signup for signup in registration_selectors.signups_of(registration)}


def same_time_choice(session: Session, signups: dict[int, SessionSignup]) -> Session | None:
    """The first session (in programme order) of ``signups`` whose time overlaps ``session``
    and which is not cancelled, or None.

    None for a plenary and for a session the participant signed up for (or waits for) itself.
    Reads only the sessions already loaded with ``signups``.
    """
    if session.is_plenary or session.pk in signups:
        return None
    return next(
        (
            signup.session
            for signup in signups.values()
            if not signup.session.is_cancelled
            and signup.session.start < session.end
            and session.start < signup.session.end
        ),
        None,
    )


def mark_places(sessions: Iterable[Session], taken: dict[int, int], signups: dict[int, SessionSignup]) -> None:
    """Set ``places``, ``my_signup`` (the participant's sign-up or None) and ``same_time_choice``
    (the participant's chosen session at the same time, see ``same_time_choice``) on each
    session, and the places line that ``registration/includes/session_places.html`` and the
    programme's cards print: ``places_note`` ("3 of 20 places left"; "Full — waitlist open"
    unless the participant holds a seat or waits; else "") and ``places_full``, whether it
    says full."""
    for session in sessions:
        session.places = places = Places(session_capacity(session), taken.get(session.pk, 0))
        session.my_signup = signups.get(session.pk)
        session.same_time_choice = same_time_choice(session, signups)
        session.places_full = places.capacity is not None and not places.left and not session.my_signup
        session.places_note = gettext("Full — waitlist open") if session.places_full else places.label()


def mark_card_footers(
    sessions: Iterable[Session], *, registration: Registration | None, registration_open: bool
) -> None:
    """Set ``card_footer`` on each session marked by ``mark_places``: whether its programme
    card ends with the places line and the sign-up control, i.e. whether
    ``registration/includes/session_signup.html`` has something to say (its branches, in
    order) or the session has a limit (a cancelled session keeps it only for a participant
    signed up for it, to leave)."""
    status = registration.status if registration is not None else None
    Status = Registration.Status
    for session in sessions:
        if session.is_cancelled and not session.my_signup:
            session.card_footer = False
            continue
        session.card_footer = bool(
            session.places.capacity is not None
            or session.my_signup
            or status in (Status.CONFIRMED, Status.SUBMITTED, Status.WAITLISTED)
            or (registration_open and status != Status.DECLINED)
        )


class ProgrammeView(PublicCacheMixin, RegistrationForumMixin, TemplateView):
    """The forum's programme: ``days`` (``selectors.ProgrammeDay``) in the forum's time zone,
    each parallel session with its places and the signed-in participant's sign-up.

    The query string filters it (``filter_forms.ProgrammeFilterForm``, ``search.programme_search``);
    a refused filter value is shown as an error on its field and ignored."""

    cached_query_params = ("q", "day", "kind", "theme", "room", "organization", "speaker")

    template_name = "sessions_app/programme.html"

    def get_context_data(self, **kwargs):
        """Add ``days``, the matching sessions grouped by day, time slot and theme (each
        labelled for its card: ``mark_places``, ``mark_card_footers``, ``selectors.label_cards``),
        ``registration``, ``filter_form``, ``filters`` (``search.ProgrammeFilters``),
        ``match_count`` and ``schedule`` (``published.PublicSchedule``: the sessions are
        shown as released, or to staff as they stand)."""
        schedule = public_schedule(self.forum, self.request.user)
        options = search.programme_filter_options(self.forum, schedule)
        filter_form = ProgrammeFilterForm(self.request.GET, options=options)
        filter_form.is_valid()
        filters = filter_form.filters()
        sessions = search.released_programme_search(forum=self.forum, filters=filters, schedule=schedule)
        registration, signups = participant_signups(self.forum, self.request.user)
        taken = registration_selectors.seats_taken(Session.objects.filter(forum=self.forum))
        mark_places(sessions, taken, signups)
        mark_card_footers(sessions, registration=registration, registration_open=registration_is_open(self.forum))
        selectors.label_cards(sessions, forum=self.forum)
        days = selectors.programme_group(sessions, tz=self.forum.tzinfo)
        return super().get_context_data(
            days=days,
            registration=registration,
            filter_form=filter_form,
            filters=filters,
            match_count=len(sessions),
            schedule=schedule,
            **kwargs,
        )

    def content_changes_at(self) -> Iterable[datetime]:
        """When registration opens and closes: "Register" links show while it is open."""
        return registration_boundaries(self.forum)


class SessionDetailView(PublicCacheMixin, DetailView):
    """A session's page, every section of its concept note in order, and its agenda; a
    parallel session shows its places and the participant's sign-up control. Once the
    session's recommendations document is published, the page shows it too."""

    template_name = "sessions_app/session_detail.html"
    context_object_name = "session"

    def get_object(self, queryset=None):
        """The session ``session_slug`` of the published forum ``forum_slug``, with its
        released time, room and status (``published.session_schedule``); ``Http404`` if
        there is none or it was added after the latest release (except for staff)."""
        session = selectors.session_page(forum_slug=self.kwargs["forum_slug"], session_slug=self.kwargs["session_slug"])
        if session is None:
            raise Http404("No such session in this forum.")
        self.schedule = session_schedule(session, self.request.user)
        if not self.schedule.shows(session):
            raise Http404("This session is not in the released programme yet.")
        self.schedule.apply([session])
        return session

    def get_context_data(self, **kwargs):
        """Add the session's ``forum`` (already joined), ``registration``, ``registration_open``
        and ``recommendations`` (``selectors.PrintedRecommendations`` if published, else None)."""
        session, forum = self.object, self.object.forum
        registration, signups = participant_signups(forum, self.request.user)
        if not session.is_plenary:
            mark_places([session], {session.pk: session.seats_taken}, signups)
        return super().get_context_data(
            forum=forum,
            registration=registration,
            registration_open=registration_is_open(forum),
            recommendations=selectors.published_recommendations(session),
            schedule=self.schedule,
            **kwargs,
        )

    def content_changes_at(self) -> Iterable[datetime]:
        """When registration opens and closes: the sign-up panel says whether it is open."""
        return registration_boundaries(self.object.forum)


class NowNextView(PublishedForumMixin, TemplateView):
    """The "now and next" screen of a forum for the venue (``selectors.now_and_next``), at the
    current time or, for a preview, at ``?at=YYYY-MM-DDTHH:MM`` in the forum's time zone; an
    invalid ``at`` is reported on the page, which then shows the current time."""

    template_name = "sessions_app/now_next.html"

    def get_context_data(self, **kwargs):
        """Add ``now_next`` (``selectors.NowNext``), ``at_form`` and ``preview`` (the
        moment asked for, or None)."""
        at_form = NowNextForm(self.request.GET, tz=self.forum.tzinfo)
        preview = at_form.cleaned_data["at"] if at_form.is_valid() else None
        now_next = selectors.now_and_next(
            forum=self.forum, at=preview or timezone.now(), schedule=public_schedule(self.forum)
        )
        return super().get_context_data(now_next=now_next, at_form=at_form, preview=preview, **kwargs)
