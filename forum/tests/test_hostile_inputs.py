"""Every hostile input (``hostile_inputs.HOSTILE_INPUTS``) pushed through every form of the site.

One test per form sends each input in turn and collects what went wrong into one
message naming the form, the input and the problem. An input must land one of two ways:

* refused: the page comes back (200, or 400 for a NUL in an address, which
  ``RejectNulInQueryMiddleware`` refuses) with an error on the form, nothing stored;
* accepted: it is stored and every page that shows it prints it as text.

Never a 5xx; never the input as markup on a page (``injected_markup``, ``raw_in_page``);
a redirect only to an address of this site; a spreadsheet export with no formula and no
control character. Where a value is too large to post into every field at once (the 1 MB
input), it goes into the form's first field only.

The hostile schedule *files* (structure, sizes, encodings) are
``sessions_app/tests/test_frab_import_hostile.py``'s; here the import only carries the
hostile strings as a schedule's texts.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from lxml import etree

from forum.models import Forum, Organization, Person, User
from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory, UserFactory
from forum.tests.hostile_inputs import (
    HOSTILE_INPUTS,
    MARKUP_CHARACTERS,
    HostileInput,
    form_values,
    injected_markup,
    raw_in_page,
    shown_as_text,
)
from registration.exports import FORMULA_TRIGGERS, RegistrationResource
from registration.models import Registration, SessionSignup
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, VerifiedUserFactory
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session
from sessions_app.recommendations import Recommendation, RecommendationsDocument
from sessions_app.release_services import changes_fingerprint, pending_release
from sessions_app.releases import ProgrammeRelease
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    ReferenceFactory,
    SessionFactory,
    SpeakerRoleFactory,
    ThemeFactory,
)
from sessions_app.tests.frab_support import as_bytes, tiny_schedule
from sessions_app.tests.support import client_for, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ERROR_MARKS = ("errorlist", "errornote", "is-invalid", "invalid-feedback", "alert-danger", "alert-error")
"""Classes the site's forms (crispy Bootstrap 5, allauth, the admin) put on an error."""

FORMS = (
    "signup",
    "login",
    "password_reset",
    "registration",
    "session_signup",
    "programme_filters",
    "now_and_next",
    "language_switch",
    "rapporteur_editor",
    "admin_forum",
    "admin_session",
    "admin_agenda_item",
    "admin_person",
    "admin_organization",
    "admin_search",
    "release_note",
    "return_comment",
    "frab_import",
    "registration_export",
)
"""The forms swept, one test each (``test_<form>``)."""


TAG = re.compile(r"<[A-Za-z/!?]")
"""The start of a tag, a comment or a declaration, as an HTML parser reads it."""

MUST_STORE = ("plain_specials", "emoji_zwj", "arabic_name", "sql_or", "formula_minus")
"""Inputs that are ordinary text for a form that stores text: refusing them would be a bug
(and a sweep whose every post fails, e.g. on a form read wrongly, would check nothing)."""


class Sweep:
    """The problems found while pushing the hostile inputs through one form, and the names
    of the inputs it refused and stored."""

    def __init__(self, form: str) -> None:
        self.form = form
        self.problems: list[str] = []
        self.refused_names: list[str] = []
        self.stored_names: list[str] = []

    def problem(self, hostile: HostileInput, text: str) -> None:
        self.problems.append(f"{self.form} × {hostile.name}: {text}")

    def page(self, hostile: HostileInput, response: HttpResponse, what: str = "response") -> str:
        """Check a page answered for ``hostile``: no 5xx, no markup from it; return its HTML."""
        if response.status_code >= 500:
            self.problem(hostile, f"{what} is a {response.status_code}")
            return ""
        if "html" not in response.get("Content-Type", ""):
            return ""
        html = response.content.decode()
        for found in injected_markup(html):
            self.problem(hostile, f"{what} carries {found}")
        if raw_in_page(html, hostile.value):
            self.problem(hostile, f"{what} shows the input unescaped")
        return html

    def refused(self, hostile: HostileInput, response: HttpResponse) -> bool:
        """True if ``response`` is the form again with an error on it (checked by ``page``)."""
        html = self.page(hostile, response)
        if (response.status_code == 400 and "\x00" in hostile.value) or (
            response.status_code == 200 and any(mark in html for mark in ERROR_MARKS)
        ):
            self.refused_names.append(hostile.name)
            return True
        return False

    def stored(self, hostile: HostileInput) -> None:
        self.stored_names.append(hostile.name)

    def shown(self, hostile: HostileInput, html: str, value: str, what: str) -> None:
        """The stored ``value`` must read as text on ``html`` (the page ``what``)."""
        if value.strip() and not shown_as_text(html, value):
            self.problem(hostile, f"the stored {value[:60]!r} does not read as text on {what}")

    def stored_clean(self, hostile: HostileInput, value: str | None, what: str) -> None:
        """A sanitized text must hold no tag: no ``<`` followed by a letter, ``/``, ``!`` or ``?``."""
        if value and TAG.search(value):
            self.problem(hostile, f"{what} was stored with markup: {value[:80]!r}")

    def safe_redirect(self, hostile: HostileInput, response: HttpResponse) -> None:
        """A redirect must stay on this site, on one header line."""
        if response.status_code >= 500:
            self.problem(hostile, f"response is a {response.status_code}")
            return
        location = response.get("Location", "")
        parts = urlsplit(location)
        if any(char in location for char in "\r\n") or parts.scheme not in ("", "http", "https"):
            self.problem(hostile, f"redirects to {location[:80]!r}")
        elif parts.netloc not in ("", "testserver") or location.startswith("//"):
            self.problem(hostile, f"redirects off the site to {location[:80]!r}")

    def assert_clean(self, *, stores: bool = False) -> None:
        """No problem found; with ``stores``, every input of ``MUST_STORE`` was stored."""
        assert not self.problems, f"{len(self.problems)} problems:\n" + "\n".join(self.problems[:60])
        if stores:
            assert set(MUST_STORE) <= set(self.stored_names), (self.form, sorted(self.refused_names))


def filled(names: Iterable[str], value: str) -> dict[str, str]:
    """``value`` in every field of ``names``, or only in the first when that would post more
    than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the 1 MB input: a request of several MB is refused
    with a 400 before any form sees it)."""
    names = list(names)
    if len(value.encode()) * len(names) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2:
        names = names[:1]
    return dict.fromkeys(names, value)


def organizer() -> User:
    return UserFactory(is_staff=True, is_superuser=True)


def sent_messages_problems(sweep: Sweep, hostile: HostileInput) -> None:
    """Each e-mail sent since the last call: one clean recipient per address, no markup in its HTML."""
    for message in mail.outbox:
        for address in message.recipients():
            if any(char in address for char in "\r\n,") or "evil" in address:
                sweep.problem(hostile, f"an e-mail went to {address!r}")
        for content, kind in getattr(message, "alternatives", []):
            if kind == "text/html" and injected_markup(content):
                sweep.problem(hostile, f"the HTML e-mail carries {injected_markup(content)}")
    mail.outbox.clear()


# Accounts (allauth)


def test_signup():
    sweep, client = Sweep("signup"), Client()
    for hostile in HOSTILE_INPUTS:
        cache.clear()  # allauth's rate limits
        response = client.post(reverse("account_signup"), filled(["email", "password1", "password2"], hostile.value))
        if not sweep.refused(hostile, response):
            sweep.safe_redirect(hostile, response)
        sent_messages_problems(sweep, hostile)
    sweep.assert_clean()
    assert not User.objects.exists()


def test_login():
    UserFactory(email="ana@example.org")
    sweep, client = Sweep("login"), Client()
    for hostile in HOSTILE_INPUTS:
        cache.clear()
        response = client.post(reverse("account_login"), filled(["login", "password"], hostile.value))
        if not sweep.refused(hostile, response):
            sweep.problem(hostile, f"signed in or answered {response.status_code}")
    sweep.assert_clean()


def test_password_reset():
    sweep, client = Sweep("password_reset"), Client()
    for hostile in HOSTILE_INPUTS:
        cache.clear()
        response = client.post(reverse("account_reset_password"), {"email": hostile.value})
        if not sweep.refused(hostile, response):
            sweep.safe_redirect(hostile, response)
        sent_messages_problems(sweep, hostile)
    sweep.assert_clean()


# The participant's pages


REGISTRATION = {
    "printed_name": "Ana Pérez",
    "organization": "Municipality of Quito",
    "position": "Director",
    "category": "civil_society",
    "country": "EC",
    "city": "Quito",
    "language": "en",
    "accessibility_needs": "",
    "consent": "on",
    "intent": "register",
}
ONE_LINE = ("printed_name", "organization", "position", "city")


def test_registration():
    forum = RegistrationSettingsFactory().forum
    participant = VerifiedUserFactory()
    client = client_for(participant)
    register_url = reverse("registration:register", args=[forum.slug])
    mine_url = reverse("registration:my-registration", args=[forum.slug])
    sweep = Sweep("registration")
    for hostile in HOSTILE_INPUTS:
        for fields in (ONE_LINE, ("accessibility_needs",)):
            Registration.objects.filter(user=participant).delete()
            response = client.post(register_url, {**REGISTRATION, **filled(fields, hostile.value)})
            if sweep.refused(hostile, response):
                if Registration.objects.filter(user=participant).exists():
                    sweep.problem(hostile, f"{fields[0]}: refused, yet stored")
                continue
            if response.status_code != 302:
                sweep.problem(hostile, f"{fields[0]}: answered {response.status_code} without an error")
                continue
            sweep.stored(hostile)
            registration = Registration.objects.get(user=participant)
            sweep.stored_clean(hostile, registration.accessibility_needs, "accessibility_needs")
            html = sweep.page(hostile, client.get(mine_url), "my registration")
            for name in fields:
                sweep.shown(hostile, html, getattr(registration, name), f"my registration ({name})")
            sent_messages_problems(sweep, hostile)
    sweep.assert_clean(stores=True)


def test_session_signup():
    forum = RegistrationSettingsFactory().forum
    session = SessionFactory(forum=forum, capacity=5)
    registration = RegistrationFactory(forum=forum)
    client = client_for(registration.user)
    url = reverse("registration:session-signup", args=[forum.slug, session.slug])
    sweep = Sweep("session_signup")
    for hostile in HOSTILE_INPUTS:
        SessionSignup.objects.filter(registration=registration).delete()
        response = client.post(url, filled(["next", "join_waitlist"], hostile.value))
        sweep.safe_redirect(hostile, response)
        if SessionSignup.objects.filter(registration=registration, session=session).exists():
            sweep.stored(hostile)
        else:
            sweep.problem(hostile, "the sign-up was not stored")
        sweep.page(hostile, client.get(reverse("registration:my-registration", args=[forum.slug])), "my registration")
    sweep.assert_clean(stores=True)


def test_programme_filters():
    session = SessionFactory(forum=ForumFactory(), title="Cities and migration")
    client = Client()
    url = reverse("sessions_app:programme", args=[session.forum.slug])
    sweep = Sweep("programme_filters")
    names = ["q", "day", "kind", "theme", "room", "organization", "speaker"]
    for hostile in HOSTILE_INPUTS:
        response = client.get(url, filled(names, hostile.value))
        if not hostile.value.strip():  # blank filters: the whole programme, no error
            if "Cities and migration" not in page_text(sweep.page(hostile, response)):
                sweep.problem(hostile, "blank filters hid the programme")
        elif not sweep.refused(hostile, response):
            sweep.problem(hostile, f"no error on the filters ({response.status_code})")
        search = client.get(url, {"q": hostile.value})  # a search alone: results, or an error if too long
        sweep.page(hostile, search, "the search")
        if search.status_code != 200 and not (search.status_code == 400 and "\x00" in hostile.value):
            sweep.problem(hostile, f"the search answered {search.status_code}")
    sweep.assert_clean()


def test_now_and_next():
    forum = ForumFactory()
    client = Client()
    url = reverse("sessions_app:now-next", args=[forum.slug])
    sweep = Sweep("now_and_next")
    for hostile in HOSTILE_INPUTS:
        response = client.get(url, {"at": hostile.value})
        if not hostile.value.strip():
            sweep.page(hostile, response)
            if response.status_code != 200:
                sweep.problem(hostile, f"a blank time answered {response.status_code}")
        elif not sweep.refused(hostile, response) and "YYYY-MM-DDTHH:MM" not in page_text(response.content):
            sweep.problem(hostile, f"no error about the time ({response.status_code})")
    sweep.assert_clean()


def test_language_switch():
    client = Client()
    sweep = Sweep("language_switch")
    for hostile in HOSTILE_INPUTS:
        for data in ({"language": "es", "next": hostile.value}, {"language": hostile.value, "next": "/en/"}):
            response = client.post(reverse("set_language"), data)
            if response.status_code != 302:
                sweep.problem(hostile, f"{sorted(data)}: answered {response.status_code}")
            sweep.safe_redirect(hostile, response)
    sweep.assert_clean()


# The rapporteur's editor


def test_rapporteur_editor():
    session = SessionFactory()
    question = KeyQuestionFactory(session=session, order=1, text="How do cities cooperate?")
    rapporteur = UserFactory()
    SpeakerRoleFactory(
        agenda_item=AgendaItemFactory(session=session), role="rapporteur", person=PersonFactory(user=rapporteur)
    )
    client = client_for(rapporteur)
    url = reverse("workspace:editor", args=[session.forum.slug, session.slug])
    sweep = Sweep("rapporteur_editor")
    texts = ["introduction", "conclusions", "contributors", "recommendations-0-text", "recommendations-0-actors"]
    for hostile in HOSTILE_INPUTS:
        document = RecommendationsDocument.objects.filter(session=session).first()
        data = {
            "action": "save",
            "expected_version": document.version if document else 1,
            "recommendations-TOTAL_FORMS": 1,
            "recommendations-INITIAL_FORMS": 0,
            "recommendations-MIN_NUM_FORMS": 0,
            "recommendations-MAX_NUM_FORMS": 1000,
            "recommendations-0-key_question": question.pk,
            "recommendations-0-level": "local",
            **filled(texts, hostile.value),
        }
        response = client.post(url, data)
        if response.status_code == 200 and "refusal" in response.content.decode():
            sweep.refused(hostile, response)
            continue
        if response.status_code != 302:
            sweep.page(hostile, response)
            sweep.problem(hostile, f"answered {response.status_code} without a refusal")
            continue
        sweep.stored(hostile)
        document = RecommendationsDocument.objects.get(session=session)
        stored = [document.introduction, document.conclusions, document.contributors]
        stored += [Recommendation.objects.get(document=document).text]
        html = sweep.page(hostile, client.get(url), "the editor")
        for value in stored:
            sweep.stored_clean(hostile, value, "a document text")
            sweep.shown(hostile, html, value, "the editor")
    sweep.assert_clean(stores=True)


# The organizers' admin


def admin_sweep(
    form: str,
    url: str,
    form_id: str,
    fields: list[str],
    shows: Callable[[], list[tuple[str, str, list[str]]]],
    sanitized: Callable[[], list[str]] = list,
    alone: Iterable[str] = (),
) -> None:
    """Post the admin change form at ``url`` with each input in ``fields`` (the long text
    first: it takes the 1 MB input alone), then in each field of ``alone`` by itself (a
    field that refuses most inputs, such as a URL). After a save, ``shows()`` lists (page
    URL, page name, stored values that page must print as text) and ``sanitized()`` the
    stored long texts, and the admin's list is read after saving an input holding markup
    characters. The form is read once, as the admin shows it: the inputs replace only the
    fields swept."""
    client = client_for(organizer())
    changelist = url.rsplit("/", 3)[0] + "/"  # …/forum/forum/5/change/ → …/forum/forum/
    page = client.get(url)
    assert page.status_code == 200
    base = form_values(page.content, form_id)
    groups = [fields, *([name] for name in alone)]
    assert all(name in base for group in groups for name in group), sorted({*fields, *alone} - set(base))
    sweep = Sweep(form)
    for hostile, group in ((hostile, group) for group in groups for hostile in HOSTILE_INPUTS):
        data = {**base, **{name: [value] for name, value in filled(group, hostile.value).items()}}
        response = client.post(url, data)
        if sweep.refused(hostile, response):
            continue
        if response.status_code != 302:
            sweep.problem(hostile, f"answered {response.status_code} without an error")
            continue
        sweep.stored(hostile)
        for value in sanitized():
            sweep.stored_clean(hostile, value, "a long text")
        if MARKUP_CHARACTERS & set(hostile.value):  # a refused post showed the form with the input
            sweep.page(hostile, client.get(changelist), "the admin list")
        for page_url, name, values in shows():
            html = sweep.page(hostile, client.get(page_url), name)
            for value in values:
                sweep.shown(hostile, html, value, name)
    sweep.assert_clean(stores=True)


@pytest.fixture
def programme():
    """A published forum with one session: a key question, a reference, an agenda item with
    a speaker, a theme, a room and an organizer."""
    forum = ForumFactory(description="Introduction.")
    session = SessionFactory(
        forum=forum, theme=ThemeFactory(forum=forum), room=RoomFactory(forum=forum), context="Context [^1]."
    )
    KeyQuestionFactory(session=session, order=1)
    ReferenceFactory(session=session, number=1)
    item = AgendaItemFactory(session=session, order=1)
    role = SpeakerRoleFactory(agenda_item=item, order=1, person__bio="A short bio.")
    session.organizers.create(organization=role.person.organization, order=1)
    return session


def session_url(session: Session) -> str:
    return reverse("sessions_app:session-detail", args=[session.forum.slug, session.slug])


def test_admin_forum(programme):
    forum = programme.forum

    def shows():
        stored = Forum.objects.get(pk=forum.pk)
        return [(reverse("forum:forum-home", args=[forum.slug]), "the forum's page", [stored.description])]

    admin_sweep(
        "admin_forum",
        reverse("admin:forum_forum_change", args=[forum.pk]),
        "forum_form",
        ["description_en", "description_es", "title_es", "theme_en", "part_of_en", "venue_en"],
        shows,
        lambda: list(Forum.objects.values_list("description_en", "description_es").get(pk=forum.pk)),
    )


def test_admin_session(programme):
    def shows():
        session = Session.objects.get(pk=programme.pk)
        texts = [session.title, session.objective, session.methodology, session.expected_result]
        texts += [KeyQuestion.objects.get(session=session).text]
        return [(session_url(session), "the session's page", texts)]

    def sanitized():
        session = Session.objects.get(pk=programme.pk)
        return [
            session.objective,
            session.context,
            session.methodology,
            session.expected_result,
            KeyQuestion.objects.get(session=session).text,
            Reference.objects.get(session=session).citation,
        ]

    admin_sweep(
        "admin_session",
        reverse("admin:sessions_app_session_change", args=[programme.pk]),
        "session_form",
        [
            "context_en",
            "objective_en",
            "methodology_en",
            "expected_result_en",
            "title_en",
            "key_questions-0-text_en",
            "references-0-citation",
            "agenda_items-0-title_en",
        ],
        shows,
        sanitized,
    )


def test_admin_agenda_item(programme):
    item = AgendaItem.objects.get(session=programme)

    def shows():
        stored = AgendaItem.objects.get(pk=item.pk)
        role = stored.speaker_roles.get()
        return [(session_url(programme), "the session's page", [stored.title, role.position, role.affiliation])]

    admin_sweep(
        "admin_agenda_item",
        reverse("admin:sessions_app_agendaitem_change", args=[item.pk]),
        "agendaitem_form",
        ["title_en", "title_es", "speaker_roles-0-position", "speaker_roles-0-affiliation"],
        shows,
    )


def test_admin_person(programme):
    person = Person.objects.get(speaker_roles__agenda_item__session=programme)

    def shows():
        stored = Person.objects.get(pk=person.pk)
        url = reverse("forum:speaker-detail", args=[programme.forum.slug, stored.slug])
        return [(url, "the speaker's page", [stored.name, stored.bio])]

    admin_sweep(
        "admin_person",
        reverse("admin:forum_person_change", args=[person.pk]),
        "person_form",
        ["bio", "name", "position", "country"],
        shows,
        lambda: [Person.objects.get(pk=person.pk).bio],
    )


def test_admin_organization(programme):
    organization = Organization.objects.get(organized_sessions__session=programme)

    def shows():
        stored = Organization.objects.get(pk=organization.pk)
        url = reverse("forum:organization-list", args=[programme.forum.slug])
        return [(url, "the organizations page", [stored.name])]

    admin_sweep(
        "admin_organization",
        reverse("admin:forum_organization_change", args=[organization.pk]),
        "organization_form",
        ["name_en", "name_es", "acronym_en", "country"],
        shows,
        alone=["website"],
    )


def test_admin_search(programme):
    """The admin's search box and filters of the lists organizers use most."""
    RegistrationFactory(forum=programme.forum)
    client = client_for(organizer())
    sweep = Sweep("admin_search")
    lists = ["forum_person", "sessions_app_session", "registration_registration"]
    for hostile in HOSTILE_INPUTS:
        for name in lists:
            response = client.get(reverse(f"admin:{name}_changelist"), {"q": hostile.value[:2000]})
            sweep.page(hostile, response, f"the {name} list")
            if response.status_code not in (200, 302, 400):
                sweep.problem(hostile, f"the {name} list answered {response.status_code}")
    sweep.assert_clean()


def test_release_note(programme):
    """The note of "Release the programme" (forum list action), shown on the changelog and its feed."""
    forum = programme.forum
    client = client_for(organizer())
    changelist = reverse("admin:forum_forum_changelist")
    changelog = reverse("releases:changelog", args=[forum.slug])
    sweep = Sweep("release_note")
    for number, hostile in enumerate(HOSTILE_INPUTS, start=1):
        Session.objects.filter(pk=programme.pk).update(title_en=f"Session, version {number}")
        fingerprint = changes_fingerprint(pending_release(forum)[1])
        data = {"action": "release_programme_action", "_selected_action": [forum.pk], "post": "yes"}
        response = client.post(changelist, {**data, "note": hostile.value, "fingerprint": fingerprint})
        if sweep.refused(hostile, response):
            continue
        release = ProgrammeRelease.objects.filter(forum=forum).order_by("-number").first()
        if response.status_code != 302 or release is None or release.number != number - len(sweep.refused_names):
            sweep.problem(hostile, f"answered {response.status_code} and stored no release")
            continue
        sweep.stored(hostile)
        sweep.stored_clean(hostile, release.note, "the note")
        sweep.shown(hostile, sweep.page(hostile, client.get(changelog), "the changelog"), release.note, "the changelog")
        feed = client.get(reverse("releases:feed", args=[forum.slug]))
        try:
            etree.fromstring(feed.content)
        except etree.XMLSyntaxError as error:
            sweep.problem(hostile, f"the Atom feed ({feed.status_code}) is not XML: {error}")
    sweep.assert_clean(stores=True)


def test_return_comment(programme):
    """The comment of "Return selected documents to their rapporteurs", shown in the rapporteur's editor."""
    rapporteur = UserFactory()
    SpeakerRoleFactory(
        agenda_item=AgendaItem.objects.get(session=programme), role="rapporteur", person=PersonFactory(user=rapporteur)
    )
    document = RecommendationsDocument.objects.create(session=programme)
    client = client_for(organizer())
    changelist = reverse("admin:sessions_app_recommendationsdocument_changelist")
    editor = reverse("workspace:editor", args=[programme.forum.slug, programme.slug])
    sweep = Sweep("return_comment")
    for hostile in HOSTILE_INPUTS:
        RecommendationsDocument.objects.filter(pk=document.pk).update(status="submitted", return_comment="")
        data = {"action": "return_selected", "_selected_action": [document.pk], "post": "yes"}
        response = client.post(changelist, {**data, "comment": hostile.value})
        stored = RecommendationsDocument.objects.get(pk=document.pk)
        if stored.status == "submitted":  # refused: blank on the form, only markup in a message
            if response.status_code == 302:
                sweep.safe_redirect(hostile, response)
                response = client.get(response["Location"])
                if "the comment is required" in page_text(response.content):
                    sweep.refused_names.append(hostile.name)
                    continue
            if not sweep.refused(hostile, response):
                sweep.problem(hostile, f"the document was not returned, and no error says why ({response.status_code})")
            continue
        sweep.safe_redirect(hostile, response)
        sweep.stored(hostile)
        sweep.stored_clean(hostile, stored.return_comment, "the return comment")
        html = sweep.page(hostile, client_for(rapporteur).get(editor), "the editor")
        sweep.shown(hostile, html, stored.return_comment, "the editor")
    sweep.assert_clean(stores=True)


# Imports and exports


def test_frab_import():
    """The hostile strings as a schedule's texts, uploaded in the admin, then uploaded again:
    the second import changes nothing."""
    client = client_for(organizer())
    url = reverse("admin:forum_forum_import_frab")
    sweep = Sweep("frab_import")
    for hostile in HOSTILE_INPUTS:
        document = tiny_schedule()
        event = document["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]
        event.update(title=hostile.value, abstract=hostile.value, description=hostile.value)
        event["persons"][0].update(name=hostile.value[:10_000], biography=hostile.value)
        Forum.objects.filter(slug="tiny-2021").delete()
        reports = []
        for attempt in ("first", "again"):
            upload = SimpleUploadedFile("schedule.json", as_bytes(document), content_type="application/json")
            response = client.post(url, {"file": upload, "update_existing": "on"})
            reports.append(page_text(sweep.page(hostile, response, f"the import report ({attempt})") or "<p></p>"))
            if response.status_code != 200:
                sweep.problem(hostile, f"the import ({attempt}) answered {response.status_code}")
        session = Session.objects.filter(guid=event["guid"]).first()
        if session is None:
            sweep.refused_names.append(hostile.name)
            continue
        sweep.stored(hostile)
        person = Person.objects.get(guid=event["persons"][0]["guid"])
        for value, what in ((session.objective, "objective"), (session.context, "context"), (person.bio, "bio")):
            sweep.stored_clean(hostile, value, f"the {what}")
        for kind in ("Sessions", "People"):
            if f"{kind}: 0 created, 0 updated, 1 unchanged" not in reports[1]:
                sweep.problem(hostile, f"importing the file again changed {kind.lower()}")
        html = sweep.page(hostile, client.get(reverse("admin:sessions_app_session_changelist")), "the sessions list")
        sweep.shown(hostile, html, session.title[:40], "the sessions list")
    sweep.assert_clean(stores=True)


def test_registration_export():
    """Rows holding every input (cut to their columns' lengths, as a database would take them)
    export to CSV and XLSX with no formula, control character or 5xx."""
    forum = RegistrationSettingsFactory().forum
    for hostile in HOSTILE_INPUTS:
        value = hostile.value.replace("\x00", "")
        RegistrationFactory(
            forum=forum,
            printed_name=value[:200] or "x",
            organization=value[:255] or "x",
            position=value[:255],
            city=value[:100] or "x",
            accessibility_needs=value[:2000],
        )
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_registration", "change_registration", "export_registration"])
    )
    client = client_for(user)
    url = reverse("admin:registration_registration_export")
    columns = RegistrationResource().get_export_order()
    form = {"resource": "0", **{f"registrationresource_{name}": "on" for name in columns}}
    problems = []

    response = client.post(url, {**form, "format": "0"})
    assert response.status_code == 200, response.content[:300]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    response = client.post(url, {**form, "format": "1"})
    assert response.status_code == 200, response.content[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    cells = [str(cell.value or "") for row in sheet.iter_rows(min_row=2) for cell in row]
    cells += [cell for row in rows[1:] for cell in row]
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS):
            problems.append(f"a cell starts like a formula: {cell[:40]!r}")
        if any(ord(char) < 32 and char not in "\t\n\r" for char in cell):
            problems.append(f"a cell holds a control character: {cell[:40]!r}")
    assert formulas == []
    assert len(rows) == len(HOSTILE_INPUTS) + 1 == sheet.max_row
    assert problems == [], "registration_export:\n" + "\n".join(problems[:30])


def test_every_form_of_the_list_has_its_sweep():
    assert [name for name in FORMS if not callable(globals().get(f"test_{name}"))] == []


def test_the_checks_see_a_payload_that_reached_a_page_as_markup():
    page = (
        '<p>ok</p><img src=x onerror=alert(1)><a href=" javascript:alert(1)">x</a><script>alert(1)</script>'
        '<iframe></iframe><style>body{display: none}</style><input value="javascript:alert(1)">'
        '<script src="/static/app.js"></script>'
    )

    assert injected_markup(page) == [
        "event handler onerror= on <img>",
        "javascript: URL in href= of <a>",
        "inline <script>",
        "alert( inside <script>",
        "<iframe>",
        "a <style> from content",
    ]
    assert raw_in_page('<p>"><b>x</p>', '"><b>x') and not raw_in_page("<p>&quot;&gt;&lt;b&gt;x</p>", '"><b>x')
    assert shown_as_text("<p>a &lt;b&gt; c</p>", "a <b> c") and not shown_as_text("<p>a <b> c</p>", "a <b> c")


def test_form_values_reads_a_form_as_a_browser_submits_it():
    page = (
        '<form id="other"><input name="x" value="no"></form><form id="f">'
        '<input name="title" value="A &amp; B"><input type="checkbox" name="on" checked>'
        '<input type="checkbox" name="off"><input type="submit" name="_save" value="Save">'
        '<select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>'
        '<select name="first"><option value="1">1</option><option value="2">2</option></select>'
        '<select name="many" multiple><option value="1">1</option></select>'
        '<textarea name="text">\nLine &lt;one&gt;</textarea><input name="gone" disabled value="x"></form>'
    )

    assert form_values(page, "f") == {
        "title": ["A & B"],
        "on": ["on"],
        "kind": ["b"],
        "first": ["1"],
        "text": ["Line <one>"],
    }
