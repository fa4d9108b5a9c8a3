"""The participant's pages: register (and edit), my registration, cancelling, session sign-up
and leaving, and the forum's privacy notice.

Views are thin: they look up the published forum, the session and the signed-in user's
own registration, and call ``registration.services``, turning a ``RegistrationError``
into a message on the form or a flash message. Everything is looked up through
``request.user``, so nobody reaches another participant's registration. Every change is
a POST with a CSRF token; leaving a session and cancelling have a confirmation page.
"""

from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from forum.db_errors import WriteGuardMixin
from forum.models import Forum
from forum.selectors import forum_published
from forum.views import PublishedForumMixin
from registration import selectors, services
from registration.calendar import personal_feed_url
from registration.forms import RegistrationForm, SessionSignupForm
from registration.models import Registration, SessionSignup
from registration.services import DETAIL_FIELDS, RegistrationError
from sessions_app.models import Session
from sessions_app.published import shown_to


def registration_is_open(forum: Forum) -> bool:
    """True while ``forum`` takes registrations; ``forum.registration_settings`` should be joined."""
    registration_settings = getattr(forum, "registration_settings", None)
    return registration_settings is not None and registration_settings.is_open()


class RegistrationForumMixin(PublishedForumMixin):
    """``PublishedForumMixin`` whose forum comes with its registration settings (same query),
    and ``registration_open`` in the template context."""

    @cached_property
    def forum(self) -> Forum:
        """The published forum of the URL with ``registration_settings`` joined; ``Http404`` otherwise."""
        queryset = forum_published().select_related("registration_settings")
        return get_object_or_404(queryset, slug=self.kwargs["forum_slug"])

    def get_context_data(self, **kwargs):
        """Add ``registration_open``."""
        return super().get_context_data(registration_open=registration_is_open(self.forum), **kwargs)


class ParticipantMixin(LoginRequiredMixin, WriteGuardMixin, RegistrationForumMixin):
    """A signed-in user's page of a forum, with their own ``registration`` (or None).

    A write the database refuses (a constraint, a lock wait timed out) becomes a message
    on the form or a flash message, with nothing saved (``forum.db_errors``).
    """

    @cached_property
    def registration(self) -> Registration | None:
        """The signed-in user's registration for the forum (any status), with its waitlist position."""
        return selectors.registration_of(self.forum, self.request.user)

    def my_registration_url(self) -> str:
        """The URL of the user's My registration page for this forum."""
        return reverse("registration:my-registration", kwargs={"forum_slug": self.forum.slug})

    def get_context_data(self, **kwargs):
        """Add ``registration``."""
        return super().get_context_data(registration=self.registration, **kwargs)


class SessionMixin:
    """Loads the session ``session_slug`` of the view's published forum (404 otherwise)."""

    kwargs: dict
    forum: Forum
    request: HttpRequest

    @cached_property
    def session(self) -> Session:
        """The forum's session named by the URL; raises ``Http404`` if there is none or,
        except for staff, it was added after the programme's latest release (``published``)."""
        queryset = self.forum.sessions.select_related("room")  # each holds ``self.forum``: no query for it
        session = get_object_or_404(queryset, slug=self.kwargs["session_slug"])
        if not shown_to(self.request.user, session):
            raise Http404("This session is not in the released programme yet.")
        return session

    def signup(self, registration: Registration | None) -> SessionSignup | None:
        """``registration``'s sign-up for the session, with its waitlist position, or None."""
        if registration is None:
            return None
        return next((s for s in selectors.signups_of(registration) if s.session_id == self.session.pk), None)


def status_sentence(registration: Registration, forum: Forum) -> str:
    """Where a new or edited registration for ``forum`` stands: confirmed, awaiting approval or
    waitlisted, and then whether the forum or only the participant's category is full."""
    if registration.status == Registration.Status.CONFIRMED:
        return _("Your place at %(forum)s is confirmed.") % {"forum": forum.title}
    if registration.status == Registration.Status.SUBMITTED:
        return _(
            "Your registration for %(forum)s is awaiting the organizers' approval; "
            "we will write to you when they decide."
        ) % {"forum": forum.title}
    if services.waitlist_reason(registration) == "category":
        return _(
            "The places at %(forum)s for the category “%(category)s” are taken: you are on the waitlist, "
            "in position %(position)s. We will write to you when a place frees up."
        ) % {
            "forum": forum.title,
            "category": registration.get_category_display(),
            "position": registration.waitlist_position,
        }
    return _(
        "All places at %(forum)s are taken: you are on the waitlist, in position %(position)s. "
        "We will write to you when a place frees up."
    ) % {"forum": forum.title, "position": registration.waitlist_position}


def holds_seats(signups: list[SessionSignup]) -> bool:
    """True if one of ``signups`` holds a seat (not only a place on a session's waitlist)."""
    return any(signup.status == SessionSignup.Status.CONFIRMED for signup in signups)


def cancellation_sentence(*, was_waitlisted: bool, held_seats: bool) -> str:
    """What a participant's cancellation freed: their place (and session seats), or their waitlist place."""
    if was_waitlisted:
        return _("You have left the waitlist.")
    if held_seats:
        return _("Your place and session seats are free for others.")
    return _("Your place is free for others.")


class RegisterView(ParticipantMixin, FormView):
    """Register for the forum, or edit one's details while registration is open.

    A user without an active registration gets the registration form; one with an
    active registration gets the same form pre-filled, without the consent already
    given and with the participant category locked (an edit never changes it). On GET,
    a user who may not register (closed, not open yet, e-mail not verified) sees why
    instead of the form. A refusal on submit is shown on the form with what was typed
    kept, except ``already_registered`` (a second submit), which leads to My
    registration. A declined participant is sent to My registration.
    """

    template_name = "registration/register.html"
    form_class = RegistrationForm

    @cached_property
    def editing(self) -> bool:
        """True when the user edits an active registration.

        A POST of the new-registration form (``intent=register``, e.g. its second submit)
        is a registration even when one exists, so the services answer ``already_registered``.
        """
        if self.registration is None or not self.registration.is_active:
            return False
        return self.request.method != "POST" or self.request.POST.get("intent") != "register"

    def dispatch(self, request, *args, **kwargs):
        """Send a declined participant to My registration, which tells them so."""
        if request.user.is_authenticated and self.registration is not None:
            if self.registration.status == Registration.Status.DECLINED:
                return redirect(self.my_registration_url())
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        """A participant who cancelled starts from the details they gave before."""
        if self.registration is not None and not self.editing:
            return model_to_dict(self.registration, fields=DETAIL_FIELDS)
        return super().get_initial()

    def get_form_kwargs(self):
        """Pass the forum (for the privacy notice link) and, when editing, the registration."""
        kwargs = super().get_form_kwargs()
        kwargs["forum"] = self.forum
        if self.editing:
            kwargs["instance"] = self.registration
        return kwargs

    def refusal(self) -> RegistrationError | None:
        """Why the user may not submit the form now, or None (``services.check_can_register``)."""
        try:
            services.check_can_register(self.forum, self.request.user)
        except RegistrationError as error:
            if self.editing and error.code == "not_verified":
                return None  # only a new registration needs a verified address
            return error
        return None

    def get_context_data(self, **kwargs):
        """Add ``editing`` and, before anything was submitted, the ``refusal``."""
        context = super().get_context_data(editing=self.editing, **kwargs)
        if not context["form"].is_bound:
            context["refusal"] = self.refusal()
        return context

    def form_valid(self, form):
        """Register or save the edit through the services; refusals go on the form."""
        try:
            if self.editing:
                services.update_details(registration=self.registration, details=form.cleaned_data)
            else:
                services.register(forum=self.forum, user=self.request.user, details=form.cleaned_data)
        except RegistrationError as error:
            if error.code == "already_registered":
                messages.info(self.request, error.message)
                return redirect(self.my_registration_url())
            form.add_error(None, error.message)
            return self.form_invalid(form)
        opening = _("Your details were saved.") if self.editing else _("Thank you for registering.")
        registration = selectors.registration_of(self.forum, self.request.user)
        level = messages.WARNING if registration.status == Registration.Status.WAITLISTED else messages.SUCCESS
        messages.add_message(self.request, level, f"{opening} {status_sentence(registration, self.forum)}")
        return redirect(self.my_registration_url())


class MyRegistrationView(ParticipantMixin, TemplateView):
    """The participant's registration: status (for a waitlisted one, whether the forum or
    only their category is full), details, chosen sessions with their times in the forum's
    time zone and waitlist positions, and the ways to leave or cancel."""

    template_name = "registration/my_registration.html"

    def get_context_data(self, **kwargs):
        """Add ``signups`` (in programme order, with room and waitlist position), ``holds_seats``,
        ``waitlist_reason`` (``services.waitlist_reason``) and, for an active registration,
        ``calendar_url``, its personal feed (the key is made on the first visit)."""
        registration = self.registration
        signups = selectors.signups_of(registration) if registration is not None else []
        reason = services.waitlist_reason(registration) if registration is not None else None
        active = registration is not None and registration.is_active
        return super().get_context_data(
            signups=signups,
            holds_seats=holds_seats(signups),
            waitlist_reason=reason,
            calendar_url=personal_feed_url(registration) if active else None,
            **kwargs,
        )


class CancelRegistrationView(ParticipantMixin, TemplateView):
    """Cancel one's registration: GET asks for confirmation, POST cancels.

    Cancelling frees the participant's place and session seats for the waitlists, or takes
    a waitlisted participant out of the line (``services.cancel_registration``); the page
    and the message say which. Without an active registration the user is sent to My
    registration.
    """

    template_name = "registration/cancel_confirm.html"

    def get(self, request, *args, **kwargs):
        """The confirmation page."""
        if self.registration is None or not self.registration.is_active:
            messages.info(request, _("You have no active registration to cancel."))
            return redirect(self.my_registration_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        """Add ``signups`` (the sessions the participant leaves), ``holds_place`` and ``holds_seats``."""
        signups = selectors.signups_of(self.registration)
        return super().get_context_data(
            signups=signups,
            holds_place=self.registration.status in Registration.HOLDING_PLACES,
            holds_seats=holds_seats(signups),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        """Cancel the registration and report the outcome."""
        if self.registration is None:
            messages.info(request, _("You have no active registration to cancel."))
            return redirect(self.my_registration_url())
        was_waitlisted = self.registration.status == Registration.Status.WAITLISTED
        held_seats = self.registration.signups.filter(status=SessionSignup.Status.CONFIRMED).exists()
        try:
            cancelled = services.cancel_registration(registration=self.registration)
        except RegistrationError as error:
            messages.error(request, error.message)
        else:
            if cancelled:
                opening = _("Your registration for %(forum)s is cancelled.") % {"forum": self.forum.title}
                outcome = cancellation_sentence(was_waitlisted=was_waitlisted, held_seats=held_seats)
                messages.success(request, f"{opening} {outcome}")
            else:
                messages.info(request, _("Your registration was already cancelled."))
        return redirect(self.my_registration_url())


class SessionSignupView(ParticipantMixin, SessionMixin, View):
    """Sign up for a parallel session (POST only), or join its waitlist with ``join_waitlist``.

    The outcome, or the refusal (session full, overlapping session, registration not
    confirmed, plenary), is a flash message; the user goes back to ``next`` when it is a
    URL of this site, else to the session's page.
    """

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        """Call ``services.session_sign_up`` and report the outcome."""
        form = SessionSignupForm(request.POST)
        join_waitlist = form.is_valid() and form.cleaned_data["join_waitlist"]
        if self.registration is None:
            messages.error(request, _("Register for the forum first: sessions are for confirmed participants."))
            return HttpResponseRedirect(self.next_url())
        try:
            signup = services.session_sign_up(
                registration=self.registration, session=self.session, join_waitlist=join_waitlist
            )
        except RegistrationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(self.next_url())
        title = self.session.title
        if signup.status == SessionSignup.Status.CONFIRMED:
            messages.success(request, _("You have a seat in “%(title)s”.") % {"title": title})
        else:
            position = self.signup(self.registration).waitlist_position
            messages.info(
                request,
                _(
                    "You are on the waitlist of “%(title)s”, in position %(position)s. "
                    "We will write to you if a seat frees up."
                )
                % {"title": title, "position": position},
            )
        return HttpResponseRedirect(self.next_url())

    def write_refused_url(self) -> str:
        """After a refused write, back to ``next_url`` (this URL takes only POSTs)."""
        return self.next_url()

    def next_url(self) -> str:
        """The ``next`` URL posted with the form if it is on this site, else the session's page."""
        candidate = self.request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return candidate
        return reverse(
            "sessions_app:session-detail", kwargs={"forum_slug": self.forum.slug, "session_slug": self.session.slug}
        )


class SessionLeaveView(ParticipantMixin, SessionMixin, TemplateView):
    """Leave a session (seat or waitlist place): GET asks for confirmation, POST leaves.

    A freed seat goes to the first on the session's waitlist (``services.session_leave``).
    """

    template_name = "registration/leave_confirm.html"

    def get(self, request, *args, **kwargs):
        """The confirmation page, or My registration if the user is not in the session."""
        signup = self.signup(self.registration)
        if signup is None:
            messages.info(request, _("You are not signed up for “%(title)s”.") % {"title": self.session.title})
            return redirect(self.my_registration_url())
        return self.render_to_response(self.get_context_data(session=self.session, signup=signup))

    def post(self, request, *args, **kwargs):
        """Leave the session and report the outcome."""
        title = self.session.title
        if self.registration is not None and services.session_leave(
            registration=self.registration, session=self.session
        ):
            messages.success(request, _("You left “%(title)s”.") % {"title": title})
        else:
            messages.info(request, _("You are not signed up for “%(title)s”.") % {"title": title})
        return redirect(self.my_registration_url())


class PrivacyNoticeView(RegistrationForumMixin, TemplateView):
    """The forum's privacy notice: what participants' data is kept, why, who sees it, their rights."""

    template_name = "registration/privacy.html"

    def get_context_data(self, **kwargs):
        """Add ``contact_email``, the address participants write to about their data."""
        return super().get_context_data(contact_email=settings.DEFAULT_FROM_EMAIL, **kwargs)
