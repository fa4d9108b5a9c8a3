"""Accessibility in a real browser: axe-core's report on the main pages in both languages,
keyboard-only use (skip link, visible focus), the page language and form errors tied to
their fields.

axe-core is the copy ``scripts/setup-browser`` installs from the npm registry into
``node_modules/`` (pinned in package.json). It is evaluated in the page the way
``@axe-core/playwright`` does, so the site's Content-Security-Policy does not block it.
A page passes when axe reports no violation of impact "serious" or "critical"; on failure
the full axe report is kept as ``axe.json`` beside the test's screenshots.
"""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from forum.models import Forum
from forum.tests.browser import support
from forum.tests.factories import UserFactory
from registration.tests.factories import (
    RegistrationFactory,
    RegistrationSettingsFactory,
    SessionSignupFactory,
    VerifiedUserFactory,
)
from sessions_app.models import SpeakerRole

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FORUM = "/forums/quito-2020"
SESSION_SLUG = "strengthen-partnerships-local-immigration-response"
LANGUAGES = ["en", "es"]
REQUIRED = "This field is required."
NO_CONSENT = "Registration needs your consent to the processing of your data."

# The focused element, as a keyboard user sees it: what it is and how its focus is drawn.
FOCUSED_JS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    tag: e.tagName, id: e.id, name: e.getAttribute("name"), href: e.getAttribute("href"),
    text: (e.innerText || e.value || "").trim().slice(0, 60),
    inSearch: e.closest("[role=search]") !== null,
    outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), boxShadow: s.boxShadow,
    box: {x: r.x, y: r.y, width: r.width, height: r.height},
    onTop: document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e,
  };
}"""


def load_quito() -> Forum:
    """The Quito forum from its concept note, taking registrations."""
    forum = support.load_quito()
    RegistrationSettingsFactory(forum=forum)
    return forum


def sign_in(page, live_url: str, user) -> None:
    """Give ``page``'s browser context the session cookie of ``user`` signed in."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_url}])


def anonymous(forum):
    """Nobody: the page as a visitor who has not signed in sees it."""
    return None


def participant(forum):
    """A signed-up participant, not yet registered for ``forum``."""
    return VerifiedUserFactory()


def registered_participant(forum):
    """A participant registered for ``forum`` and signed up for its parallel session."""
    registration = RegistrationFactory(forum=forum)
    SessionSignupFactory(registration=registration, session=forum.sessions.get(slug=SESSION_SLUG))
    return registration.user


def rapporteur(forum):
    """A new user linked to the person the concept note names rapporteur of the Quito
    parallel session, as an organizer's invitation links them."""
    user = UserFactory()
    role = SpeakerRole.objects.select_related("person").get(
        role=SpeakerRole.Role.RAPPORTEUR, agenda_item__session__forum=forum, agenda_item__session__slug=SESSION_SLUG
    )
    role.person.user = user
    role.person.save(update_fields=["user"])
    return user


# name: (path after the language prefix, who looks at it)
PAGES = {
    "site-root": ("/", anonymous),
    "forum-home": (f"{FORUM}/", anonymous),
    "programme": (f"{FORUM}/programme/", anonymous),
    "session": (f"{FORUM}/sessions/{SESSION_SLUG}/", anonymous),
    "registration": (f"{FORUM}/register/", participant),
    "registration-errors": (f"{FORUM}/register/", participant),
    "my-registration": (f"{FORUM}/registration/", registered_participant),
    "rapporteur-editor": (f"/rapporteur/quito-2020/{SESSION_SLUG}/", rapporteur),
}


def submit_empty(page) -> None:
    """Submit the page's main form as it is, past Chromium's own check of required fields,
    so the server's error messages show; wait for them."""
    form = page.locator("main form").first
    form.evaluate("form => { form.noValidate = true; }")
    form.locator("[type=submit]").last.click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_axe_violations(page, live_url, steps, axe_source, name, language):
    path, who = PAGES[name]
    user = who(load_quito())
    if user is not None:
        sign_in(page, live_url, user)

    response = page.goto(f"{live_url}/{language}{path}")
    assert (response.status, page.url) == (200, f"{live_url}/{language}{path}")
    if name == "registration-errors":
        submit_empty(page)
    steps(f"{name} {language}")

    support.assert_no_blocking_violations(page, axe_source, steps, f"/{language}{path} ({name})")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_url, steps):
    load_quito()
    page.goto(f"{live_url}/en{FORUM}/programme/")

    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED_JS)
    steps("skip link focused")
    assert (focused["text"], focused["href"]) == ("Skip to main content", "#main")
    box, viewport = focused["box"], page.viewport_size
    assert box["width"] > 20 and box["height"] > 20, f"skip link is clipped: {box}"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"], box
    assert focused["onTop"], "skip link is covered by another element"
    assert focused["outlineStyle"] != "none"

    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED_JS)["id"] == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_tabbing_through_the_programme_reaches_filters_and_a_session_with_visible_focus(page, live_url, steps):
    load_quito()
    page.goto(f"{live_url}/en{FORUM}/programme/")

    stops = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused["tag"] == "BODY" or (stops and focused["text"] == "Skip to main content"):
            break
        stops.append(focused)
        if focused["name"] == "q":
            steps("search field focused")

    session_link = f"/en{FORUM}/sessions/{SESSION_SLUG}/"
    assert any(stop["inSearch"] and stop["name"] == "q" for stop in stops), stops
    assert any(stop["inSearch"] and stop["tag"] == "BUTTON" and stop["text"] == "Find sessions" for stop in stops)
    assert any(stop["href"] == session_link for stop in stops), [stop["href"] for stop in stops]
    unmarked = [
        stop
        for stop in stops
        if (stop["outlineStyle"] == "none" or stop["outlineWidth"] < 2) and stop["boxShadow"] == "none"
    ]
    assert not unmarked, f"focused without a visible outline: {unmarked}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_language_is_the_address_language(page, live_url, language):
    load_quito()
    for path in ("/", f"{FORUM}/", f"{FORUM}/programme/", "/accounts/login/"):
        page.goto(f"{live_url}/{language}{path}")
        assert page.locator("html").get_attribute("lang") == language, path


def test_language_switch_changes_the_page_language(page, live_url):
    load_quito()
    page.goto(f"{live_url}/en{FORUM}/programme/")
    page.get_by_role("button", name="Español").click()
    expect(page).to_have_url(f"{live_url}/es{FORUM}/programme/")
    assert page.locator("html").get_attribute("lang") == "es"


def assert_errors_tied_to_fields(page, expected: dict[str, str]) -> None:
    """Each field named in ``expected`` is marked invalid and described by an element whose
    text is its error message; no other field is marked invalid."""
    invalid = page.locator("main [aria-invalid=true]")
    assert sorted(invalid.evaluate_all("fields => fields.map(f => f.name)")) == sorted(expected)
    for name, message in expected.items():
        field = page.locator(f"main [name={name}]")
        described_by = (field.get_attribute("aria-describedby") or "").split()
        texts = [page.locator(f"[id='{element_id}']").inner_text().strip() for element_id in described_by]
        assert message in texts, f"{name}: described by {described_by} = {texts}"
        expect(page.locator(f"[id='{described_by[texts.index(message)]}']")).to_be_visible()


def test_registration_errors_are_tied_to_their_fields(page, live_url, steps):
    sign_in(page, live_url, participant(load_quito()))
    page.goto(f"{live_url}/en{FORUM}/register/")

    submit_empty(page)
    steps("errors shown")

    required = {name: REQUIRED for name in ("printed_name", "organization", "category", "country", "city")}
    assert_errors_tied_to_fields(page, {**required, "consent": NO_CONSENT})


def test_sign_up_errors_are_tied_to_their_fields(page, live_url, steps):
    page.goto(f"{live_url}/en/accounts/signup/")

    submit_empty(page)
    steps("errors shown")

    assert_errors_tied_to_fields(page, {name: REQUIRED for name in ("email", "password1", "password2")})
