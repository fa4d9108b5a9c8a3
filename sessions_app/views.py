"""Public pages of the programme: the programme by day and a session's page.

Views are thin: they read through ``sessions_app.selectors``. Templates print times in
the forum's time zone (``{% timezone forum.time_zone %}`` in ``forum/base.html``).
An unknown or unpublished forum, or a session slug unknown in that forum, answers 404.
"""

from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, TemplateView

from forum.views import PublishedForumMixin
from sessions_app import selectors


class ProgrammeView(PublishedForumMixin, TemplateView):
    """The forum's programme: ``days`` (``selectors.ProgrammeDay``) in the forum's time zone."""

    template_name = "sessions_app/programme.html"

    def get_context_data(self, **kwargs):
        """Add ``days``, the programme grouped by day, time slot and theme."""
        return super().get_context_data(days=selectors.programme_days(forum=self.forum), **kwargs)


class SessionDetailView(DetailView):
    """A session's page, every section of its concept note in order, and its agenda."""

    template_name = "sessions_app/session_detail.html"
    context_object_name = "session"

    def get_object(self, queryset=None):
        """The session ``session_slug`` of the published forum ``forum_slug``; ``Http404`` otherwise."""
        return get_object_or_404(
            selectors.session_for_page(forum_slug=self.kwargs["forum_slug"]), slug=self.kwargs["session_slug"]
        )

    def get_context_data(self, **kwargs):
        """Add the session's ``forum`` (already joined, no query)."""
        return super().get_context_data(forum=self.object.forum, **kwargs)
