"""Whole journeys in a real browser: a participant, an organizer and a rapporteur.

Each test clicks and types the way a person does (by label and role), screenshots each
step (``steps``) and checks what the person gets: pages, e-mails, PDFs (text read with
pypdf) and calendar files (parsed with icalendar).
"""

import io
import re

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from forum.models import Person
from forum.tests.browser.support import load_quito
from forum.tests.factories import PersonFactory
from registration.tests.factories import RegistrationSettingsFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FORUM_PATH = "/forums/quito-2020"
FORUM = f"/en{FORUM_PATH}"
SESSION_SLUG = "strengthen-partnerships-local-immigration-response"
PASSWORD = "a long and unusual passphrase 42"
ORGANIZER = "organizer@example.org"
DOWNLOAD_TIMEOUT_MS = 30_000


def download(page, link) -> bytes:
    """Click ``link`` and return the bytes of the file it downloads, whether the site sends
    the file at once or first shows its "being prepared" page, which starts the download
    when the file is ready."""
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as info:
        link.click()
    return info.value.path().read_bytes()


def sign_in(page, live_url, email, password):
    """Sign in on the participants' sign-in page (English)."""
    page.goto(f"{live_url}/en/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name=re.compile(r"^Password\*?$")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile(f"Signed in as {re.escape(email)}"))).to_be_visible()


def create_organizer():
    """The organizer account, as ``scripts/run`` makes it (password ``PASSWORD``)."""
    call_command("create_organizer", "--email", ORGANIZER, "--password", PASSWORD, stdout=io.StringIO())


def sign_in_to_admin(page, live_url):
    """Sign the organizer in on the admin's sign-in page."""
    page.goto(f"{live_url}/admin/")
    page.get_by_label("E-mail address").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def pdf_text(data: bytes) -> str:
    """The text of a PDF, its whitespace collapsed to single spaces."""
    assert data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def test_participant_signs_up_registers_and_takes_a_parallel_session(page, live_url, steps):
    forum = load_quito()
    RegistrationSettingsFactory(forum=forum)
    session = forum.sessions.get(slug=SESSION_SLUG)

    page.goto(f"{live_url}/en/accounts/signup/")
    page.get_by_label("Email").fill("ana.quispe@example.org")
    page.get_by_role("textbox", name=re.compile(r"^Password\*?$")).fill(PASSWORD)
    page.get_by_role("textbox", name=re.compile(r"^Password \(again\)")).fill(PASSWORD)
    steps("sign-up form")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    steps("asked to verify")

    (message,) = mail.outbox
    assert message.to == ["ana.quispe@example.org"]
    link = re.search(r"https?://\S+/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    steps("confirm address")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You have confirmed ana.quispe@example.org.")).to_be_visible()
    steps("address confirmed")

    page.goto(f"{live_url}{FORUM}/")
    page.get_by_role("link", name="Register", exact=True).click()
    page.get_by_label("Name as it should be printed").fill("Ana Quispe")
    page.get_by_label("Organization").fill("Municipality of Quito")
    page.get_by_label("Position").fill("Advisor on human mobility")
    page.get_by_label("Participant category").select_option(label="Local government")
    page.get_by_label("Country").select_option(label="Ecuador")
    page.get_by_label("City").fill("Quito")
    page.get_by_label("I agree to the processing").check()
    steps("registration form")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Your place at the forum is confirmed.")).to_be_visible()
    steps("registration confirmed")

    page.get_by_role("link", name="See the programme").click()
    page.get_by_role("button", name=f"Sign up “{session.title}”").click()
    expect(page.locator(f"#signup-{SESSION_SLUG}").get_by_text("Signed up ✓")).to_be_visible()
    steps("signed up on the programme")

    page.goto(f"{live_url}{FORUM}/registration/")
    row = page.get_by_role("row", name=session.title)
    expect(row.get_by_text("Seat confirmed")).to_be_visible()
    steps("my registration")

    row.get_by_role("link", name=session.title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=session.title)).to_be_visible()
    session_url = page.url
    steps("session page")
    agenda = download(page, page.get_by_role("link", name="Download agenda (PDF)"))
    assert session.title in pdf_text(agenda)
    steps("agenda downloaded")

    page.goto(session_url)
    ics = download(page, page.get_by_role("link", name="Add to calendar"))
    events = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == [session.title]


def test_organizer_adds_an_agenda_item_with_two_speakers(page, new_page, live_url, steps):
    forum = load_quito()
    create_organizer()
    PersonFactory(name="Rosa Mamani Condori")
    PersonFactory(name="Tomás Herrera Vidal")
    session = forum.sessions.get(slug=SESSION_SLUG)
    session_url = f"{live_url}{FORUM}/sessions/{SESSION_SLUG}/"
    new_title = "Voices of young migrants in host cities"

    visitor = new_page()
    visitor.goto(session_url)
    steps("visitor on the session page", page=visitor)
    before = pdf_text(download(visitor, visitor.get_by_role("link", name="Download agenda (PDF)")))
    assert session.title in before
    assert new_title not in before

    sign_in_to_admin(page, live_url)
    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name=session.title, exact=True).click()
    steps("session in the admin")
    agenda = page.get_by_role("group", name="Agenda items")
    agenda.get_by_role("row", name="Conversation Change").get_by_role("textbox").nth(3).fill("16:05:00")
    conclusions = agenda.get_by_role("row", name="Conclusions and recommendations for public policies Change")
    conclusions.get_by_role("spinbutton").fill("6")
    agenda.get_by_role("button", name="Add another Agenda item").click()
    new_row = agenda.get_by_role("row").filter(has=page.get_by_role("button", name="Remove")).last
    new_row.get_by_role("spinbutton").fill("5")
    start_day, start_time, end_day, end_time, title_en = (new_row.get_by_role("textbox").nth(n) for n in range(5))
    start_day.fill("2020-01-22")
    start_time.fill("16:05:00")
    end_day.fill("2020-01-22")
    end_time.fill("16:20:00")
    title_en.fill(new_title)
    steps("agenda item added")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    steps("session saved")

    agenda.get_by_role("row", name=new_title).get_by_role("link", name="Change").click()
    speakers = page.get_by_role("group", name="Speaker roles")
    for number, name in enumerate(["Rosa Mamani Condori", "Tomás Herrera Vidal"], start=1):
        if number > 1:
            speakers.get_by_role("button", name="Add another Speaker role").click()
        row = speakers.get_by_role("row").filter(has=page.get_by_role("button", name="Remove")).nth(number - 1)
        row.get_by_role("spinbutton").fill(str(number))
        row.get_by_role("combobox").first.select_option(label="Speaker")
        row.get_by_role("combobox").nth(1).click()
        page.keyboard.type(name.split()[0])
        page.get_by_role("option", name=name).click()
    steps("two speakers")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    steps("agenda item saved")

    visitor.goto(session_url)
    item = visitor.get_by_role("region", name="Session agenda").get_by_role("row", name=new_title)
    expect(item).to_contain_text("Rosa Mamani Condori")
    expect(item).to_contain_text("Tomás Herrera Vidal")
    steps("public session page", page=visitor)
    after = pdf_text(download(visitor, visitor.get_by_role("link", name="Download agenda (PDF)")))
    for text in (new_title, "Rosa Mamani Condori", "Tomás Herrera Vidal"):
        assert text in after


def test_rapporteur_drafts_and_submits_recommendations_an_organizer_publishes_them(page, new_page, live_url, steps):
    forum = load_quito()
    create_organizer()
    session = forum.sessions.get(slug=SESSION_SLUG)
    rapporteur = VerifiedUserFactory(email="david.khoudour@example.org")
    Person.objects.filter(name="David Khoudour").update(user=rapporteur)
    recommendation = "Give municipalities a direct line of funding for the reception of migrants."

    sign_in(page, live_url, rapporteur.email, "correct horse battery staple")
    page.goto(f"{live_url}/en/rapporteur/")
    steps("my sessions as rapporteur")
    page.get_by_role("link", name=f"Write the recommendations of “{session.title}”").click()
    page.get_by_role("textbox", name="Introduction").fill(
        "The session brought together mayors and agencies of the region."
    )
    new = page.get_by_role("group", name="New recommendation").first
    new.get_by_label("Key question").select_option(index=5)
    new.get_by_role("textbox", name=re.compile(r"^Recommendation")).fill(recommendation)
    new.get_by_label("Level").select_option(label="National")
    new.get_by_label("Actors").fill("National governments")
    steps("draft written")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status"))).to_contain_text("The draft was saved")
    steps("draft saved")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".document-status")).to_have_text("Submitted for review")
    steps("submitted")

    organizer = new_page()
    sign_in_to_admin(organizer, live_url)
    organizer.get_by_role("link", name="Recommendations documents").click()
    organizer.get_by_role("row", name=session.title).get_by_role("checkbox").check()
    organizer.get_by_role("combobox").filter(has_text="Publish selected documents").select_option(
        label="Publish selected documents"
    )
    organizer.get_by_role("button", name="Go").click()
    expect(organizer.get_by_text("1 document(s) published.")).to_be_visible()
    steps("published in the admin", page=organizer)

    visitor = new_page()
    visitor.goto(f"{live_url}{FORUM}/sessions/{SESSION_SLUG}/")
    expect(visitor.get_by_role("region", name="Recommendations")).to_contain_text(recommendation)
    steps("public session page", page=visitor)
    text = pdf_text(download(visitor, visitor.get_by_role("link", name="Download recommendations (PDF)")))
    assert recommendation in text


LINES_OF_TEXT = """elements => elements.map(element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const tops = [...range.getClientRects()].filter(rect => rect.width > 1).map(rect => Math.round(rect.top));
    return [element.textContent.trim(), new Set(tops).size];
})"""


@pytest.mark.parametrize("language", ["en", "es"])
def test_header_labels_never_break_inside(page, live_url, steps, language):
    """A staff member with a long address, at a width where the header's items do not fit
    on one line: each label stays whole (the items wrap instead) and nothing sticks out."""
    load_quito()
    user = VerifiedUserFactory(email="maria.fernanda.garces.rodriguez@municipio-quito.gob.ec", is_staff=True)
    page.set_viewport_size({"width": 1100, "height": 800})
    sign_in(page, live_url, user.email, "correct horse battery staple")
    page.goto(f"{live_url}/{language}{FORUM_PATH}/programme/")
    header = page.get_by_role("navigation", name="Main" if language == "en" else "Principal")
    steps("header")
    labels = header.locator(".nav-link:not(.dropdown-toggle), .btn:not(.dropdown-toggle), .account-menu-email")
    labels = labels.evaluate_all(LINES_OF_TEXT)
    assert len(labels) >= 8
    assert [label for label, lines in labels if lines != 1] == []
    assert header.evaluate("nav => nav.scrollWidth <= nav.clientWidth")
