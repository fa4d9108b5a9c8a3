"""Load over HTTP with wrk (https://github.com/wg/wrk), read through its Lua ``done()`` hook.

``check_url`` makes sure a URL answers what is expected before it is loaded (and times
that one request); ``wrk_load`` runs wrk on it (a warm-up run whose figures are dropped,
then the measured run, made long enough by ``run_seconds`` for a slow page to complete a
fair number of requests) and returns the figures, raising ``LoadError`` on any response
outside 2xx or any socket error.
"""

import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
TIMEOUT_SECONDS = 60
ACCEPT_ENCODING = "gzip, deflate, br"
"""What every request accepts, as browsers send it: responses the site compresses (pages,
feeds, exports) are measured as browsers receive them."""
"""wrk's per-request timeout: slow pages (an uncached programme) must count, not time out."""
AT_LEAST_REQUESTS = 40
"""Requests a measured run should complete, however slow the page (see ``run_seconds``)."""
LONGEST_RUN_SECONDS = 60


class LoadError(RuntimeError):
    """A URL answered something else than expected, or wrk saw errors under load."""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: requests per second, latencies in milliseconds, total requests, mean
    response size in kilobytes (headers included)."""

    requests: int
    seconds: float
    per_second: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    kilobytes: float

    def as_dict(self) -> dict:
        """The figures as a JSON-ready dict."""
        return asdict(self)


def wrk_path() -> str:
    """The wrk executable; raises ``LoadError`` telling how to install it when missing."""
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("wrk is not installed: apt-get update -qq && apt-get install -y wrk")
    return path


def wrk_version() -> str:
    """wrk's version line, e.g. "wrk debian/4.1.0-3+b2 [epoll]"."""
    result = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True)
    return (result.stdout or result.stderr).splitlines()[0].split(" Copyright")[0]


def check_url(url: str, content_type: str, *, times: int = 3) -> float:
    """GET ``url`` ``times`` times in a row and return the fastest's seconds (the first
    request a server process answers is slower: it loads templates and opens connections).
    Raises ``LoadError`` unless every answer is 200 with ``content_type``."""
    fastest = TIMEOUT_SECONDS
    for _ in range(times):
        started = time.perf_counter()
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, headers={"Accept-Encoding": ACCEPT_ENCODING})
        fastest = min(fastest, time.perf_counter() - started)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith(content_type):
            raise LoadError(
                f"{url} answered {response.status_code} {response.headers.get('content-type')!r} "
                f"(expected 200 {content_type}): {response.text[:300]!r}"
            )
    return fastest


def run_seconds(seconds: float, request_seconds: float, workers: int) -> float:
    """How long to load a URL: ``seconds``, or longer (up to ``LONGEST_RUN_SECONDS``) when
    one request of it takes ``request_seconds``, so that ``workers`` busy server processes
    complete about ``AT_LEAST_REQUESTS`` (a count of a handful would be mostly noise)."""
    return max(seconds, min(LONGEST_RUN_SECONDS, AT_LEAST_REQUESTS * request_seconds / workers))


def wrk_load(url: str, *, seconds: float, warmup: float, connections: int, threads: int) -> LoadResult:
    """Load ``url`` with wrk for ``warmup`` seconds (dropped), then ``seconds`` (measured),
    over ``connections`` keep-alive connections on ``threads`` threads.

    Raises ``LoadError`` if any response was outside 2xx or any connection failed, read,
    wrote or timed out (after ``TIMEOUT_SECONDS``).
    """
    if warmup > 0:
        _run_wrk(url, seconds=warmup, connections=connections, threads=threads, measured=False)
    figures = _run_wrk(url, seconds=seconds, connections=connections, threads=threads, measured=True)
    duration = figures["duration_us"] / 1e6
    latency = figures["latency_us"]
    return LoadResult(
        requests=figures["requests"],
        seconds=duration,
        per_second=figures["requests"] / duration,
        median_ms=latency["p50"] / 1000,
        p95_ms=latency["p95"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        kilobytes=figures["bytes"] / figures["requests"] / 1000,
    )


def _run_wrk(url: str, *, seconds: float, connections: int, threads: int, measured: bool) -> dict:
    """One wrk run; the JSON its ``done()`` hook printed, checked for errors and, if
    ``measured``, for at least one completed request (a warm-up of a slow page may have none)."""
    command = [
        wrk_path(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={TIMEOUT_SECONDS}s",
        f"--script={SCRIPT}",
        f"--header=Accept-Encoding: {ACCEPT_ENCODING}",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"bench_wrk"')]
    if result.returncode or not lines:
        raise LoadError(f"wrk failed on {url} (status {result.returncode}):\n{result.stdout}{result.stderr}")
    figures = json.loads(lines[-1])
    errors = {name: count for name, count in figures["errors"].items() if count}
    if figures["non2xx"] or errors:
        raise LoadError(
            f"{url} under load: {figures['non2xx']} responses outside 2xx (first: "
            f"{figures['first_non2xx_status']}), socket errors {errors or 'none'} "
            f"in {figures['requests']} requests."
        )
    if measured and not figures["requests"]:
        raise LoadError(f"wrk completed no request to {url} in {seconds} s.")
    return figures
