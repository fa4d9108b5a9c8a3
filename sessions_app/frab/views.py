"""The public frab schedule exports of a published forum: ``schedule.xml`` and ``schedule.json``.

An unknown or unpublished forum answers 404, as every public page does
(``forum.selectors.forum_published``). The documents are built by
``sessions_app.frab.export`` in a constant number of queries. Anonymous visitors are
served from the shared cache (``forum.caching``), with ``ETag`` and ``Last-Modified``.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from forum.caching import PublicCacheMixin
from forum.selectors import forum_published
from sessions_app.frab.export import frab_schedule_json, frab_schedule_xml


class ScheduleXmlView(PublicCacheMixin, View):
    """``schedule.xml`` (``application/xml``, UTF-8) of the published forum ``forum_slug``."""

    def get(self, request, forum_slug: str) -> HttpResponse:
        forum = get_object_or_404(forum_published(), slug=forum_slug)
        body = frab_schedule_xml(
            forum, absolute_url=request.build_absolute_uri, schedule_url=request.build_absolute_uri()
        )
        return HttpResponse(body, content_type="application/xml")


class ScheduleJsonView(PublicCacheMixin, View):
    """``schedule.json`` (``application/json``, UTF-8) of the published forum ``forum_slug``."""

    def get(self, request, forum_slug: str) -> HttpResponse:
        forum = get_object_or_404(forum_published(), slug=forum_slug)
        return HttpResponse(
            frab_schedule_json(forum, absolute_url=request.build_absolute_uri), content_type="application/json"
        )
