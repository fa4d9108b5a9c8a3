"""Benchmark: public pages' SQL query counts and times, and PDF render times, as the
programme grows.

Run from the project root: ``.venv/bin/python bench/run.py [--sizes 0 50 200]``.
It creates a throwaway test database (SQLite, or ``DATABASE_URL``'s server), loads the
Quito 2020 forum, then adds sessions in steps and releases the programme after each
step (so the pages read the released schedule, as the public's do); each added session
has a theme, a room, two organizers and three agenda items with two speakers each. For
every size it prints
each page's query count and median response time, and each PDF's median render time,
with the times as ratios to the first size measured in the same run (the baseline), so
figures from different machines compare.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from forum.tests.factories import RoomFactory  # noqa: E402
from sessions_app import pdf  # noqa: E402
from sessions_app.models import Session  # noqa: E402
from sessions_app.release_services import release_programme  # noqa: E402
from sessions_app.tests.factories import (  # noqa: E402
    AgendaItemFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)

SESSION_SLUG = "strengthen-partnerships-local-immigration-response"


def add_sessions(forum, count: int, first: int) -> None:
    """Add ``count`` parallel sessions to ``forum``, numbered from ``first``."""
    theme = ThemeFactory(forum=forum)
    for n in range(first, first + count):
        start = quito_time(9) + timedelta(days=n // 8, hours=n % 8)
        session = SessionFactory(
            forum=forum, theme=theme, room=RoomFactory(forum=forum), start=start, end=start + timedelta(minutes=50)
        )
        SessionOrganizerFactory.create_batch(2, session=session)
        for k in range(3):
            item = AgendaItemFactory(session=session, start=start + timedelta(minutes=15 * k))
            SpeakerRoleFactory.create_batch(2, agenda_item=item)


def measure_page(client: Client, url: str, repeat: int) -> tuple[int, float]:
    """(queries, median seconds) of GET ``url``; raises if it does not answer 200."""
    reset_queries()  # the log is capped (9,000 entries) and already full after migrating
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return len(queries), statistics.median(times)


def measure_pdf(render, args: tuple, repeat: int) -> float:
    """Median seconds of ``render(*args)`` (the HTML) followed by WeasyPrint."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        pdf.html_to_pdf(render(*args))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 50, 200], help="extra sessions, ascending")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        call_command("load_quito_forum", stdout=io.StringIO())
        from forum.models import Forum

        forum = Forum.objects.get(slug="quito-2020")
        client = Client()
        site = f"/en/forums/{forum.slug}"
        pages = {
            "programme": f"{site}/programme/",
            "programme, searched": f"{site}/programme/?q=migration&kind=parallel",
            "programme (Spanish)": f"/es/forums/{forum.slug}/programme/",
            "session": f"{site}/sessions/{SESSION_SLUG}/",
            "speakers": f"{site}/speakers/",
            "speaker": f"{site}/speakers/alfred-woeger/",
            "organizations": f"{site}/organizations/",
            "now and next": f"{site}/now/?at=2020-01-22T14:30",
            "programme.ics": f"{site}/programme.ics",
            "schedule.xml": f"{site}/schedule.xml",
            "schedule.json": f"{site}/schedule.json",
            "changelog": f"{site}/changelog/",
            "changelog.atom": f"{site}/changelog.atom",
        }
        baseline: dict[str, float] = {}
        added = 0
        print(f"{'extra sessions':>14} {'what':<22} {'queries':>7} {'median ms':>10} {'× baseline':>10}")
        for size in args.sizes:
            add_sessions(forum, size - added, first=added)
            added = size
            release_programme(forum=forum, note=f"{size} sessions added")  # the public pages read the release
            rows = [(name, *measure_page(client, url, args.repeat)) for name, url in pages.items()]
            session = Session.objects.for_session_page().get(forum=forum, slug=SESSION_SLUG)
            sessions = list(Session.objects.filter(forum=forum).for_session_page().order_by("start"))
            rows.append(("PDF session agenda", None, measure_pdf(pdf.render_session_agenda_html, (session,), 3)))
            rows.append(("PDF programme", None, measure_pdf(pdf.render_programme_html, (forum, sessions), 1)))
            for name, queries, seconds in rows:
                baseline.setdefault(name, seconds)
                shown = "" if queries is None else queries
                print(f"{size:>14} {name:<22} {shown:>7} {seconds * 1000:>10.1f} {seconds / baseline[name]:>10.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
