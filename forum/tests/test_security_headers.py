"""Security headers: the Content-Security-Policy on every page, templates it can enforce
without breaking them, and the production profile's cookies, HSTS and headers.

The policy's effect in a browser (no violation on the public pages, sign-in, registration
and the admin) is checked by ``forum/tests/browser/test_csp.py``.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from forum.tests.test_production import production_env

BASE_DIR = Path(settings.BASE_DIR)
ONE_YEAR_SECONDS = 365 * 24 * 3600

# Templates never shown under the site's policy: e-mails (mail clients need inline styles)
# and the PDF documents (WeasyPrint prints them; it runs no script).
NOT_SERVED_TEMPLATE_DIRS = {"email", "pdf"}


def policy(response) -> dict[str, list[str]]:
    """The enforced Content-Security-Policy of ``response`` as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_policy(response) -> None:
    """``response`` enforces the site's policy: scripts and styles from the site alone."""
    assert "Content-Security-Policy-Report-Only" not in response.headers
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources


# --- The header on every kind of response ------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    "url, status",
    [
        ("/en/", 200),
        ("/en/forums/quito-2020/", 200),
        ("/en/forums/quito-2020/programme/", 200),
        ("/en/accounts/login/", 200),
        ("/en/accounts/signup/", 200),
        ("/admin/login/", 200),
        ("/en/no-such-page/", 404),
        ("/en/forums/no-such-forum/", 404),
        ("/en/?q=%00", 400),
    ],
)
def test_pages_errors_and_sign_in_enforce_the_policy(client, quito_forum, url, status):
    response = client.get(url)

    assert response.status_code == status
    assert_strict_policy(response)


@pytest.mark.integration
@pytest.mark.parametrize(
    "url_name, args",
    [
        ("admin:index", []),
        ("admin:sessions_app_session_changelist", []),
        ("admin:registration_registration_export", []),
    ],
)
def test_admin_pages_enforce_the_policy(admin_client, quito_forum, url_name, args):
    response = admin_client.get(reverse(url_name, args=args))

    assert response.status_code == 200
    assert_strict_policy(response)


@pytest.mark.integration
def test_admin_session_change_form_enforces_the_policy(admin_client, quito_session):
    response = admin_client.get(reverse("admin:sessions_app_session_change", args=[quito_session.pk]))

    assert response.status_code == 200
    assert_strict_policy(response)


@pytest.mark.integration
def test_admin_export_page_has_no_inline_script_or_style(admin_client, db):
    response = admin_client.get(reverse("admin:registration_registration_export"))

    html = response.content.decode()
    assert "Select all" in html
    assert re.search(r"<input[^>]*class=\"select-toggle\"", html)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)
    assert not re.search(r"<[^>]+\sstyle\s*=", html)
    assert "js/admin-export.js" in html


# --- Templates the policy can enforce ----------------------------------------------------------


def served_templates() -> list[Path]:
    """Every HTML template of the project (``templates/`` and the apps' ``templates/``) that a
    browser is shown, i.e. all but ``NOT_SERVED_TEMPLATE_DIRS``."""
    roots = [
        BASE_DIR / "templates",
        *(BASE_DIR / app / "templates" for app in ("forum", "sessions_app", "registration")),
    ]
    return sorted(
        path
        for root in roots
        if root.is_dir()
        for path in root.rglob("*.html")
        if not NOT_SERVED_TEMPLATE_DIRS & set(path.relative_to(root).parts[:-1])
    )


TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def inline_code(template: str) -> list[str]:
    """What in ``template`` the policy would block: an inline ``<script>`` (one without
    ``src``, unless it is ``type="application/json"`` data), an ``on…=`` handler, a
    ``javascript:`` address, a ``<style>`` element or a ``style=`` attribute."""
    found = []
    for match in SCRIPT.finditer(template):
        attributes = match.group(1)
        if not re.search(r"\ssrc\s*=", attributes) and not re.search(
            r"\stype\s*=\s*[\"']application/json[\"']", attributes
        ):
            found.append(match.group(0))
    for tag in TAG.findall(template):
        if INLINE_HANDLER.search(tag) or STYLE_ATTRIBUTE.search(tag):
            found.append(tag)
    found += re.findall(r"javascript:", template, re.I)
    found += re.findall(r"<style\b[^>]*>", template, re.I)
    return found


@pytest.mark.unit
def test_served_templates_are_found():
    names = {path.name for path in served_templates()}

    assert {"base.html", "404.html", "programme.html", "export.html"} <= names
    assert "message.html" not in names  # an e-mail


@pytest.mark.unit
@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        '<button onclick="go()">',
        "<body onload='go()'>",
        '<a href="javascript:go()">',
        "<style>p { color: red; }</style>",
        '<p style="color: red">',
    ],
)
def test_inline_code_finds_what_the_policy_blocks(snippet):
    assert inline_code(f"<div>{snippet}</div>") != []


@pytest.mark.unit
@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/admin-export.js" defer></script>',
        '<script type="application/json" id="data">{"a": 1}</script>',
        '<a href="/en/" data-bs-toggle="collapse">',
        "<p>Sessions on the programme</p>",
    ],
)
def test_inline_code_leaves_external_scripts_and_data_alone(snippet):
    assert inline_code(f"<div>{snippet}</div>") == []


@pytest.mark.unit
@pytest.mark.parametrize("path", served_templates(), ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_templates_hold_no_inline_script_or_style(path):
    assert inline_code(path.read_text(encoding="utf-8")) == []


# --- The production profile ----------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
import django
from django.conf import settings
from django.test import Client, override_settings

django.setup()
# Static URLs without collectstatic's manifest; everything else as production has it.
static_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": static_storage}).enable()
client = Client(SERVER_NAME="forum.example.org")
secure = client.get("/admin/login/", secure=True)
plain = client.get("/admin/login/")
names = [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
]
print(json.dumps({
    "settings": {name: getattr(settings, name) for name in names},
    "secure": {"status": secure.status_code, "headers": dict(secure.headers),
               "cookies": {name: dict(morsel) for name, morsel in secure.cookies.items()}},
    "plain": {"status": plain.status_code, "location": plain.headers.get("Location")},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """Settings and an admin sign-in page as the production profile gives them (a fresh
    process with ``production_env``; the database is an empty SQLite file, unused)."""
    database = tmp_path_factory.mktemp("production-db") / "empty.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=production_env(DATABASE_URL=f"sqlite:///{database}", DJANGO_LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.integration
def test_production_cookies_are_secure_and_the_session_cookie_http_only(production):
    config = production["settings"]
    assert config["DEBUG"] is False
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["CSRF_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    csrf_cookie = production["secure"]["cookies"]["csrftoken"]
    assert csrf_cookie["secure"] is True


@pytest.mark.integration
def test_production_sends_hsts_for_a_year_with_subdomains_and_redirects_to_https(production):
    config = production["settings"]
    assert config["SECURE_HSTS_SECONDS"] >= ONE_YEAR_SECONDS
    assert config["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert config["SECURE_SSL_REDIRECT"] is True
    hsts = production["secure"]["headers"]["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= ONE_YEAR_SECONDS
    assert "includeSubDomains" in hsts
    assert production["plain"]["status"] == 301
    assert production["plain"]["location"] == "https://forum.example.org/admin/login/"


@pytest.mark.integration
def test_production_pages_carry_the_policy_and_the_other_security_headers(production):
    secure = production["secure"]
    headers = secure["headers"]
    assert secure["status"] == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy-Report-Only" not in headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self';" in csp + ";"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.django_db
def test_a_form_sent_without_the_csrf_cookie_says_to_allow_cookies():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("account_login"), {"login": "a@example.org", "password": "x"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "Your form could not be sent" in page
    assert "Allow cookies for this site" in page
    assert "<style" not in page
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_a_form_sent_with_a_stale_csrf_token_says_to_reload_it():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))  # sets the CSRF cookie

    response = client.post(
        reverse("account_login"), {"login": "a@example.org", "password": "x", "csrfmiddlewaretoken": "stale" * 10}
    )

    page = response.content.decode()
    assert response.status_code == 403
    assert "The form was open for too long" in page
    assert "Allow cookies" not in page
