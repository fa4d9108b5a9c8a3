"""Measurements inside the benchmark's own process, against the same database and cache as
the servers: SQL queries per page and cProfile's hotspots of a page."""

import cProfile
import io
import pstats
import re

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def page_queries(path: str, *, cached: bool) -> int:
    """SQL queries of a GET of ``path`` through the whole stack (test client, host 127.0.0.1).

    The cache is cleared first; with ``cached`` the page is asked for once more before
    the counted request, so that it counts a cache hit. Raises ``RuntimeError`` unless
    the counted request answers 200.
    """
    client = Client(HTTP_HOST="127.0.0.1")
    cache.clear()
    if cached:
        client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in-process.")
    return len(queries)


PROJECT_CODE = re.escape(str(settings.BASE_DIR)) + r"/(forum|sessions_app|registration)/"
"""cProfile's restriction to the project's own functions (not the virtualenv's)."""


def profile_page(path: str, *, top: int = 15) -> str:
    """cProfile's report of one uncached GET of ``path`` (after a first GET that loads the
    templates): the ``top`` functions by their own time (anyone's), then the project's
    ``top`` functions by cumulative time (the time under each, callees included)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path)
    cache.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(path)
    profiler.disable()
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).strip_dirs().sort_stats("tottime").print_stats(top)
    pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(PROJECT_CODE, top)
    return report.getvalue()
