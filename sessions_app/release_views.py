"""Public pages of programme releases: the changelog and its Atom feed.

Both read the published forum of the URL (404 for an unknown or unpublished forum) and
its releases newest first, each with its changes in words (``sessions_app.release_texts``),
times in the forum's zone. Each runs a fixed number of queries, whatever the number of
releases and sessions: the forum, the releases (and, for the page, their count) and the
forum's current sessions (to link them). Both are served to anonymous visitors from the
shared cache (``forum.caching``).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.generic import ListView

from forum import selectors as forum_selectors
from forum.caching import PublicCacheMixin, cached_public_response
from forum.models import Forum
from forum.text import without_controls
from forum.views import PublishedForumMixin
from sessions_app.release_services import published_releases
from sessions_app.release_texts import ReleaseEntry, release_entries

RELEASES_PER_PAGE = 20
FEED_ENTRIES = 50
"""The newest releases the Atom feed carries."""


class ChangelogView(PublicCacheMixin, PublishedForumMixin, ListView):
    """The forum's releases, newest first, ``RELEASES_PER_PAGE`` a page (``?page=N``; a page
    past the last answers 404), each with its note and its changes by session; "No release
    yet" before the first."""

    cached_query_params = ("page",)

    template_name = "sessions_app/changelog.html"
    paginate_by = RELEASES_PER_PAGE

    def get_queryset(self):
        """The forum's releases, newest first, snapshots left out."""
        return published_releases(self.forum)

    def get_context_data(self, **kwargs):
        """Add ``entries``: the page's releases as ``ReleaseEntry`` objects."""
        context = super().get_context_data(**kwargs)
        context["entries"] = release_entries(context["object_list"], self.forum)
        return context


class ReleaseAtomFeed(Atom1Feed):
    """Atom 1.0 (RFC 4287) whose entries carry their HTML in ``<content type="html">``
    (section 4.1.3), from the item's ``content``. Every text of the feed and its entries
    is stripped of the characters XML cannot hold (``forum.text.without_controls``), so
    a control character in a title or a release note never breaks the feed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed = _xml_texts(self.feed)

    def add_item(self, *args, **kwargs):
        super().add_item(*args, **kwargs)
        self.items[-1] = _xml_texts(self.items[-1])

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


def _xml_texts(values: dict) -> dict:
    """``values`` with each string (or list of strings) stripped of control characters."""
    return {
        key: without_controls(value)
        if isinstance(value, str)
        else [without_controls(part) if isinstance(part, str) else part for part in value]
        if isinstance(value, list)
        else value
        for key, value in values.items()
    }


@dataclass(frozen=True)
class FeedSubject:
    """The forum of a feed request and the request's site root ("https://host"), for the
    absolute links inside entries."""

    forum: Forum
    root: str


@dataclass(frozen=True)
class FeedEntry:
    """A release as a feed entry."""

    release: ReleaseEntry
    link: str
    guid: str
    content: str


class ChangelogFeed(Feed):
    """The Atom feed of a forum's releases: one entry per release (the newest
    ``FEED_ENTRIES``), titled with its number, its note and changes as HTML content,
    ``updated`` and ``published`` = its release time, linked to its place on the changelog.

    Entry and feed ids are ``urn:uuid:`` names (RFC 4122 version 5) of the forum's key
    and the release number under ``settings.SITE_URL``: the same in every language and
    on every host, so a feed reader never shows a release twice.
    """

    feed_type = ReleaseAtomFeed

    def __call__(self, request, *args, **kwargs):
        """The feed, from the shared cache for anonymous visitors (``forum.caching``)."""
        parent = super().__call__
        return cached_public_response(request, lambda: parent(request, *args, **kwargs))

    def get_object(self, request, forum_slug: str) -> FeedSubject:
        """The published forum ``forum_slug`` (``Http404`` otherwise) and the site root."""
        forum = get_object_or_404(forum_selectors.forum_published(), slug=forum_slug)
        return FeedSubject(forum=forum, root=f"{request.scheme}://{request.get_host()}")

    def title(self, subject: FeedSubject) -> str:
        return _("%(forum)s: programme changes") % {"forum": subject.forum.title}

    def subtitle(self, subject: FeedSubject) -> str:
        return _(
            "Each release of the programme and what changed since the one before. Times are local to %(city)s."
        ) % {"city": subject.forum.city}

    def link(self, subject: FeedSubject) -> str:
        return reverse("releases:changelog", kwargs={"forum_slug": subject.forum.slug})

    def feed_guid(self, subject: FeedSubject) -> str:
        return _urn(f"forums/{subject.forum.pk}/changelog")

    def author_name(self, subject: FeedSubject) -> str:
        return _("The organizers of %(forum)s") % {"forum": subject.forum.title}

    def items(self, subject: FeedSubject) -> list[FeedEntry]:
        forum = subject.forum
        entries = release_entries(published_releases(forum)[:FEED_ENTRIES], forum)
        changelog = reverse("releases:changelog", kwargs={"forum_slug": forum.slug})
        latest = entries[0].number if entries else 0
        items = []
        for entry in entries:
            page = (latest - entry.number) // RELEASES_PER_PAGE + 1  # numbers are consecutive
            query = f"?page={page}" if page > 1 else ""
            content = render_to_string(
                "sessions_app/includes/release_changes.html", {"entry": entry, "base_url": subject.root}
            ).strip()
            items.append(
                FeedEntry(
                    release=entry,
                    link=f"{changelog}{query}#release-{entry.number}",
                    guid=_urn(f"forums/{forum.pk}/releases/{entry.number}"),
                    content=content,
                )
            )
        return items

    def item_title(self, item: FeedEntry) -> str:
        return _("Programme version %(number)s") % {"number": item.release.number}

    def item_description(self, item: FeedEntry) -> None:
        """No summary: the entry's content holds the changes."""
        return None

    def item_link(self, item: FeedEntry) -> str:
        return item.link

    def item_guid(self, item: FeedEntry) -> str:
        return item.guid

    item_guid_is_permalink = False

    def item_pubdate(self, item: FeedEntry):
        return item.release.released_at

    def item_updateddate(self, item: FeedEntry):
        return item.release.released_at

    def item_extra_kwargs(self, item: FeedEntry) -> dict:
        return {"content": item.content}


def _urn(name: str) -> str:
    """A stable ``urn:uuid:`` id for ``name`` under ``settings.SITE_URL``."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/{name}").urn
