"""gunicorn settings of the production profile (the Procfile's ``web``: ``gunicorn -c python:forum.gunicorn_conf``).

- ``bind``: ``0.0.0.0:$PORT``, port 8000 if ``PORT`` is unset (honcho sets it).
- ``workers``: ``WEB_CONCURRENCY``, else 2 × CPU cores + 1, gunicorn's suggested start
  (https://gunicorn.org/design/#how-many-workers). Requests are short: PDFs render in the
  Celery worker, so synchronous workers suffice.
- Logs: gunicorn's own (``gunicorn.error``, to stderr) and its access log (one line per
  request, to stdout) go through the formatter of Django's ``LOGGING``, so with
  ``DJANGO_LOG_FORMAT=json`` every line is one JSON object like Django's. An access line's
  message reads ``<client> "<request line>" <status> <bytes> <ms>ms`` and, in JSON, the
  object also holds ``method``, ``path``, ``status``, ``bytes``, ``duration_ms``,
  ``remote_addr`` and ``user_agent``.
  https://gunicorn.org/reference/settings/#logconfig_dict
- A personal calendar feed's key (its secret address) is masked in the access log.
- No control socket: its default path (``$XDG_RUNTIME_DIR/gunicorn.ctl`` or
  ``~/.gunicorn/gunicorn.ctl``) is the same for every gunicorn of the user, so a second
  one (a benchmark, a test) would take it over.
"""

import logging
import os
import re
from collections.abc import Mapping

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# The cores this process may run on (a container's CPU set), not the host's.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1))
control_socket_disable = True
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


class AccessFields(logging.Filter):
    """Copies a gunicorn access record's request fields to record attributes, which the JSON
    formatter writes as keys of their own (the plain one ignores them).

    gunicorn logs each request as ``access_log.info(access_log_format, atoms)``, ``atoms``
    a mapping of its format codes (``h`` client, ``m`` method, ``U`` path, ``s`` status,
    ``B`` body bytes, ``M`` milliseconds, ``a`` user agent): ``record.args`` is that mapping.
    https://gunicorn.org/reference/settings/#access_log_format
    """

    FIELDS = {
        "method": "m",
        "path": "U",
        "status": "s",
        "bytes": "B",
        "duration_ms": "M",
        "remote_addr": "h",
        "user_agent": "a",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields to ``record`` if it carries gunicorn's atoms, with the key of a
        personal calendar feed (``/calendar/<key>.ics``, a secret address) masked in the
        path and the request line; always keep the record."""
        if isinstance(record.args, Mapping):
            record.args = {code: _masked(value) if code in "rU" else value for code, value in record.args.items()}
            for field, code in self.FIELDS.items():
                setattr(record, field, record.args[code])
        return True


_CALENDAR_KEY = re.compile(r"(/calendar/)[^/?#\s]+(\.ics)")


def _masked(text: str) -> str:
    """``text`` with any personal calendar feed key replaced by "…"."""
    return _CALENDAR_KEY.sub(r"\1…\2", text) if isinstance(text, str) else text


def _logconfig() -> dict:
    """gunicorn's logging: Django's formatters and root logger, gunicorn's loggers on stderr and stdout."""
    django_logging = settings.LOGGING
    console = django_logging["handlers"]["console"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": django_logging["formatters"],
        "filters": {"access_fields": {"()": AccessFields}},
        "handlers": {
            "console": console,
            "access": {**console, "stream": "ext://sys.stdout", "filters": ["access_fields"]},
        },
        "root": django_logging["root"],
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


logconfig_dict = _logconfig()
