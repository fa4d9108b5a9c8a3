"""Public pages of the event core: the forums, a forum's home, its speakers and organizations.

Views are thin: each reads through ``forum.selectors`` and renders a template. A forum
that does not exist or is not published answers 404, as does a person who does not
appear in the forum's agendas. Anonymous visitors are served from the shared cache
(``forum.caching.PublicCacheMixin``), except for a speaker's photo, streamed from storage
(``forum.photos``).
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cached_property

from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView

from forum import photos, selectors
from forum.caching import PublicCacheMixin
from forum.models import Forum, Person
from registration import selectors as registration_selectors
from sessions_app.published import public_schedule
from sessions_app.recommendations import RecommendationsDocument


class PublishedForumMixin:
    """Loads the published forum named by the ``forum_slug`` URL argument (404 otherwise)
    once per request, and puts it in the template context as ``forum``."""

    kwargs: dict

    @cached_property
    def forum(self) -> Forum:
        """The published forum of the URL; raises ``Http404`` if there is none."""
        return get_object_or_404(selectors.forum_published(), slug=self.kwargs["forum_slug"])

    def get_context_data(self, **kwargs):
        """Add ``forum`` to the context."""
        return super().get_context_data(forum=self.forum, **kwargs)


class ForumListView(PublicCacheMixin, ListView):
    """The published forums, latest first (``forum/forum_list.html``)."""

    template_name = "forum/forum_list.html"
    context_object_name = "forums"

    def get_queryset(self):
        """Published forums with their session counts."""
        return selectors.forum_list_published()


def registration_state(forum: Forum) -> str | None:
    """Where ``forum``'s registration stands now: ``"upcoming"``, ``"open"`` or ``"closed"``;
    None when the forum has no registration settings (``registration_settings`` should be joined)."""
    registration_settings = getattr(forum, "registration_settings", None)
    if registration_settings is None:
        return None
    now = timezone.now()
    if now < registration_settings.opens_at:
        return "upcoming"
    return "open" if now < registration_settings.closes_at else "closed"


def registration_boundaries(forum: Forum) -> Iterable[datetime]:
    """The moments (aware) at which ``forum``'s registration opens and closes, when pages
    saying whether it is open change by themselves; none without registration settings
    (``registration_settings`` should be joined)."""
    registration_settings = getattr(forum, "registration_settings", None)
    if registration_settings is None:
        return ()
    return (registration_settings.opens_at, registration_settings.closes_at)


class ForumHomeView(PublicCacheMixin, DetailView):
    """A forum's home page: title, edition, theme, place, dates, introduction and hosts, and
    its registration: whether it is open, opens later or has closed, with "Register" for a
    visitor without an active registration while it is open and "My registration" for a
    signed-in participant who has one, and the outcome document's download once a
    session's recommendations document is published."""

    template_name = "forum/forum_home.html"
    context_object_name = "forum"
    slug_url_kwarg = "forum_slug"

    def get_queryset(self):
        """Published forums with their host organizations and registration settings loaded,
        and ``has_outcome_document``: whether any of their recommendations documents is published."""
        published = RecommendationsDocument.objects.filter(
            session__forum=OuterRef("pk"), status=RecommendationsDocument.Status.PUBLISHED
        )
        return (
            selectors.forum_for_home()
            .select_related("registration_settings")
            .annotate(has_outcome_document=Exists(published))
        )

    def get_context_data(self, **kwargs):
        """Add ``registration_state`` and ``registration`` (the signed-in user's, any status, or None)."""
        forum = self.object
        return super().get_context_data(
            registration_state=registration_state(forum),
            registration=registration_selectors.registration_of(forum, self.request.user),
            **kwargs,
        )

    def content_changes_at(self) -> Iterable[datetime]:
        """When registration opens and closes: the page says whether it is open."""
        return registration_boundaries(self.object)


class SpeakerListView(PublicCacheMixin, PublishedForumMixin, ListView):
    """People named in the forum's agendas, alphabetically, with their default position,
    100 a page (``?page=N``; a page past the last answers 404)."""

    cached_query_params = ("page",)

    template_name = "forum/speaker_list.html"
    context_object_name = "speakers"
    paginate_by = 100

    def get_queryset(self):
        """The forum's speakers with organizations and session counts."""
        return selectors.speaker_list(forum=self.forum, schedule=public_schedule(self.forum, self.request.user))


SPEAKER_PHOTO_SIDE = 240
"""Largest side, in CSS pixels, of a person's photo on their speaker page."""


class SpeakerDetailView(PublicCacheMixin, PublishedForumMixin, DetailView):
    """A speaker's page: name, default position, bio and every appearance in the forum."""

    template_name = "forum/speaker_detail.html"
    context_object_name = "person"
    slug_url_kwarg = "person_slug"

    def get_queryset(self):
        """People of the forum's agendas with their appearances in this forum loaded."""
        return selectors.speaker_detail(forum=self.forum, schedule=public_schedule(self.forum, self.request.user))

    def get_context_data(self, **kwargs):
        """Add ``photo_size``: (width, height) at which the page shows the person's photo, or None."""
        return super().get_context_data(photo_size=photos.display_size(self.object.photo, SPEAKER_PHOTO_SIDE), **kwargs)


class SpeakerPhotoView(PublishedForumMixin, View):
    """A speaker's photo (``forum.photos.photo_response``), for the ``<img>`` of their page.

    Served to whoever sees the speaker page: 404 unless the forum is published and the
    person appears in the sessions of its programme this visitor sees (the latest
    release's, or the working programme for staff), and 404 for a person without a photo.
    Not kept in the shared page cache: each request streams the file from storage.
    """

    def get(self, request, forum_slug: str, person_slug: str):
        """The photo of person ``person_slug`` if they are on ``forum_slug``'s programme."""
        appears = selectors.appearances_in(self.forum, public_schedule(self.forum, request.user))
        people = Person.objects.filter(Exists(appears.filter(person=OuterRef("pk")))).only("slug", "photo")
        person = get_object_or_404(people, slug=person_slug)
        return photos.photo_response(request, person.photo, person.slug)


class OrganizationListView(PublicCacheMixin, PublishedForumMixin, ListView):
    """Organizations hosting the forum, organizing its sessions or represented on its agendas."""

    template_name = "forum/organization_list.html"
    context_object_name = "organizations"

    def get_queryset(self):
        """The forum's organizations by kind with their sessions and people loaded."""
        return selectors.organization_list(forum=self.forum)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The 403 page of a form refused by Django's CSRF check (``CSRF_FAILURE_VIEW``), in
    the site's layout, saying whether the browser sent no CSRF cookie (cookies blocked)
    or a token that no longer matches (the form was open too long, or came from elsewhere).

    ``reason`` is Django's (``django.middleware.csrf.REASON_*``). Django's own view gives a
    project ``403_csrf.html`` no context, so its "no cookie" case could not be told.
    """
    return render(request, "403_csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE}, status=403)
