"""The interface in English and Spanish: translated pages, locale dates, the language switch, the catalogs."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from forum.formats import NAMED_FORMATS
from forum.models import Person
from forum.tests.factories import ForumFactory
from registration.tests.factories import RegistrationSettingsFactory, VerifiedUserFactory
from sessions_app import pdf
from sessions_app.models import Session
from sessions_app.tests.pdf_support import loaded_for_print, normalize
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

QUITO_DAY_EN = "22 January 2020"
QUITO_DAY_ES = "22 de enero de 2020"


def url_in(language: str, name: str, **kwargs) -> str:
    """The path of URL ``name`` under ``language``'s prefix (``/en/…``, ``/es/…``)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def forum_url_in(language: str, name: str, forum) -> str:
    return url_in(language, f"forum:{name}", forum_slug=forum.slug)


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]*)"', html).group(1)


# Spanish and English pages.


@pytest.mark.parametrize(
    ("name", "spanish", "english"),
    [
        (
            "forum-home",
            ["En el foro", "Sede", "Zona horaria", "Introducción", "Descargar el programa (PDF)"],
            ["Place"],
        ),
        ("speaker-list", ["Ponentes", "Todas las personas que figuran en las agendas"], ["Speakers"]),
        ("organization-list", ["Organizaciones", "Gobierno local", "Organiza"], ["Local government"]),
    ],
)
def test_forum_pages_show_spanish_interface_and_dates_under_es(client, quito_forum, name, spanish, english):
    spanish_page = client.get(forum_url_in("es", name, quito_forum))
    english_page = client.get(forum_url_in("en", name, quito_forum))

    text = page_text(spanish_page.content)
    assert spanish_page.status_code == 200
    assert html_lang(spanish_page.content.decode()) == "es"
    assert QUITO_DAY_ES in text
    assert QUITO_DAY_EN not in text
    assert "Foros" in text and "Programa" in text  # the navbar
    assert "Los horarios se indican en la zona horaria del foro, America/Guayaquil." in text
    for words in spanish:
        assert words in text
    english_text = page_text(english_page.content)
    assert html_lang(english_page.content.decode()) == "en"
    assert QUITO_DAY_EN in english_text
    for words in english:
        assert words in english_text
    assert "Foros" not in english_text


def test_forum_list_shows_spanish_interface_and_dates_under_es(client, quito_forum):
    text = page_text(client.get(url_in("es", "forum:forum-list")).content)
    english = page_text(client.get(url_in("en", "forum:forum-list")).content)

    assert "Ediciones del Foro de Alcaldes sobre Movilidad Humana, Migración y Desarrollo" in text
    assert "Edición 6" in text
    assert f"Quito, Ecuador · {QUITO_DAY_ES}" in text
    assert re.search(r"\d+ sesi(ón|ones)\b", text)
    assert "Abrir el foro" in text
    assert f"Quito, Ecuador · {QUITO_DAY_EN}" in english
    assert "Open the forum" in english


def test_speaker_page_prints_appearance_days_in_the_page_language(client, quito_forum):
    person = Person.objects.filter(speaker_roles__agenda_item__session__forum=quito_forum).first()
    kwargs = {"forum_slug": quito_forum.slug, "person_slug": person.slug}

    spanish = page_text(client.get(url_in("es", "forum:speaker-detail", **kwargs)).content)
    english = page_text(client.get(url_in("en", "forum:speaker-detail", **kwargs)).content)

    assert "En este foro" in spanish and "mié 22 ene" in spanish
    assert "At this forum" in english and "Wed 22 Jan" in english


def test_forum_home_gives_registration_days_in_the_page_language(client):
    forum = RegistrationSettingsFactory(forum=ForumFactory()).forum

    spanish = page_text(client.get(forum_url_in("es", "forum-home", forum)).content)
    english = page_text(client.get(forum_url_in("en", "forum-home", forum)).content)

    assert "Las inscripciones están abiertas hasta el 31 de diciembre de 2999." in spanish
    assert "Inscribirme" in spanish
    assert "Registration is open until 31 December 2999." in english


def test_registration_page_is_in_spanish_under_es(client):
    forum = RegistrationSettingsFactory(forum=ForumFactory()).forum
    client.force_login(VerifiedUserFactory())

    response = client.get(url_in("es", "registration:register", forum_slug=forum.slug))

    text = page_text(response.content)
    assert response.status_code == 200
    assert f"Inscribirse en {forum.title}" in text
    assert "Díganos quién es y cómo podemos hacer que el foro le sea accesible." in text
    assert "Aviso de privacidad" in text or "aviso de privacidad" in text
    assert "Tell us who you are" not in text


def test_sign_in_page_is_in_spanish_under_es(client):
    response = client.get(url_in("es", "account_login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html_lang(html) == "es"
    assert "Cuenta de participante" in page_text(html)
    assert "Iniciar sesión" in page_text(html)


def test_404_page_is_in_the_language_of_its_prefix(client):
    spanish = client.get("/es/forums/no-such-forum/")
    english = client.get("/en/forums/no-such-forum/")

    assert spanish.status_code == english.status_code == 404
    assert html_lang(spanish.content.decode()) == "es"
    assert "Página no encontrada" in page_text(spanish.content)
    assert "Ver todos los foros" in page_text(spanish.content)
    assert "Page not found" in page_text(english.content)


# The language switch.


class _LanguageSwitch(HTMLParser):
    """The forms of a page's language switch: each one's action, hidden fields and button."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.label = None
        self._depth = 0
        self._button = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "language-switch" in (attrs.get("class") or ""):
            self._depth, self.label = 1, attrs.get("aria-label")
        elif self._depth and tag == "div":
            self._depth += 1
        elif self._depth and tag == "form":
            self.forms.append({"action": attrs["action"], "fields": {}, "button": None})
        elif self._depth and tag == "input" and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif self._depth and tag == "button":
            self._button = {**attrs, "text": ""}
            self.forms[-1]["button"] = self._button

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None
        elif tag == "div" and self._depth:
            self._depth -= 1


def language_switch(html: str) -> _LanguageSwitch:
    switch = _LanguageSwitch()
    switch.feed(html)
    return switch


def switch_form(html: str, language: str) -> dict:
    """The switch's form that chooses ``language``."""
    return next(form for form in language_switch(html).forms if form["fields"]["language"] == language)


def test_every_page_offers_both_languages_by_their_own_names(client, quito_forum):
    page = forum_url_in("en", "speaker-list", quito_forum) + "?page=1"

    switch = language_switch(client.get(page).content.decode())

    assert switch.label == "Language"
    assert [form["action"] for form in switch.forms] == [reverse("set_language")] * 2
    assert [form["fields"]["next"] for form in switch.forms] == [
        page,
        forum_url_in("es", "speaker-list", quito_forum) + "?page=1",
    ]
    # No per-visitor token, so the page can be cached for every anonymous visitor.
    assert not any("csrfmiddlewaretoken" in form["fields"] for form in switch.forms)
    buttons = [form["button"] for form in switch.forms]
    assert [(b["type"], b["lang"], b["text"], b["aria-pressed"]) for b in buttons] == [
        ("submit", "en", "English", "true"),
        ("submit", "es", "Español", "false"),
    ]


def test_the_switch_works_for_a_browser_without_csrf_cookie(quito_forum):
    """set_language is CSRF-exempt: a visitor whose page came from the cache has no token."""
    client = Client(enforce_csrf_checks=True)
    page = forum_url_in("en", "organization-list", quito_forum)
    form = switch_form(client.get(page).content.decode(), "es")

    response = client.post(form["action"], form["fields"])

    assert response.status_code == 302
    assert response["Location"] == forum_url_in("es", "organization-list", quito_forum)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


@pytest.mark.parametrize(("start", "target"), [("en", "es"), ("es", "en")])
def test_switching_language_lands_on_the_same_page_in_the_other_language(client, quito_forum, start, target):
    """The switch request itself carries no language (no cookie yet, an English browser by
    default), so the page's own forms must carry the translated path."""
    page = forum_url_in(start, "organization-list", quito_forum)
    form = switch_form(client.get(page).content.decode(), target)

    response = client.post(form["action"], form["fields"])

    assert response.status_code == 302
    assert response["Location"] == forum_url_in(target, "organization-list", quito_forum)
    landed = client.get(response["Location"])
    assert html_lang(landed.content.decode()) == target
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == target


def test_the_switch_of_a_spanish_page_is_labelled_in_spanish(client, quito_forum):
    switch = language_switch(client.get(forum_url_in("es", "forum-home", quito_forum)).content.decode())

    assert switch.label == "Idioma"
    assert [form["button"]["aria-pressed"] for form in switch.forms] == ["false", "true"]


def test_the_switch_of_a_404_page_leads_to_the_same_path_in_the_other_language(client):
    html = client.get("/es/forums/no-such-forum/").content.decode()

    assert switch_form(html, "en")["fields"]["next"] == "/en/forums/no-such-forum/"
    assert switch_form(html, "es")["fields"]["next"] == "/es/forums/no-such-forum/"


def test_a_path_without_prefix_follows_the_chosen_language(client, quito_forum):
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    response = client.get(f"/forums/{quito_forum.slug}/")

    assert response.status_code == 302
    assert response["Location"] == forum_url_in("es", "forum-home", quito_forum)


# Formats and catalogs.


@pytest.mark.unit
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_language_defines_every_named_format(language):
    module = import_module(f"forum.formats.{language}.formats")

    missing = [name for name in NAMED_FORMATS if not getattr(module, name, None)]

    assert missing == []


def _catalogs() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(path for path in root.rglob("*.po") if ".venv" not in path.relative_to(root).parts)


@pytest.mark.unit
def test_the_spanish_catalogs_exist():
    catalogs = [path.relative_to(settings.BASE_DIR).as_posix() for path in _catalogs()]

    assert "locale/es/LC_MESSAGES/django.po" in catalogs
    assert "registration/locale/es/LC_MESSAGES/django.po" in catalogs


@pytest.mark.unit
@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (GNU gettext) is not installed")
@pytest.mark.parametrize("catalog", _catalogs(), ids=lambda path: path.relative_to(settings.BASE_DIR).as_posix())
def test_catalog_has_no_untranslated_or_fuzzy_message(catalog):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ translated messages?\.", statistics), statistics


# Printed documents.


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "es",
            [
                "miércoles 22 de enero de 2020, 14:00–16:30",
                "Objetivo",
                "Contexto y justificación",
                "Preguntas clave",
                "Agenda de la sesión",
                "Punto y participantes",
                QUITO_DAY_ES,
            ],
            ["Objective", "Wednesday"],
        ),
        ("en", ["Wednesday 22 January 2020, 14:00–16:30", "Objective", "Key Questions", QUITO_DAY_EN], ["Objetivo"]),
    ],
)
def test_session_agenda_prints_interface_and_dates_in_the_language_asked_for(quito_session, language, expected, absent):
    with translation.override(language):
        html = pdf.render_session_agenda_html(loaded_for_print(quito_session))

    text = normalize(page_text(html))
    assert f'<html lang="{language}">' in html
    for words in expected:
        assert words in text
    for words in absent:
        assert words not in text


def test_programme_booklet_prints_its_cover_and_contents_in_spanish(quito_forum):
    sessions = Session.objects.for_session_page().filter(forum=quito_forum).order_by("start")

    with translation.override("es"):
        text = normalize(page_text(pdf.render_programme_html(quito_forum, sessions)))

    assert "Programa" in text
    assert "Edición 6" in text
    assert "Índice" in text
    assert "Todos los horarios son la hora local de America/Guayaquil" in text
    assert "miércoles 22 de enero de 2020" in text
    assert "Contents" not in text
