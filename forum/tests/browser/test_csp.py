"""The Content-Security-Policy in a real browser: the site works under it and breaks none of its rules.

Every page records the browser's ``securitypolicyviolation`` events (an init script,
which the policy does not govern); each test walks pages and their scripts (the menu,
the admin's inlines, calendars, add-another pop-ups, the export's "Select all") and
expects no violation and the scripts' effects.
"""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from forum.models import Person
from forum.tests.browser.support import load_quito
from registration.tests.factories import RegistrationSettingsFactory, SessionSignupFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FORUM = "/en/forums/quito-2020"
SESSION_SLUG = "strengthen-partnerships-local-immigration-response"
ORGANIZER = "organizer@example.org"
PASSWORD = "a long and unusual passphrase 42"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def violations(page) -> list[str]:
    """The policy violations the browser reported on ``page`` since it loaded."""
    return page.evaluate("window.__cspViolations || []")


def visit(page, url: str) -> list[str]:
    """Open ``url`` on ``page``, wait until it is idle, return its violations."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return violations(page)


@pytest.fixture
def recorded_page(page):
    """``page`` recording policy violations on every document it loads (pop-ups included)."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    return page


def sign_in_to_admin(page, live_url: str) -> None:
    """Create the organizer account and sign in to the admin as it."""
    call_command("create_organizer", email=ORGANIZER, password=PASSWORD, stdout=io.StringIO())
    page.goto(f"{live_url}/admin/login/")
    page.get_by_label("E-mail address").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()


def test_public_pages_sign_in_and_registration_break_no_rule_of_the_policy(recorded_page, live_url, steps):
    page = recorded_page
    forum = load_quito()
    RegistrationSettingsFactory(forum=forum)
    speaker = Person.objects.filter(speaker_roles__isnull=False).first()
    found = {}
    for path in [
        "/en/",
        f"{FORUM}/",
        f"{FORUM}/programme/",
        f"{FORUM}/sessions/{SESSION_SLUG}/",
        f"{FORUM}/speakers/",
        f"{FORUM}/speakers/{speaker.slug}/",
        f"{FORUM}/organizations/",
        f"{FORUM}/now/",
        f"{FORUM}/changelog/",
        f"{FORUM}/privacy/",
        "/en/accounts/login/",
        "/en/accounts/password/reset/",
        "/en/no-such-page/",
    ]:
        found[path] = visit(page, f"{live_url}{path}")
    assert {path: found_here for path, found_here in found.items() if found_here} == {}

    # Bootstrap's script opens the menu of a narrow screen.
    page.set_viewport_size({"width": 400, "height": 800})
    visit(page, f"{live_url}{FORUM}/programme/")
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="Programme", exact=True)).to_be_visible()
    steps("menu open")
    assert violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    # A sign-up refused shows Bootstrap's invalid-field icons (data: images).
    visit(page, f"{live_url}/en/accounts/signup/")
    page.get_by_label("Email").fill("ana.quispe@example.org")
    page.get_by_role("textbox", name=re.compile(r"^Password\*?$")).fill(PASSWORD)
    page.get_by_role("textbox", name=re.compile(r"^Password \(again\)")).fill("something else entirely 7")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("You must type the same password each time.")).to_be_visible()
    steps("sign-up refused")
    assert violations(page) == []

    # The registration form, signed in.
    sign_in_to_admin(page, live_url)
    assert visit(page, f"{live_url}{FORUM}/register/") == []
    expect(page.get_by_label("Country")).to_be_visible()
    steps("registration form")


def test_admin_forms_and_their_scripts_break_no_rule_of_the_policy(recorded_page, live_url, steps):
    page = recorded_page
    forum = load_quito()
    session = forum.sessions.get(slug=SESSION_SLUG)
    SessionSignupFactory(session=session, registration__forum=forum)
    sign_in_to_admin(page, live_url)
    found = {}
    for path in [
        "/admin/",
        "/admin/sessions_app/session/",
        "/admin/sessions_app/session/add/",
        f"/admin/forum/forum/{forum.pk}/change/",
        "/admin/forum/person/",
        "/admin/registration/registration/",
        "/admin/registration/sessionsignup/attendance/",
        f"/admin/registration/sessionsignup/attendance/{session.pk}/",
        "/admin/no-such-page/",
    ]:
        found[path] = visit(page, f"{live_url}{path}")
    assert {path: found_here for path, found_here in found.items() if found_here} == {}

    # A session's change form: an inline row added, a date picked from the calendar.
    assert visit(page, f"{live_url}/admin/sessions_app/session/{session.pk}/change/") == []
    inline = page.locator(".inline-group").filter(has=page.locator(".add-row a")).first
    total_forms = inline.locator("input[name$='-TOTAL_FORMS']")
    forms_before = int(total_forms.input_value())
    inline.locator(".add-row a").click()
    expect(total_forms).to_have_value(str(forms_before + 1))
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()
    steps("inline added, date picked")
    assert violations(page) == []

    # "Add another" opens a pop-up whose saved theme is selected in the form.
    with page.expect_popup() as popup_info:
        page.locator("a.add-related[href*='/theme/add/']").click()
    popup = popup_info.value
    popup.wait_for_load_state("networkidle")
    assert violations(popup) == []
    popup.get_by_label("Title [en]").fill("Cities and climate mobility")
    popup.get_by_label("Forum").select_option(label=str(forum))
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("select[name=theme] option:checked")).to_have_text("Cities and climate mobility")
    steps("theme added from the pop-up")
    assert violations(page) == []

    # The registrations' export: "Select all" unchecks and checks every column.
    assert visit(page, f"{live_url}/admin/registration/registration/export/") == []
    columns = page.locator(".selectable-field-export-row input[type=checkbox]:not(.select-toggle)")
    assert columns.count() > 1
    page.get_by_label("Select all").uncheck()
    expect(columns.and_(page.locator(":checked"))).to_have_count(0)
    page.get_by_label("Select all").check()
    expect(columns.and_(page.locator(":checked"))).to_have_count(columns.count())
    steps("export columns")
    assert violations(page) == []
