"""The shared cache of public pages and exports, and its invalidation.

What is cached: the whole response of a public page or export (``PublicCacheMixin``,
``cached_public_response``) for an anonymous visitor, and which ready PDF prints a
subject's current content (``sessions_app.document_views``). Where: the ``default``
cache (Redis in production, shared by every process; otherwise each process's memory).
How long: at most ``settings.PUBLIC_CACHE_SECONDS`` (0 turns this caching off).

Invalidation is by *generation*: every entry's key holds the current generation, a
random token kept under ``GENERATION_KEY``. ``bump`` replaces the token, so every entry
made before is never read again and expires on its own; a missing token (evicted, or a
fresh cache) is made anew, with the same effect. Saving or deleting a row of any model
of the ``forum``, ``sessions_app`` and ``registration`` apps bumps it
(``connect_invalidation``), except the models in ``NOT_SHOWN``, which no cached page
shows; writes that send no signal (``QuerySet.update``, ``bulk_create``) call ``bump``
themselves.

``bump`` runs at once and again when the transaction commits. At once, so that the
writing request and tests (whose transactions never commit) see the change; on commit,
because between the two a concurrent request still reads the old rows and may store
them under the new generation. A request reads the generation once, before it reads
any row, and stores its response under that generation: a response built from rows
older than a commit is therefore stored under a generation that the commit's bump has
already replaced.

Who gets cached responses: a request that carries neither the session cookie nor the
messages cookie and whose user is anonymous. Such a visitor sees what every anonymous
visitor sees (the pages hold no CSRF token and no message), so one copy serves them
all. Anyone else (signed in, or with a message waiting) gets the page built for them,
marked ``Cache-Control: private``, and it is never stored.

HTTP: a stored response carries a strong ``ETag`` (MD5 of the body, as
``ConditionalGetMiddleware`` makes it), ``Last-Modified`` (when it was built: never
earlier than the last change it shows), ``Cache-Control: no-cache`` (browsers and
proxies may keep it but must revalidate, which the middleware answers with a 304 from
the cached copy) and ``Vary: Cookie, Accept-Encoding``. Its gzip-compressed body is
stored instead of it and sent to clients that accept gzip, as ``GZipMiddleware`` would
send it (``Content-Encoding: gzip``, the ETag made weak), without compressing it again
on every hit (decompressed for the rare client that does not): a 300-session programme
is about 550 KB of HTML and 20 KB compressed.

The cache failing (Redis unreachable) costs caching, not pages: the cache backend
(``forum.cache.ResilientRedisCache``) logs the failure and answers as an empty cache, so
pages are built as if caching were off. Bumps made during the outage are lost, so once
the cache answers again, a copy stored before the outage may be served until it expires.
https://docs.djangoproject.com/en/5.2/topics/cache/#the-low-level-cache-api
https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.4 (no-cache)
"""

import gzip
import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.http import http_date
from django.utils.text import compress_string

GENERATION_KEY = "public-generation"
INVALIDATING_APPS = ("forum", "sessions_app", "registration")
NOT_SHOWN = frozenset({"forum.user", "sessions_app.generateddocument", "registration.notification"})
"""Models whose rows no cached page or export shows, so their writes do not bump the
generation: user accounts (``last_login`` is saved at every sign-in; public pages show
``Person``, never ``User``), generated PDFs (bookkeeping of the PDF views, which check
their rows themselves) and the notification log."""
_CACHEABLE_METHODS = ("GET", "HEAD")
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
_COMPRESS_FROM_BYTES = 200
"""Bodies shorter than this are not worth compressing (``GZipMiddleware``'s own bound)."""


@dataclass(frozen=True)
class Generation:
    """The current generation: ``token`` (part of every cache key) and ``at`` (Unix
    seconds, whole, when it was made: while it is current, no shown row has changed
    since, so it serves as a ``Last-Modified``)."""

    token: str
    at: int


def _new_generation() -> tuple[str, int]:
    return secrets.token_hex(8), int(time.time())


def generation() -> Generation:
    """The current generation, made and stored (without expiry) if the cache has none
    (with the cache failing, a new one at every call: nothing is found under it).

    Concurrent makers agree on one: it is added only if absent, then read back.
    """
    return Generation(*cache.get_or_set(GENERATION_KEY, _new_generation, timeout=None))


def _replace_generation() -> None:
    cache.set(GENERATION_KEY, _new_generation(), timeout=None)


def bump(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every cached page, export and document lookup: replace the generation now
    and again when the current transaction on database ``using`` commits (once, outside
    a transaction). Call it after a write that sends no model signal."""
    _replace_generation()
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(_replace_generation, using=using)


def bump_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Receiver of ``post_migrate``: drop every cached page once migrations ran, since data
    migrations write without model signals and a deploy may change every page's markup."""
    bump(using)


def _bump_on_change(sender, using: str = DEFAULT_DB_ALIAS, action: str = "post", **kwargs) -> None:
    """Receiver of ``post_save``, ``post_delete`` and ``m2m_changed`` (after the change only)."""
    if action.startswith("post"):
        bump(using)


def connect_invalidation() -> None:
    """Make every write of a shown model bump the generation (call once, from ``AppConfig.ready``).

    Connects ``post_save``, ``post_delete`` and ``m2m_changed`` for each model of
    ``INVALIDATING_APPS``, auto-created many-to-many tables included, except
    ``NOT_SHOWN`` and their tables. A queryset ``delete()`` sends ``post_delete`` for
    each row once a receiver is connected, so deletions need nothing more.
    https://docs.djangoproject.com/en/5.2/ref/signals/#post-save
    """
    for label in INVALIDATING_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            owner = model._meta.auto_created or model
            if owner._meta.label_lower in NOT_SHOWN:
                continue
            uid = f"forum.caching:{model._meta.label_lower}"
            post_save.connect(_bump_on_change, sender=model, dispatch_uid=uid)
            post_delete.connect(_bump_on_change, sender=model, dispatch_uid=uid)
            m2m_changed.connect(_bump_on_change, sender=model, dispatch_uid=uid)


def enabled() -> bool:
    """Whether public pages, exports and document lookups are cached (``PUBLIC_CACHE_SECONDS`` > 0)."""
    return settings.PUBLIC_CACHE_SECONDS > 0


def get(name: str, current: Generation) -> object | None:
    """The value stored as ``name`` under generation ``current``, or None (always None
    when caching is not ``enabled``)."""
    if not enabled():
        return None
    return cache.get(f"public:{current.token}:{name}")


def put(name: str, value: object, current: Generation, timeout: int | None = None) -> None:
    """Store ``value`` as ``name`` under generation ``current`` for ``timeout`` seconds
    (default and upper bound ``PUBLIC_CACHE_SECONDS``); nothing when that is 0 or less."""
    seconds = settings.PUBLIC_CACHE_SECONDS if timeout is None else min(timeout, settings.PUBLIC_CACHE_SECONDS)
    if seconds > 0:
        cache.set(f"public:{current.token}:{name}", value, timeout=seconds)


def seconds_until_change(moments: Iterable[datetime], since: datetime) -> int | None:
    """Whole seconds from now (rounded up) to the first of ``moments`` (aware) after
    ``since``, 0 if that moment has already passed; None if none is after ``since``.

    For a page whose text changes by itself at those moments (e.g. "Registration is
    open" from its opening): its copy built at ``since`` must not be served after.
    """
    upcoming = [moment for moment in moments if moment > since]
    if not upcoming:
        return None
    return max(0, math.ceil((min(upcoming) - timezone.now()).total_seconds()))


def shared_visitor(request: HttpRequest) -> bool:
    """Whether ``request`` is one every anonymous visitor could have made: no session
    cookie, no messages cookie (``django.contrib.messages``' cookie storage) and an
    anonymous user. No query without a session cookie."""
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return False
    return not request.user.is_authenticated


def page_name(request: HttpRequest) -> str:
    """The cache name of ``request``'s page: active language and SHA-256 of the absolute
    URL (scheme, host, path and query string: exports print absolute links)."""
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page:{translation.get_language()}:{url}"


def cached_public_response(
    request: HttpRequest,
    render: Callable[[], HttpResponse],
    changes_at: Callable[[], Iterable[datetime]] = tuple,
    query_params: Iterable[str] = (),
) -> HttpResponse:
    """The response of ``render()`` (the view), from the cache when it holds one for
    this page and generation; see the module docstring for who is served from it.

    A GET or HEAD of a ``shared_visitor`` with caching ``enabled`` is looked up; on a
    GET's miss the view runs and its response, once rendered and if ``_shareable``, is
    stored with the headers of ``_mark_shared``, for at most
    ``seconds_until_change(changes_at(), <start of the request>)`` seconds (``changes_at``
    is called after rendering, so it may read what the view loaded). Only URLs whose
    query string holds nothing but ``query_params`` (the page's own: its filters, its page
    number) are cached, so that made-up parameters (``?x=1``, ``?x=2``…) cannot fill the
    cache with copies of one page.
    Any other request runs the view; for a visitor who is not ``shared_visitor`` the
    response is marked ``Cache-Control: private``.
    """
    if request.method not in _CACHEABLE_METHODS:
        return render()
    if not shared_visitor(request):
        response = render()
        patch_cache_control(response, private=True)
        return response
    if not enabled() or not set(request.GET).issubset(query_params):
        return render()
    current, started = generation(), timezone.now()
    name = page_name(request)
    stored = get(name, current)
    if stored is not None:
        return _from_cache(request, *stored)
    response = render()
    if request.method != "GET":
        return response

    def store(rendered: HttpResponse) -> HttpResponse:
        timeout = seconds_until_change(changes_at(), started)
        if _shareable(request, rendered) and timeout != 0:
            _mark_shared(rendered)
            headers = dict(rendered.items())
            if len(rendered.content) >= _COMPRESS_FROM_BYTES:
                put(name, (None, headers, compress_string(rendered.content)), current, timeout)
            else:
                put(name, (rendered.content, headers, None), current, timeout)
        return rendered

    if getattr(response, "is_rendered", True):
        return store(response)
    response.add_post_render_callback(store)
    return response


def _from_cache(request: HttpRequest, content: bytes | None, headers: dict, compressed: bytes | None) -> HttpResponse:
    """The stored copy as a response: a body worth compressing is stored ``compressed``
    only (a 300-session programme: 20 KB to read from Redis on every hit, not 570), sent
    as it is to a client that accepts gzip (with ``Content-Encoding: gzip`` and the ETag
    made weak, as ``GZipMiddleware`` does: the two bodies are different representations)
    and decompressed for any other; a short body is stored as ``content``."""
    if compressed is None:
        return HttpResponse(content, headers=headers)
    if not _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        return HttpResponse(gzip.decompress(compressed), headers=headers)
    response = HttpResponse(compressed, headers=headers)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(compressed))
    etag = response.headers.get("ETag", "")
    if etag.startswith('"'):
        response.headers["ETag"] = f"W/{etag}"
    return response


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether ``response`` is the same for every anonymous visitor: a full 200, no
    cookie or session write, no ``Vary`` or ``Cache-Control`` of the view's own, and
    no CSRF token (a form's token is personal, and using it sets a cookie)."""
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Vary")
        and not response.has_header("Cache-Control")
        and not (session is not None and session.modified)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and b"csrfmiddlewaretoken" not in response.content
    )


def _mark_shared(response: HttpResponse) -> None:
    """Add the headers of a shared copy: ``ETag``, ``Last-Modified`` (now),
    ``Cache-Control: no-cache`` and ``Vary: Cookie, Accept-Encoding``."""
    set_response_etag(response)
    response.headers["Last-Modified"] = http_date(time.time())
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Encoding"])


class PublicCacheMixin:
    """A class-based view whose responses are cached for anonymous visitors
    (``cached_public_response``). Put it first among the bases. A page whose text
    changes with the clock lists the moments it does in ``content_changes_at``."""

    cached_query_params: tuple[str, ...] = ()
    """The query parameters the page reads (its filters, ``page``): a URL with any other is not cached."""

    def dispatch(self, request, *args, **kwargs):
        parent = super().dispatch
        return cached_public_response(
            request,
            lambda: parent(request, *args, **kwargs),
            self.content_changes_at,
            self.cached_query_params,
        )

    def content_changes_at(self) -> Iterable[datetime]:
        """Moments (aware) at which the page changes by itself; none by default. Called
        after the response is rendered."""
        return ()
