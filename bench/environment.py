"""What the benchmark runs against: its throwaway PostgreSQL database, its Redis databases and
gunicorn serving the site.

The database is dropped and created again by name, so ``bench_database`` accepts only a
name containing "bench" (never ``forum`` or a test database). Redis databases are
emptied with FLUSHDB, so the benchmark uses numbered databases of its own (5 and 6 by
default; the project and its tests use 0).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import environ
import httpx
import psycopg2
import redis
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 60
STOP_SECONDS = 15


def bench_database(url: str) -> dict:
    """``url`` parsed as django-environ does (``NAME``, ``HOST``, …); raises ``ValueError``
    unless it is a PostgreSQL database whose name contains "bench"."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError(f"The benchmark needs PostgreSQL, not {config['ENGINE']} ({url}).")
    if "bench" not in config["NAME"]:
        raise ValueError(
            f"The benchmark drops and recreates its database: give one whose name contains "
            f"'bench' (e.g. forum_bench), not {config['NAME']!r}."
        )
    return config


def _maintenance_connection(config: dict):
    """An autocommit connection to the server's ``postgres`` database, as ``config``'s user."""
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def recreate_database(config: dict) -> None:
    """Drop ``config``'s database (ending its sessions) if it exists, and create it empty."""
    with closing(_maintenance_connection(config)) as connection, connection.cursor() as cursor:
        name = sql.Identifier(config["NAME"])
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(config: dict) -> None:
    """Drop ``config``'s database if it exists, ending its sessions."""
    with closing(_maintenance_connection(config)) as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))


def flush_redis(url: str) -> None:
    """Empty the Redis database of ``url`` (e.g. ``redis://127.0.0.1:6379/5``)."""
    with closing(redis.Redis.from_url(url)) as client:
        client.flushdb()


def redis_version(url: str) -> str:
    """The version of the Redis server at ``url``."""
    with closing(redis.Redis.from_url(url)) as client:
        return client.info("server")["redis_version"]


@dataclass(frozen=True)
class GunicornOptions:
    """How gunicorn is started: ``config`` (a gunicorn config file, or None for gunicorn's
    defaults), then, when given, ``workers``, ``worker_class`` and ``threads``, which
    override the file's."""

    workers: int | None = None
    worker_class: str | None = None
    threads: int | None = None
    config: Path | None = None

    def arguments(self, bind: str) -> list[str]:
        """gunicorn's command line serving ``forum.wsgi`` on ``bind`` (``host:port``)."""
        arguments = ["--config", str(self.config)] if self.config else ["--config", os.devnull]
        arguments += ["--bind", bind, "--chdir", str(ROOT)]
        if self.workers:
            arguments += ["--workers", str(self.workers)]
        if self.worker_class:
            arguments += ["--worker-class", self.worker_class]
        if self.threads:
            arguments += ["--threads", str(self.threads)]
        return [sys.executable, "-m", "gunicorn", *arguments, "forum.wsgi:application"]

    def resolved(self, env: dict[str, str]) -> dict[str, str]:
        """The settings gunicorn resolves from these options in ``env`` (its ``--print-config``):
        ``workers``, ``worker_class``, ``threads``, ``timeout``, ``keepalive``, ``preload_app``.

        gunicorn runs a "sync" worker with more than one thread as "gthread"; so does this.
        Raises ``RuntimeError`` with gunicorn's output if it refuses the configuration.
        """
        result = subprocess.run(
            [*self.arguments("127.0.0.1:0"), "--print-config"], env=env, capture_output=True, text=True, cwd=ROOT
        )
        if result.returncode:
            raise RuntimeError(f"gunicorn refused its configuration:\n{result.stdout}{result.stderr}")
        values = {}
        for line in result.stdout.splitlines():
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
        wanted = ("workers", "worker_class", "threads", "timeout", "keepalive", "preload_app")
        resolved = {name: values.get(name, "?") for name in wanted}
        if resolved["worker_class"].endswith("sync") and int(resolved["threads"]) > 1:
            resolved["worker_class"] = "gthread"
        return resolved


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(options: GunicornOptions, env: dict[str, str], log: Path, ready_path: str) -> Iterator[str]:
    """Serve the site with gunicorn in ``env`` on a free local port; yield its base URL
    (``http://127.0.0.1:<port>``) once ``ready_path`` answers 200.

    gunicorn's own log goes to ``log``. The server runs in a session of its own and is
    stopped on leaving, even on an error or Ctrl-C: SIGTERM to gunicorn's master (which
    stops its workers), then SIGKILL to its whole process group after ``STOP_SECONDS``.
    Raises ``RuntimeError`` with the log's end if it exits or is not ready within
    ``READY_SECONDS``.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [*options.arguments(f"127.0.0.1:{port}"), "--error-logfile", "-"],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(process, base + ready_path, log)
        yield base
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    """Return once ``url`` answers 200; raise ``RuntimeError`` if ``process`` exits or it takes too long."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {READY_SECONDS} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn: SIGTERM to the master, then SIGKILL to whatever of its process group
    is left (a lingering master, or workers it left behind)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of ``log``."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
