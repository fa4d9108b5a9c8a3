"""``python -m bench``: build a synthetic forum on PostgreSQL, serve it with gunicorn as in
production and measure it over HTTP, each figure against its floor measured in the same run.

Run from the project root with PostgreSQL and Redis running (``--help`` for the options)::

    .venv/bin/python -m bench            # the issue's forum, about 10 minutes
    .venv/bin/python -m bench --quick    # a small forum and short runs: a smoke test

Steps:

1. Drop and create the database ``--database-url`` (its name must contain "bench"),
   migrate it, collect the static files into a temporary folder (``DEBUG`` is off, so
   whitenoise's manifest is needed), and build the forum with the project's factories
   (``bench.builder``): 3 days, 10 rooms, 300 sessions, 600 speakers, 5,000 registrations,
   its programme released. A second forum of one parallel session is built beside it, to
   show which query counts grow with the programme.
2. In-process: SQL queries per request of every URL measured (cache cleared first), and
   with ``--profile`` cProfile's hotspots of the uncached pages; the programme PDF rendered
   as a worker renders it, and WeasyPrint alone on the same HTML (``bench.documents``).
3. gunicorn on PostgreSQL with ``DJANGO_DEBUG=off``, a random secret key, plain HTTP on
   127.0.0.1, the Redis cache (database ``--cache-db``, emptied before each server) and the
   Celery broker on Redis (``--broker-db``; e-mails are queued, no worker runs, the queue is
   emptied at the end). First with ``DJANGO_PUBLIC_CACHE_SECONDS=0`` (page caching off):
   wrk on the trivial view (the floor, ``bench.urls``), the programme page, a session page,
   programme.ics, schedule.xml, schedule.json and programme.pdf, then the sign-up load
   (``bench.signups``); then with the default cache: the programme page and programme.pdf.
   Every URL must answer 200 with its content type before it is loaded, and every response
   under load must be 2xx.
4. The table: requests per second, median and 95th percentile latency, queries per
   request, the ratio to the floor and the issue's target. ``--json FILE`` saves it all.

gunicorn and anything else started are stopped on exit, even on an error or Ctrl-C; the
database is dropped unless ``--keep``. The exit status is 1 if sign-ups overbooked a
session or disagreed with the database, 2 on a usage error, 130 on Ctrl-C.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.environment import (
    ROOT,
    GunicornOptions,
    bench_database,
    drop_database,
    flush_redis,
    gunicorn,
    recreate_database,
    redis_version,
)

FULL = {
    "days": 3,
    "rooms": 10,
    "sessions": 300,
    "plenaries_per_day": 3,
    "speakers": 600,
    "registrations": 5000,
    "duration": 10.0,
    "warmup": 2.0,
    "per_client": 4,
    "pdf_repeat": 3,
}
QUICK = {
    "days": 1,
    "rooms": 4,
    "sessions": 20,
    "plenaries_per_day": 2,
    "speakers": 40,
    "registrations": 200,
    "duration": 2.0,
    "warmup": 1.0,
    "per_client": 1,
    "pdf_repeat": 1,
}
TARGETS = {
    "programme page, uncached": 1.0,
    "programme page, cached": 50.0,
    "session page, uncached": 5.0,
    "programme.ics, uncached": 1.0,
    "schedule.xml, uncached": 1.0,
    "schedule.json, uncached": 1.0,
}
"""The issue's targets: requests per second as a percentage of the trivial view's."""
CONSTANT_QUERIES = ("programme.ics, uncached", "schedule.xml, uncached", "schedule.json, uncached")
"""Figures whose target includes a query count that does not grow with the programme."""
PDF_RENDER_TARGET = 1.25
PDF_DOWNLOAD_TARGET = 100.0
SIGNUP_TARGET = 200.0
GUNICORN_CONFIG = ROOT / "forum" / "gunicorn_conf.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the scale and durations default to ``FULL``, or ``QUICK`` with ``--quick``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )

    def sized(name: str, kind: type, help_text: str) -> None:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=kind, help=f"{help_text} (default {FULL[name]}; --quick: {QUICK[name]})")

    parser.add_argument("--quick", action="store_true", help="a small forum and short runs: a smoke test")
    sized("days", int, "forum days")
    sized("rooms", int, "rooms")
    sized("sessions", int, "sessions, plenaries included")
    sized("plenaries_per_day", int, "plenary sessions a day")
    sized("speakers", int, "people on the agendas")
    sized("registrations", int, "registrations")
    sized("duration", float, "seconds of each measured wrk run, at least (slow pages get longer)")
    sized("warmup", float, "seconds of wrk warm-up before each run")
    sized("per_client", int, "participants per sign-up client")
    sized("pdf_repeat", int, "programme PDF renders (and WeasyPrint runs) timed")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent sign-up clients (default 16)")
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: the production config's, WEB_CONCURRENCY or 2 x cores + 1)",
    )
    parser.add_argument("--worker-class", help="gunicorn worker class (default: the config file's, else sync)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: the config file's, else 1)")
    parser.add_argument(
        "--gunicorn-config",
        type=Path,
        default=GUNICORN_CONFIG if GUNICORN_CONFIG.exists() else None,
        help="gunicorn config file (default forum/gunicorn_conf.py when it exists)",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/forum_bench",
        help="PostgreSQL database to drop and recreate; its name must contain 'bench' (default %(default)s)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis server (default %(default)s)")
    parser.add_argument("--cache-db", type=int, default=5, help="Redis database of the cache, emptied (default 5)")
    parser.add_argument(
        "--broker-db", type=int, default=6, help="Redis database of Celery's queue, emptied (default 6)"
    )
    parser.add_argument("--seed", type=int, default=2020, help="seed of the random choices (default 2020)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's hotspots of each uncached page")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")
    args = parser.parse_args(argv)
    for name in FULL:
        if getattr(args, name) is None:
            setattr(args, name, (QUICK if args.quick else FULL)[name])
    if args.cache_db == args.broker_db:
        parser.error("--cache-db and --broker-db must differ: the cache is emptied between servers.")
    try:
        args.database = bench_database(args.database_url)
    except ValueError as error:
        parser.error(str(error))
    return args


def bench_environment(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    """The environment of the benchmark's process and servers: production settings on plain
    HTTP, the benchmark's database, Redis databases and temporary folders."""
    redis_url = args.redis_url.rstrip("/")
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "off",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "off",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_CACHE_URL": f"{redis_url}/{args.cache_db}",
        "CELERY_BROKER_URL": f"{redis_url}/{args.broker_db}",
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def say(text: str = "") -> None:
    """Print a progress line at once."""
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring); return the exit status."""
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    env = bench_environment(args, folder)
    os.environ.update(env)
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.perf_counter()
    try:
        return Bench(args, env, folder).run(started)
    except KeyboardInterrupt:
        say("\nInterrupted.")
        return 130
    finally:
        _tidy(args, env, folder)


def _interrupted(signum, frame) -> None:
    """SIGTERM stops the benchmark as Ctrl-C does, through the same clean-up."""
    raise KeyboardInterrupt


def _tidy(args: argparse.Namespace, env: dict[str, str], folder: Path) -> None:
    """Close the database connections, drop the database (unless ``--keep``), empty the
    broker's queue and remove the temporary folder."""
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    if args.keep:
        say(f"Kept the database {args.database['NAME']}.")
    else:
        drop_database(args.database)
    flush_redis(env["CELERY_BROKER_URL"])
    shutil.rmtree(folder, ignore_errors=True)


class Bench:
    """One run of the benchmark: its settings, its forum and the figures gathered."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], folder: Path):
        self.args = args
        self.env = env
        self.folder = folder
        self.rows = []
        self.results: dict = {}
        self.failures: list[str] = []

    def run(self, started: float) -> int:
        """Every step in turn; the exit status."""
        args = self.args
        recreate_database(args.database)
        flush_redis(self.env["REDIS_CACHE_URL"])
        flush_redis(self.env["CELERY_BROKER_URL"])
        self.prepare()
        self.measure_in_process()
        uncached = self.serve(cache_seconds="0")
        self.load_uncached(uncached)
        cached = self.serve(cache_seconds=None)
        self.load_cached(cached)
        self.results["total_seconds"] = time.perf_counter() - started
        self.print_report()
        if args.json:
            args.json.write_text(json.dumps(self.results | {"figures": self.figures()}, indent=2, default=str))
            say(f"Figures written to {args.json}.")
        for failure in self.failures:
            say(f"FAILED: {failure}")
        return 1 if self.failures else 0

    def prepare(self) -> None:
        """Set Django up on the new database: migrate, collect static files, build both forums."""
        import django
        from django.core.management import call_command

        django.setup()
        from bench.builder import Scale, build_forum

        args = self.args
        self.scale = Scale(
            days=args.days,
            rooms=args.rooms,
            sessions=args.sessions,
            plenaries_per_day=args.plenaries_per_day,
            speakers=args.speakers,
            registrations=args.registrations,
            participants=args.clients * args.per_client + 1,
        )
        step = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        say(f"Database {args.database['NAME']} migrated, static files collected in {time.perf_counter() - step:.1f} s.")
        step = time.perf_counter()
        self.built = build_forum(self.scale, seed=args.seed)
        build_seconds = time.perf_counter() - step
        tiny = Scale(days=1, rooms=1, sessions=1, plenaries_per_day=0, speakers=5, registrations=1)
        self.tiny = build_forum(tiny, seed=args.seed)
        self.results |= {"scale": asdict(self.scale), "build_seconds": build_seconds}
        say(
            f"Built the forum in {build_seconds:.1f} s: {self.scale.days} days, {self.scale.rooms} rooms, "
            f"{self.scale.sessions} sessions ({self.scale.days * self.scale.plenaries_per_day} plenaries, "
            f"{self.scale.parallel} parallel in {self.scale.parallel_slots} slots), {self.scale.speakers} speakers, "
            f"{self.scale.registrations} registrations, {self._signup_count()} sign-ups; programme released."
        )

    def _signup_count(self) -> int:
        from registration.models import SessionSignup

        return SessionSignup.objects.filter(session__forum=self.built.forum).count()

    def urls(self, built) -> dict[str, tuple[str, str]]:
        """The measured URLs of ``built``'s forum: name → (path, content type)."""
        from django.urls import reverse
        from django.utils import translation

        forum = built.forum
        slots = built.parallel_slots
        session = slots[len(slots) // 2][0]
        site = {"forum_slug": forum.slug}
        with translation.override("en"):
            return {
                "programme page": (reverse("sessions_app:programme", kwargs=site), "text/html"),
                "session page": (
                    reverse("sessions_app:session-detail", kwargs=site | {"session_slug": session.slug}),
                    "text/html",
                ),
                "programme.ics": (reverse("calendars:programme-ics", kwargs=site), "text/calendar"),
                "schedule.xml": (reverse("schedule:schedule-xml", kwargs=site), "application/xml"),
                "schedule.json": (reverse("schedule:schedule-json", kwargs=site), "application/json"),
                "programme.pdf": (reverse("documents:programme-pdf", kwargs=site), "application/pdf"),
            }

    def measure_in_process(self) -> None:
        """Queries per request (both forums), optional profiles, and the PDF timings."""
        from bench.documents import measure_programme_pdf
        from bench.inprocess import page_queries, profile_page
        from bench.signups import signup_queries

        self.paths = self.urls(self.built)
        tiny_paths = self.urls(self.tiny)
        measure_programme_pdf(self.tiny.forum, 1)  # also loads WeasyPrint's fonts before the timed runs
        pdf = measure_programme_pdf(self.built.forum, self.args.pdf_repeat)
        self.pdf = pdf
        self.results["pdf"] = pdf.as_dict()
        say(
            f"Programme PDF ({pdf.pages} pages): request {pdf.request_seconds:.2f} s; render (worker) "
            f"{', '.join(f'{s:.2f}' for s in pdf.render_seconds)} s; WeasyPrint alone "
            f"{', '.join(f'{s:.2f}' for s in pdf.weasyprint_seconds)} s."
        )
        self.queries = {}
        for name, (path, _) in self.paths.items():
            self.queries[name] = (page_queries(path, cached=False), page_queries(tiny_paths[name][0], cached=False))
        self.queries["programme page, cached"] = (
            page_queries(self.paths["programme page"][0], cached=True),
            page_queries(tiny_paths["programme page"][0], cached=True),
        )
        self.queries["programme.pdf, cached"] = (
            page_queries(self.paths["programme.pdf"][0], cached=True),
            page_queries(tiny_paths["programme.pdf"][0], cached=True),
        )
        spare = self.built.participants[-1]
        self.queries["sign-up"] = (signup_queries(self.built.forum, spare, self.built.parallel_slots[0][0]), None)
        if self.args.profile:
            for name, (path, _) in self.paths.items():
                if name != "programme.pdf":
                    say(f"\n=== cProfile: {name}, uncached ({path}) ===\n{profile_page(path)}")

    def serve(self, *, cache_seconds: str | None):
        """A context manager serving the site with gunicorn, page caching off if ``cache_seconds`` is "0"."""
        env = os.environ | self.env
        if cache_seconds is not None:
            env["DJANGO_PUBLIC_CACHE_SECONDS"] = cache_seconds
        else:
            env.pop("DJANGO_PUBLIC_CACHE_SECONDS", None)
        args = self.args
        options = GunicornOptions(
            workers=args.workers, worker_class=args.worker_class, threads=args.threads, config=args.gunicorn_config
        )
        self.gunicorn = options.resolved(env)
        flush_redis(self.env["REDIS_CACHE_URL"])
        label = "uncached" if cache_seconds == "0" else "cached"
        say(
            f"\ngunicorn ({label}): {self.gunicorn['workers']} workers, {self.gunicorn['worker_class']}, "
            f"{self.gunicorn['threads']} thread(s) each, config {args.gunicorn_config or 'none'}."
        )
        return gunicorn(options, env, self.folder / f"gunicorn-{label}.log", "/bench/trivial/")

    def wrk(self, base: str, name: str, path: str, content_type: str):
        """Check then load ``path``; print and return the figures."""
        from bench.load import check_url, run_seconds, wrk_load

        args = self.args
        single = check_url(base + path, content_type)
        result = wrk_load(
            base + path,
            seconds=run_seconds(args.duration, single, int(self.gunicorn["workers"])),
            warmup=args.warmup,
            connections=args.connections,
            threads=args.wrk_threads,
        )
        self.results.setdefault("http", {})[name] = result.as_dict()
        say(
            f"{name:<28} {result.per_second:>9.1f} req/s  median {result.median_ms:>8.1f} ms  "
            f"p95 {result.p95_ms:>8.1f} ms  ({result.requests} requests of {result.kilobytes:,.1f} kB)"
        )
        return result

    def load_uncached(self, server) -> None:
        """The floor, every URL uncached, and the sign-ups."""
        from bench.signups import plan_signups, run_signups, verify_signups

        with server as base:
            self.trivial = self.wrk(base, "trivial view (floor)", "/bench/trivial/", "text/plain")
            self.uncached = {
                name: self.wrk(base, f"{name}, uncached", path, content_type)
                for name, (path, content_type) in self.paths.items()
            }
            built = self.built
            plans = plan_signups(
                built.forum, built.participants[:-1], built.parallel_slots, self.args.clients, self.args.seed
            )
            self.signups = run_signups(base, plans)
        self.signup_check = verify_signups(built.forum, built.participants[:-1], self.signups)
        self.results["signups"] = self.signups.as_dict() | self.signup_check
        signups = self.signups
        say(
            f"{'sign-ups':<28} {signups.per_second:>9.1f} /s     median {signups.median_ms:>8.1f} ms  "
            f"p95 {signups.p95_ms:>8.1f} ms  ({signups.posts} POSTs by {self.args.clients} clients: "
            f"{signups.confirmed} seats, {signups.waitlisted} waitlisted, {signups.refused} refused)"
        )
        for refusal in signups.refusals:
            say(f"  refused: {refusal}")
        if self.signup_check["overbooked"]:
            self.failures.append(f"sessions overbooked: {self.signup_check['overbooked']}")
        if self.signup_check["mismatched"]:
            self.failures.append(f"announced vs stored sign-ups differ: {self.signup_check['mismatched']}")

    def load_cached(self, server) -> None:
        """The programme page and the PDF's download with the page cache on."""
        with server as base:
            path, content_type = self.paths["programme page"]
            self.cached_programme = self.wrk(base, "programme page, cached", path, content_type)
            path, content_type = self.paths["programme.pdf"]
            self.cached_pdf = self.wrk(base, "programme.pdf, cached", path, content_type)

    def figures(self) -> list[dict]:
        """The table's rows as dicts."""
        from bench.report import as_dicts

        return as_dicts(self.rows)

    def print_report(self) -> None:
        """Build the table's rows, then print the table and the machine's facts."""
        from bench.load import wrk_version
        from bench.report import Row, machine_facts, table

        floor = self.trivial.per_second

        def http_row(name: str, result, queries: tuple[int, int | None]) -> Row:
            percent = result.per_second / floor * 100
            target = TARGETS.get(name)
            met = None if target is None else percent >= target
            target_text = "" if target is None else f">= {target:g}%"
            if name in CONSTANT_QUERIES:
                met = met and queries[0] == queries[1]
                target_text += ", constant queries"
            return Row(
                name, result.per_second, result.median_ms, result.p95_ms, *queries, f"{percent:.1f}%", target_text, met
            )

        self.rows = [Row("trivial view (floor)", floor, self.trivial.median_ms, self.trivial.p95_ms, 0, 0, "100%")]
        for name, result in self.uncached.items():
            self.rows.append(http_row(f"{name}, uncached", result, self.queries[name]))
        self.rows.append(
            http_row("programme page, cached", self.cached_programme, self.queries["programme page, cached"])
        )
        pdf = self.pdf
        download = pdf.render_median * 1000 / self.cached_pdf.median_ms
        self.rows.append(
            Row(
                "programme.pdf, cached",
                self.cached_pdf.per_second,
                self.cached_pdf.median_ms,
                self.cached_pdf.p95_ms,
                *self.queries["programme.pdf, cached"],
                f"render/{download:,.0f}",
                f">= {PDF_DOWNLOAD_TARGET:g}x faster",
                download >= PDF_DOWNLOAD_TARGET,
            )
        )
        ratio = pdf.render_median / pdf.weasyprint_median
        self.rows.append(
            Row(
                f"programme PDF render ({pdf.pages} p.)",
                median_ms=pdf.render_median * 1000,
                ratio=f"{ratio:.2f}x",
                target=f"<= {PDF_RENDER_TARGET:g}x",
                met=ratio <= PDF_RENDER_TARGET,
            )
        )
        self.rows.append(Row("WeasyPrint alone (PDF floor)", median_ms=pdf.weasyprint_median * 1000, ratio="1.00x"))
        signups = self.signups
        self.rows.append(
            Row(
                f"sign-ups, {self.args.clients} clients",
                signups.per_second,
                signups.median_ms,
                signups.p95_ms,
                self.queries["sign-up"][0],
                ratio=f"{signups.per_second / floor * 100:.1f}%",
                target=f">= {SIGNUP_TARGET:g}/s, no overbooking",
                met=signups.per_second >= SIGNUP_TARGET and not self.signup_check["overbooked"],
            )
        )
        facts = machine_facts() | {
            "redis": redis_version(self.env["REDIS_CACHE_URL"]),
            "gunicorn workers": (
                f"{self.gunicorn['workers']} x {self.gunicorn['worker_class']}, {self.gunicorn['threads']} thread(s)"
            ),
            "load": f"{wrk_version()}, {self.args.connections} connections, {self.args.wrk_threads} threads, "
            f"{self.args.duration:g} s after {self.args.warmup:g} s warm-up",
        }
        self.results["machine"] = facts
        say("\n" + table(self.rows))
        say(
            "\nvs floor: requests/s as a % of the trivial view's; render/N: one download takes 1/N of a render "
            "(median latency under load); PDF render: the worker's time / WeasyPrint's alone (same HTML, same "
            "PDF/UA variant). Queries: per request, this forum and a forum of one session. Latencies in ms."
        )
        say("")
        for key, value in facts.items():
            say(f"{key + ':':<18} {value}")
        say(f"{'total run:':<18} {self.results['total_seconds']:.0f} s (build {self.results['build_seconds']:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
