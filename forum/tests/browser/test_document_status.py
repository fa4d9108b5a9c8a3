"""Pages that keep themselves up to date without reloading (static/js/live-update.js),
in a real browser.

The status page of a PDF being prepared follows the document from queued to rendering,
starts the download once the PDF is ready, breaks no rule of the Content-Security-Policy
and passes axe. The render never runs: ``services._queue_render`` is replaced for the test
(the live server's thread runs in this process), and the test moves the document on
through the ORM, as a worker would.

The venue's "now and next" screen shows a change a minute later, its clock run forward by
Playwright, and passes axe.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from forum.tests.browser.support import assert_no_blocking_violations, load_quito
from sessions_app import services
from sessions_app.models import GeneratedDocument

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SESSION_SLUG = "strengthen-partnerships-local-immigration-response"
STORED_PDF = b"%PDF-1.7\n% the agenda as the worker stored it\n%%EOF\n"
# Several polls of the page (every 2 s) fit in this.
UPDATE_TIMEOUT_MS = 10_000
RECORD = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def renders_held(monkeypatch):
    """No render task is sent: a requested PDF stays QUEUED until the test moves it on."""
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)


def test_status_page_follows_the_render_without_reloading_and_downloads_the_pdf(
    page, live_url, steps, axe_source, renders_held
):
    load_quito()
    agenda_url = reverse(
        "documents:session-agenda-pdf", kwargs={"forum_slug": "quito-2020", "session_slug": SESSION_SLUG}
    )
    page.context.add_init_script(RECORD)

    page.goto(f"{live_url}{agenda_url}")
    document = GeneratedDocument.objects.get()
    assert page.url == f"{live_url}{agenda_url}/status/{document.pk}/"
    region = page.locator("#document-status-region")
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_text("Queued — waiting for a worker")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "1")
    steps("queued")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads

    document.status, document.render_started_at = GeneratedDocument.Status.RENDERING, timezone.now()
    document.save(update_fields=["status", "render_started_at", "updated_at"])

    expect(region).to_have_text("Rendering…", timeout=UPDATE_TIMEOUT_MS)
    progress = page.get_by_role("progressbar", name="Step 2 of 2: rendering")
    expect(progress).to_have_attribute("aria-valuenow", "2")
    expect(page.locator("#document-status-details")).to_contain_text("Started")
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    steps("rendering")
    violations = assert_no_blocking_violations(page, axe_source, steps, "the status page")
    assert "meta-refresh" not in {v["id"] for v in violations}

    with page.expect_download(timeout=UPDATE_TIMEOUT_MS) as download:
        document.file.save("agenda.pdf", ContentFile(STORED_PDF), save=False)
        document.status = GeneratedDocument.Status.READY
        document.save()

    assert download.value.path().read_bytes() == STORED_PDF
    expect(region).to_contain_text("Your PDF is ready. The download starts by itself.")
    expect(region.get_by_role("link", name="Download the PDF")).to_have_attribute("href", agenda_url)
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    steps("ready")
    assert page.evaluate("() => window.__cspViolations") == []


def test_now_and_next_screen_updates_itself_without_reloading(page, live_url, steps, axe_source):
    forum = load_quito()
    page.clock.install()  # the script's minute passes when the test says so
    page.goto(f"{live_url}{reverse('sessions_app:now-next', kwargs={'forum_slug': forum.slug})}")
    header = page.locator("#now-next-header")
    expect(header).to_contain_text(forum.title)
    steps("screen")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads

    forum.title = "Mayoral Forum, Quito (updated)"
    forum.save()
    page.clock.run_for(60_000)

    expect(header).to_contain_text("Mayoral Forum, Quito (updated)", timeout=UPDATE_TIMEOUT_MS)
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    steps("updated")
    violations = assert_no_blocking_violations(page, axe_source, steps, "the now and next screen")
    assert "meta-refresh" not in {v["id"] for v in violations}
