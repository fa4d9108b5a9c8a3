"""The benchmark's output: one row per figure with its ratio to its floor and the issue's
target, the machine's facts, and the same as JSON."""

import os
import platform
from dataclasses import asdict, dataclass
from importlib.metadata import version

import django
from django.db import connection


@dataclass
class Row:
    """One figure of the table.

    ``per_second``, ``median_ms`` and ``p95_ms`` are None where they do not apply (a
    render); ``ratio`` is the figure against its floor as printed ("12.3%" of the trivial
    view's requests per second, "1.10×" a time ratio); ``met`` is None without a target.
    """

    name: str
    per_second: float | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    tiny_queries: int | None = None
    ratio: str = ""
    target: str = ""
    met: bool | None = None


COLUMNS = ("figure", "req/s", "median ms", "p95 ms", "queries", "1-session", "vs floor", "target", "")


def table(rows: list[Row]) -> str:
    """``rows`` as a plain-text table; "queries" is the forum's count per request and
    "1-session" the same URL's count on a forum of one parallel session."""
    cells = [COLUMNS] + [
        (
            row.name,
            _number(row.per_second, "{:,.1f}"),
            _number(row.median_ms, "{:,.1f}"),
            _number(row.p95_ms, "{:,.1f}"),
            _number(row.queries, "{}"),
            _number(row.tiny_queries, "{}"),
            row.ratio,
            row.target,
            "" if row.met is None else ("met" if row.met else "MISSED"),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(COLUMNS))]
    lines = []
    for index, line in enumerate(cells):
        lines.append(
            "  ".join(
                cell.ljust(width) if column == 0 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _number(value: float | int | None, template: str) -> str:
    return "" if value is None else template.format(value)


def as_dicts(rows: list[Row]) -> list[dict]:
    """``rows`` as JSON-ready dicts."""
    return [asdict(row) for row in rows]


def machine_facts() -> dict[str, str]:
    """The machine and software the figures were measured on: CPU, cores, Python, Django,
    PostgreSQL (the server of the current connection), gunicorn and WeasyPrint."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    return {
        "cpu": _cpu_model(),
        "cores": str(len(os.sched_getaffinity(0))),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgresql,
        "gunicorn": version("gunicorn"),
        "weasyprint": version("weasyprint"),
        "os": platform.platform(terse=True),
    }


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
