"""Public pages of the programme: the programme by day and a session's page.

Views are thin: they read through ``sessions_app.selectors`` and
``registration.selectors``. Templates print times in the forum's time zone
(``{% timezone forum.time_zone %}`` in ``forum/base.html``). An unknown or unpublished
forum, or a session slug unknown in that forum, answers 404.

Parallel sessions show their places left and, to a signed-in participant, the sign-up
control of ``registration/includes/session_signup.html`` (or, instead, the session they
chose at the same time); the seats taken and the participant's sign-ups are read in one
query each, whatever the programme's size.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, TemplateView

from forum.models import Forum
from registration import selectors as registration_selectors
from registration.models import Registration, SessionSignup
from registration.services import session_capacity
from registration.views import RegistrationForumMixin, registration_is_open
from sessions_app import selectors
from sessions_app.models import Session


@dataclass(frozen=True)
class Places:
    """A parallel session's seats for participants: ``capacity`` (None: no limit) and ``taken``."""

    capacity: int | None
    taken: int

    @property
    def left(self) -> int | None:
        """Seats still free (0 when full), None without a limit."""
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


def participant_signups(forum: Forum, user) -> tuple[Registration | None, dict[int, SessionSignup]]:
    """``user``'s registration for ``forum`` and their sign-ups by session id (two queries at most)."""
    registration = registration_selectors.registration_of(forum, user)
    if registration is None:
        return None, {}
    return registration, {signup.session_id: signup for signup in registration_selectors.signups_of(registration)}


def same_time_choice(session: Session, signups: dict[int, SessionSignup]) -> Session | None:
    """The first session (in programme order) of ``signups`` whose time overlaps ``session``, or None.

    None for a plenary and for a session the participant signed up for (or waits for) itself.
    Reads only the sessions already loaded with ``signups``.
    """
    if session.is_plenary or session.pk in signups:
        return None
    return next(
        (
            signup.session
            for signup in signups.values()
            if signup.session.start < session.end and session.start < signup.session.end
        ),
        None,
    )


def mark_places(sessions: Iterable[Session], taken: dict[int, int], signups: dict[int, SessionSignup]) -> None:
    """Set ``places``, ``my_signup`` (the participant's sign-up or None) and ``same_time_choice``
    (the participant's chosen session at the same time, see ``same_time_choice``) on each session."""
    for session in sessions:
        session.places = Places(session_capacity(session), taken.get(session.pk, 0))
        session.my_signup = signups.get(session.pk)
        session.same_time_choice = same_time_choice(session, signups)


class ProgrammeView(RegistrationForumMixin, TemplateView):
    """The forum's programme: ``days`` (``selectors.ProgrammeDay``) in the forum's time zone,
    each parallel session with its places and the signed-in participant's sign-up."""

    template_name = "sessions_app/programme.html"

    def get_context_data(self, **kwargs):
        """Add ``days``, the programme grouped by day, time slot and theme, and ``registration``."""
        sessions = list(selectors.programme_sessions(forum=self.forum))
        registration, signups = participant_signups(self.forum, self.request.user)
        taken = registration_selectors.seats_taken(Session.objects.filter(forum=self.forum))
        mark_places(sessions, taken, signups)
        days = selectors.programme_group(sessions, tz=self.forum.tzinfo)
        return super().get_context_data(days=days, registration=registration, **kwargs)


class SessionDetailView(DetailView):
    """A session's page, every section of its concept note in order, and its agenda; a
    parallel session shows its places and the participant's sign-up control. Once the
    session's recommendations document is published, the page shows it too."""

    template_name = "sessions_app/session_detail.html"
    context_object_name = "session"

    def get_object(self, queryset=None):
        """The session ``session_slug`` of the published forum ``forum_slug``; ``Http404`` otherwise."""
        sessions = selectors.session_for_page(forum_slug=self.kwargs["forum_slug"]).select_related(
            "forum__registration_settings"
        )
        return get_object_or_404(sessions, slug=self.kwargs["session_slug"])

    def get_context_data(self, **kwargs):
        """Add the session's ``forum`` (already joined), ``registration``, ``registration_open``
        and ``recommendations`` (``selectors.PrintedRecommendations`` if published, else None)."""
        session, forum = self.object, self.object.forum
        registration, signups = participant_signups(forum, self.request.user)
        if not session.is_plenary:
            taken = registration_selectors.seats_taken(Session.objects.filter(pk=session.pk))
            mark_places([session], taken, signups)
        return super().get_context_data(
            forum=forum,
            registration=registration,
            registration_open=registration_is_open(forum),
            recommendations=selectors.published_recommendations(session),
            **kwargs,
        )
