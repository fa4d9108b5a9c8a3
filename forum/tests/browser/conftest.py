"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against a live server.

Mark every browser test module with
``pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]`` so that, under
``scripts/test`` (``--dist loadgroup``), one process and one Chromium serve them all.

Chromium is ``/usr/bin/chromium`` (``scripts/setup-browser`` installs it; Playwright's own
browser download is not used). Without a usable Chromium the tests are skipped with the
reason, unless ``FORUM_BROWSER_TESTS=required`` (set by ``scripts/test``), which makes
them fail instead.

Each test's step screenshots go to ``test-artifacts/browser/<test name>/NN-<step>.png``
(``$FORUM_TEST_ARTIFACTS/browser/…`` when that variable is set); they are deleted when the
test passes and kept, with a final full-page screenshot, when it fails.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: Chromium's sandbox refuses to start as root and in containers without user
# namespaces; the pages it opens are the test's own live server. --disable-dev-shm-usage:
# containers often give /dev/shm only 64 MB, too little for Chromium's renderers.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
REQUIRED_ENV = "FORUM_BROWSER_TESTS"
ARTIFACTS_ENV = "FORUM_TEST_ARTIFACTS"
REPO_ROOT = Path(__file__).resolve().parents[3]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


def artifacts_root() -> Path:
    """The folder of the browser tests' screenshots: ``$FORUM_TEST_ARTIFACTS/browser`` when
    that variable is set, else ``test-artifacts/browser`` at the repository root."""
    base = os.environ.get(ARTIFACTS_ENV)
    return (Path(base) if base else REPO_ROOT / "test-artifacts") / "browser"


def _unavailable(reason: str):
    """Skip the test with ``reason``, or fail it when browser tests are required."""
    if os.environ.get(REQUIRED_ENV) == "required":
        pytest.fail(f"{reason} ({REQUIRED_ENV}=required; run scripts/setup-browser)", pytrace=False)
    pytest.skip(f"{reason} (run scripts/setup-browser)")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Playwright sync API) for each module of browser tests.

    Playwright's sync API keeps an asyncio event loop running in this thread, so Django
    would refuse ORM calls from the tests ("SynchronousOnlyOperation"); the calls are
    plain synchronous ones, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while the browser runs
    and restored when it stops. Per module rather than per process, so that the variable
    does not leak into the other tests of the process (``check --deploy`` run by a later
    test in a subprocess would report it as async.E001).
    """
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed: {exc}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium at {CHROMIUM} did not start: {exc.message.splitlines()[0]}")
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    """Make a page in a fresh browser context (own cookies, English, 1280×900); call it
    again for a second user, such as an organizer beside a rapporteur. Every context is
    closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(locale="en", viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context (no cookies, English) for this test."""
    return new_page()


@pytest.fixture
def live_url(live_server) -> str:
    """The live server's address, e.g. ``http://localhost:41234`` (no trailing slash)."""
    return live_server.url


class Steps:
    """Numbered screenshots of a test's steps: ``steps("signed up")`` saves
    ``NN-signed-up.png`` of the test's page (or of ``page=`` another one)."""

    def __init__(self, folder: Path, page):
        """Screenshots go to ``folder`` (emptied first); ``page`` is the default page."""
        self.folder = folder
        self.pages = [page]
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)

    def __call__(self, name: str, page=None):
        """Save a screenshot of the visible part of ``page`` (default: the test's page)
        named after the step, once the page has loaded; return its path."""
        page = page or self.pages[0]
        if page not in self.pages:
            self.pages.append(page)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{_slug(name)}.png"
        page.wait_for_load_state()
        page.screenshot(path=str(path))
        return path

    def final(self):
        """After a failure: a full-page screenshot of every page the test showed."""
        for number, page in enumerate(self.pages, start=1):
            if not page.is_closed():
                page.screenshot(path=str(self.folder / f"99-final-page{number}.png"), full_page=True)

    def discard(self):
        """After a pass: remove the test's screenshots."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _slug(text: str) -> str:
    """``text`` as a file name: lowercase letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "step"


@pytest.fixture
def steps(request, page) -> Steps:
    """The step-screenshot helper of this test (see ``Steps``)."""
    return Steps(artifacts_root() / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-"), page)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Once a browser test has run: delete its screenshots if it passed (or was skipped);
    if it failed, add a full-page screenshot of each page and name the folder in the report."""
    outcome = yield
    report = outcome.get_result()
    steps = item.funcargs.get("steps") if hasattr(item, "funcargs") else None
    if report.when != "call" or not isinstance(steps, Steps):
        return
    if report.failed:
        try:
            steps.final()
        except Exception as exc:  # the page may have crashed: keep the report of the failure itself
            report.sections.append(("browser screenshots", f"final screenshot failed: {exc}"))
        report.sections.append(("browser screenshots", f"kept in {steps.folder}"))
    else:
        steps.discard()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """The text of axe-core's ``axe.min.js``; the test is skipped (failed under
    ``scripts/test``) without it."""
    from forum.tests.browser.support import AXE_JS

    if not AXE_JS.is_file():
        _unavailable(f"axe-core not found at {AXE_JS}")
    return AXE_JS.read_text(encoding="utf-8")
