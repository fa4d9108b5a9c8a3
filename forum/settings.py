"""Settings for the forum project, read from the environment.

With nothing set, the project runs on SQLite, executes Celery tasks in-process and
prints e-mail to the console. Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``,
``DJANGO_SECRET_KEY`` and ``DJANGO_DEBUG=off``.
Docs: https://django-environ.readthedocs.io/ and
https://docs.djangoproject.com/en/5.2/ref/settings/
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


_MAX_SECONDS = 10 * 365 * 24 * 3600


def _seconds(name: str, default: int) -> int:
    """The whole number of seconds in environment variable ``name`` (``default`` if unset).

    Raises ``ImproperlyConfigured`` naming the variable if it is not a whole number, or is
    negative or more than ten years (Redis refuses such expiries); django-environ's own
    error names only the value.
    """
    try:
        value = env.int(name, default=default)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds, not {env.str(name)!r}.") from None
    if not 0 <= value <= _MAX_SECONDS:
        raise ImproperlyConfigured(f"{name} must be from 0 to {_MAX_SECONDS} seconds (ten years), not {value}.")
    return value


## CORE SETTINGS
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=True)
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "forum.views.csrf_failure"

## HTTPS (on by default when DEBUG is off; `manage.py check --deploy` lists them)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's health check calls /healthz over plain HTTP; it is answered, not
# redirected (paths without their leading "/").
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-redirect-exempt
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
# HSTS for a year, subdomains and preload included, as `check --deploy` asks; a domain
# whose subdomains are not all on HTTPS turns the last two off.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-seconds
SECURE_HSTS_SECONDS = _seconds("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    # https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Django's defaults, stated because the security review counts on them: the session cookie
# is out of reach of JavaScript, browsers must not guess a response's type, and other
# sites are not told which page a visitor came from.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

## CONTENT SECURITY POLICY (django-csp 4; enforced, not report-only)
# Scripts and styles only from the site's own files: no inline <script>, no on*= handler,
# no javascript: address, no style attribute or <style> element, no eval (a test scans the
# templates for them). Images from the site and data: URIs, which Bootstrap's style sheet
# uses for its form controls' icons. No plugins, no <base> elsewhere, no framing by any
# page, forms posted only to the site.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, as its documentation requires
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_countries",
    "import_export",
    "forum",
    "sessions_app",
    "registration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    # Text compressed for browsers that accept gzip (a 300-session programme: 550 KB of
    # HTML, 20 KB sent), with Django's BREACH mitigation; shared cached copies are stored
    # compressed (forum.caching); PDFs and spreadsheets are sent as they are. Before
    # ConditionalGetMiddleware, as Django's docs order them.
    # https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.gzip
    "forum.middleware.TextGZipMiddleware",
    # ETag on every full response and 304 to a matching If-None-Match / If-Modified-Since.
    # https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.http
    "django.middleware.http.ConditionalGetMiddleware",
    "forum.middleware.RejectNulInQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # An admin save the database refuses (constraint, lock timeout): a message, not a 500.
    "forum.middleware.AdminWriteRefusedMiddleware",
]

ROOT_URLCONF = "forum.urls"
WSGI_APPLICATION = "forum.wsgi.application"
ASGI_APPLICATION = "forum.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

## DATABASE SETTINGS
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock (up to 20 s) instead of failing with "database is locked".
    # https://docs.djangoproject.com/en/5.2/ref/databases/#database-is-locked-errors
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
    DATABASES["default"]["CONN_MAX_AGE"] = _seconds("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# An agenda item's admin page posts about 9 fields per speaker role.
# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-number-fields
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

## TASK RUNNER SETTINGS
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process so the project needs nothing else running.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# In-process tasks still borrow a producer from the broker's pool; an in-memory broker
# keeps kombu from looking for one on localhost (and from warning that it does).
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, so a worker that dies (killed, machine lost) leaves
# its message for another one (Redis hands it out again after the visibility timeout, 1 h).
# A pool process killed under a live worker (the render's hard time limit, the OOM killer)
# is acknowledged all the same (task_reject_on_worker_lost stays False): queued again, a
# document that kills its worker would kill the next one too. Its row stays RENDERING and
# beat's requeue_stuck_documents queues it again once stuck (sessions_app.services).
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis broker that refuses, stalls or vanishes must cost a request seconds, not hang it:
# connecting and every socket read give up after 2 s (kombu waits forever by default).
# Requests publish through forum.tasking, with one retry and no more.
# https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.redis.html
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
# The worker logs through Django's LOGGING (structured in production) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Scheduled work, run by `celery beat` (Procfile): stuck PDF renders and unsent e-mails
# queued again (a dead worker, a broker that was down), and the reminder e-mail before each forum.
# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-documents": {"task": "sessions_app.requeue_stuck_documents", "schedule": 5 * 60},
    "requeue-unsent-notifications": {"task": "registration.requeue_unsent_notifications", "schedule": 5 * 60},
    "send-forum-reminders": {"task": "registration.send_forum_reminders", "schedule": 15 * 60},
}

## CACHE SETTINGS
# Redis (REDIS_CACHE_URL, else the broker's Redis) when there is one, shared by every web
# and worker process; otherwise each process's own memory, which is right only for a
# single process (`runserver`, tests). Public pages and exports are cached here
# (forum.caching) and dropped whenever the data they show changes.
# https://docs.djangoproject.com/en/5.2/topics/cache/
_REDIS_CACHE_URL = env.str(
    "REDIS_CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
if _REDIS_CACHE_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, failing soft: Redis down costs caching, not pages (forum.cache).
            "BACKEND": "forum.cache.ResilientRedisCache",
            "LOCATION": _REDIS_CACHE_URL,
            "KEY_PREFIX": env.str("DJANGO_CACHE_KEY_PREFIX", default="forum"),
            # A stalled Redis must cost a second, not hang every worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 2000}}}
# Seconds a cached public page or export is kept at most (it is dropped earlier when its data changes).
PUBLIC_CACHE_SECONDS = _seconds("DJANGO_PUBLIC_CACHE_SECONDS", default=600)

## AUTHENTICATION SETTINGS
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/#substituting-a-custom-user-model
AUTH_USER_MODEL = "forum.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# https://docs.djangoproject.com/en/5.2/ref/settings/#login-url
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "forum:forum-list"  # reversed in the language of the sign-in page
# Participants sign up and sign in with their e-mail address; there are no usernames.
# allauth lower-cases the addresses it is given and looks accounts up by the lower-cased
# address, and ``forum.models.User`` stores addresses lower-cased, so "Ana@X.org" cannot
# open a second account beside "ana@x.org" and signs in as it (forum/tests/test_accounts.py).
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "forum.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "forum.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up and password reset answer alike whether or not an address has an account; the
# owner of a taken address gets an "account already exists" e-mail instead.
# https://docs.allauth.org/en/latest/account/configuration.html (ACCOUNT_PREVENT_ENUMERATION)
ACCOUNT_PREVENT_ENUMERATION = True
# allauth's rate limits stay on, at its defaults except one: among them 5 failed sign-ins
# per address in 5 minutes, 20 sign-ups a minute per IP, 5 password-reset requests a
# minute per address, one verification e-mail per address every 3 minutes. Failed
# sign-ins per IP go from 10 to 30 a minute: at the venue, hundreds of participants share
# one Wi-Fi address, and 10 typos a minute among them would lock everyone out. They count
# in CACHES, so several processes need the shared Redis cache. False would switch them off.
# https://docs.allauth.org/en/latest/account/rate_limits.html
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,5/5m/key"}
# https://docs.allauth.org/en/latest/account/configuration.html (ACCOUNT_EMAIL_SUBJECT_PREFIX)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Mayoral Forum] "
# The link in the verification e-mail opens a page with a "Confirm" button (a GET changes
# nothing, so mail scanners cannot confirm); confirming in the browser that signed up
# also signs the participant in (elsewhere they sign in with their password).
# https://docs.allauth.org/en/latest/account/configuration.html (ACCOUNT_CONFIRM_EMAIL_ON_GET)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# https://docs.allauth.org/en/latest/account/configuration.html (ACCOUNT_LOGOUT_REDIRECT_URL)
ACCOUNT_LOGOUT_REDIRECT_URL = "forum:forum-list"

## EMAIL SETTINGS
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="forum@localhost")
# The site's address as participants reach it, for the links in e-mails sent by tasks
# (which have no request to take the host from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

## INTERNATIONALISATION
# Stored datetimes are UTC; pages show them in each forum's own IANA time zone.
# Interface texts are marked for translation; Spanish ships (with LocaleMiddleware)
# once its translations exist, so pages are never half translated.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language: "22 January 2020" / "22 de enero de 2020", and the project's own
# named formats (forum/formats/__init__.py).
# https://docs.djangoproject.com/en/5.2/ref/settings/#format-module-path
FORMAT_MODULE_PATH = ["forum.formats"]
# Content in both languages (forum.translation, sessions_app.translation): English is the
# default; an empty text falls back to the other language.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en",), "en": ("es",)}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

## STATIC AND MEDIA FILES
# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "/static/"
# Where collectstatic writes (hashed, compressed) and whitenoise serves from.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
PERSON_PHOTO_MAX_BYTES = 5 * 1024 * 1024
"""Largest photo of a person accepted on upload (``forum.photos.validate_photo``): 5 MiB."""
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Generated PDFs: local files by default; DJANGO_FILE_STORAGE=s3 keeps them in an
# S3-compatible bucket (AWS, MinIO, Ceph…) that several web and worker machines share.
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the machine's role).
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
_FILE_STORAGE = env.str("DJANGO_FILE_STORAGE", default="local")
if _FILE_STORAGE == "s3":
    _DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "location": env.str("AWS_LOCATION", default="documents"),
            # Private objects: the document views check the forum before sending a file.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif _FILE_STORAGE == "local":
    _DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"DJANGO_FILE_STORAGE must be 'local' or 's3', not {_FILE_STORAGE!r}.")
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

## FORMS
# https://django-crispy-forms.readthedocs.io/en/latest/install.html
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

## LOGGING
# DJANGO_LOG_FORMAT=json (the production profile's) writes one JSON object per line, with
# time, level, logger, message and any extra fields, for a log collector.
# https://nhairs.github.io/python-json-logger/
_LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain")
if _LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be 'plain' or 'json', not {_LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "{asctime}{levelname}{name}{message}{process}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": _LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint's per-render progress and fontTools' subsetting chatter; their warnings
    # (e.g. a refused URL) still show.
    "loggers": {
        # Django's own console handler would print every line a second time.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

## EXPORTS
# django-import-export: only users holding a model's "export" permission (for registrations
# ``registration.export_registration``, personal data) see and use its export; superusers do.
# https://django-import-export.readthedocs.io/en/latest/installation.html#import-export-export-permission-code
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# Should a cell still hold a character XLSX cannot store (``registration.exports.neutralize``
# strips control characters first), replace it with U+FFFD instead of failing the whole export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
