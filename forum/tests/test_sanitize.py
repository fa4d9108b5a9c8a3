"""Long texts are stored without markup (``forum.sanitize``) and printed escaped.

Payloads are saved the ways organizers, rapporteurs and imports write them: the admin,
the rapporteur's editor, ``QuerySet.update``/``bulk_create``/``bulk_update``, in English
and in Spanish. Each test then reads the stored row, the public page and the PDF: no
script, event handler, ``javascript:`` URL or style from the content reaches any of them,
while the text around the payloads is kept as typed.
"""

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from forum.models import Forum, Person
from forum.sanitize import MAX_PASSES, SanitizedTextField, strip_markup
from forum.tests.factories import UserFactory
from forum.tests.hostile_inputs import HOSTILE_INPUTS, form_values, injected_markup
from sessions_app.models import GeneratedDocument, KeyQuestion, Session
from sessions_app.recommendation_services import return_to_draft
from sessions_app.recommendations import Recommendation, RecommendationsDocument
from sessions_app.tests.factories import RecommendationsDocumentFactory, SessionFactory
from sessions_app.tests.pdf_support import pdf_text, rendered_pdf
from sessions_app.tests.support import client_for, page_text

PAYLOADS = (
    "<script>alert('xss-script')</script>",
    "<img src=x onerror=alert('xss-img')>",
    "<a href=\"javascript:alert('xss-link')\">linked words</a>",
    "<style>body{display:none}</style>",
    "<svg onload=alert('xss-svg')>",
    '<iframe src="https://evil.example/xss-frame">framed</iframe>',
    "\"><script>alert('xss-breakout')</script>",
    "<div style=\"background:url(javascript:alert('xss-style'))\">styled words</div>",
    "&lt;script&gt;alert('xss-entity')&lt;/script&gt;",
)
"""Payloads written into the texts, each leaving only harmless words (or nothing)."""

HOSTILE = " ".join(PAYLOADS)

TRACES = ("<script", "<img", "<svg", "<iframe", "<style", "onerror", "onload", "javascript:", "alert(", "xss-")
"""What must be gone from a stored text, a page's content and a PDF's text."""


def written(label: str) -> str:
    """A text an organizer might write, ``label`` first, with every payload inside it."""
    return f"{label} starts here. {HOSTILE} Migrants & refugees: a < b.\n\nSecond paragraph of {label}."


def assert_clean_text(text: str) -> None:
    """``text`` (stored or printed) holds no trace of the payloads."""
    lowered = text.lower()
    assert [trace for trace in TRACES if trace in lowered] == []


def assert_clean_page(html: str) -> None:
    """The page has no markup from the payloads and no trace of them in its text."""
    assert injected_markup(html) == []
    assert "xss-" not in html
    assert "display:none" not in html.replace(" ", "")
    assert_clean_text(page_text(html))


# strip_markup


@pytest.mark.unit
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("<script>alert(1)</script>", ""),
        ("<img src=x onerror=alert(1)>", ""),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ("<style>body{display:none}</style>", ""),
        ("<svg onload=alert(1)>", ""),
        ('<iframe src="https://evil.example/">inside</iframe>after', "after"),
        ('"><script>alert(1)</script>', '">'),
        ('<div style="background:url(javascript:alert(1))">styled</div>', "styled"),
        ("<noscript><img src=x onerror=alert(1)></noscript>kept", "kept"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        ("<!-- hidden -->shown", "shown"),
        ("Migrants &amp; refugees", "Migrants & refugees"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", ""),
        ("&amp;lt;b&amp;gt;bold", "bold"),
        ("a < b & c > d", "a < b & c > d"),
        ("I <3 cities", "I <3 cities"),
        ('Tom\'s "quoted" words', 'Tom\'s "quoted" words'),
        ("Ana 👩🏽‍💻 👨‍👩‍👧‍👦", "Ana 👩🏽‍💻 👨‍👩‍👧‍👦"),
        ("فاطمة الزهراء · דוד כהן", "فاطمة الزهراء · דוד כהן"),
        ("Ana\u200bPérez\u200d", "Ana\u200bPérez\u200d"),
        ("Line one\r\nline two\n\nParagraph\tend", "Line one\nline two\n\nParagraph\tend"),
        ("bell\x07 and nul\x00 end", "bell and nul end"),
        ("{{ 7*7 }} [^1]", "{{ 7*7 }} [^1]"),
        ("", ""),
    ],
)
def test_strip_markup(typed, stored):
    assert strip_markup(typed) == stored


@pytest.mark.unit
@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=str)
def test_strip_markup_leaves_no_tag_and_is_stable(hostile):
    stored = strip_markup(hostile.value)

    assert re.search(r"<[A-Za-z/!?]", stored) is None
    assert strip_markup(stored) == stored


@pytest.mark.unit
def test_entities_nested_deeper_than_the_passes_stay_escaped_text():
    typed = "&" + "amp;" * (MAX_PASSES + 2) + "lt;script&gt;alert(1)"

    stored = strip_markup(typed)

    assert "<" not in stored and "script" in stored
    assert re.search(r"<[A-Za-z/!?]", strip_markup(stored)) is None


# The field


def sanitized_text_fields() -> set[tuple[str, str]]:
    """(model label, field name) of every ``TextField`` of the project's apps that is not sanitized."""
    return {
        (model._meta.label, field.name)
        for app in ("forum", "sessions_app", "registration")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and not isinstance(field, SanitizedTextField)
    }


@pytest.mark.unit
def test_every_text_field_but_render_errors_is_sanitized_in_every_language():
    assert sanitized_text_fields() == {("sessions_app.GeneratedDocument", "error")}
    for name in ("objective_en", "objective_es", "context_es", "description_es"):
        model = Forum if name.startswith("description") else Session
        assert isinstance(model._meta.get_field(name), SanitizedTextField)


@pytest.mark.django_db
def test_save_stores_clean_text_and_the_instance_shows_it():
    session = SessionFactory(objective=written("Objective"), context=written("Context"))

    stored = Session.objects.values("objective_en", "context_en", "objective_es").get(pk=session.pk)
    assert_clean_text(stored["objective_en"] + stored["context_en"])
    assert stored["objective_en"].startswith("Objective starts here.")
    assert "linked words" in stored["objective_en"] and "styled words" in stored["objective_en"]
    assert "Migrants & refugees: a < b.\n\nSecond paragraph of Objective." in stored["objective_en"]
    assert stored["objective_es"] is None
    assert session.objective == stored["objective_en"]


@pytest.mark.django_db
def test_spanish_text_is_cleaned_in_its_own_column_and_english_is_untouched():
    session = SessionFactory(objective="English objective.")

    with translation.override("es"):
        session = Session.objects.get(pk=session.pk)
        session.objective = written("Objetivo")
        session.save()

    stored = Session.objects.values("objective_en", "objective_es").get(pk=session.pk)
    assert stored["objective_en"] == "English objective."
    assert stored["objective_es"].startswith("Objetivo starts here.")
    assert_clean_text(stored["objective_es"])


@pytest.mark.django_db
def test_queryset_update_bulk_create_and_bulk_update_store_clean_text():
    session = SessionFactory()
    Session.objects.filter(pk=session.pk).update(methodology=written("Updated"))
    with translation.override("es"):
        Session.objects.filter(pk=session.pk).update(expected_result=written("Actualizado"))
    KeyQuestion.objects.bulk_create([KeyQuestion(session=session, order=1, text=written("Bulk"))])
    question = KeyQuestion.objects.get(session=session)
    question.text_es = written("Masivo")
    KeyQuestion.objects.bulk_update([question], ["text_es"])

    texts = [
        *Session.objects.values_list("methodology_en", "expected_result_es").get(pk=session.pk),
        *KeyQuestion.objects.values_list("text_en", "text_es").get(pk=question.pk),
    ]
    for text in texts:
        assert_clean_text(text)
    assert [text.split(" starts here.")[0] for text in texts] == ["Updated", "Actualizado", "Bulk", "Masivo"]


@pytest.mark.django_db
def test_a_required_text_of_markup_only_is_refused_and_a_blank_one_becomes_empty():
    session = SessionFactory()
    question = KeyQuestion(session=session, order=1, text="<script>alert(1)</script>")

    with pytest.raises(ValidationError) as refused:
        question.full_clean()

    assert refused.value.error_dict["text"][0].code == "markup_only"
    session.methodology = "<script>alert(1)</script>"
    session.full_clean()
    session.save()
    assert Session.objects.values_list("methodology_en", flat=True).get(pk=session.pk) == ""


# Through the admin, the editor, the pages and the PDFs


def organizer_client() -> Client:
    return client_for(UserFactory(is_staff=True, is_superuser=True))


def admin_save(client: Client, url: str, form_id: str, changes: dict[str, str]) -> None:
    """Post the admin change form at ``url`` as shown, with ``changes``; assert it saved."""
    page = client.get(url)
    assert page.status_code == 200
    data = form_values(page.content, form_id)
    data.update({name: [value] for name, value in changes.items()})
    response = client.post(url, data)
    assert response.status_code == 302, page_text(response.content)[:2000]


@pytest.mark.django_db
def test_the_admin_refuses_a_required_text_of_markup_only_and_keeps_the_stored_one():
    client = organizer_client()
    session = SessionFactory()
    KeyQuestion.objects.create(session=session, order=1, text="Which cities act first?")
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    data = form_values(client.get(url).content, "session_form")
    data["key_questions-0-text_en"] = ["<script>alert('xss-only')</script>"]

    response = client.post(url, data)

    assert response.status_code == 200
    assert "This text is only markup, which is removed when saved: write it as plain text." in page_text(
        response.content
    )
    assert KeyQuestion.objects.get(session=session).text == "Which cities act first?"


@pytest.mark.django_db
def test_the_admin_refuses_a_text_longer_than_twenty_thousand_characters_and_keeps_the_stored_one():
    client = organizer_client()
    session = SessionFactory(expected_result="Cities commit to act.")
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    data = form_values(client.get(url).content, "session_form")
    data["expected_result_en"] = ["A" * 20_001]

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Ensure this value has at most 20000 characters (it has 20001)." in page_text(response.content)
    assert Session.objects.get(pk=session.pk).expected_result == "Cities commit to act."


@pytest.mark.django_db
def test_session_saved_in_the_admin_is_clean_on_its_page_and_in_its_agenda_pdf(quito_session):
    client = organizer_client()
    question = quito_session.key_questions.order_by("order").first()
    reference = quito_session.references.order_by("number").first()
    questions = list(quito_session.key_questions.order_by("order"))
    question_index = questions.index(question)
    references = list(quito_session.references.order_by("number"))
    url = reverse("admin:sessions_app_session_change", args=[quito_session.pk])

    admin_save(
        client,
        url,
        "session_form",
        {
            "objective_en": written("Objective"),
            "context_en": written("Context") + " [^1]",
            "methodology_en": written("Methodology"),
            "expected_result_en": written("Result"),
            f"key_questions-{question_index}-text_en": "Which cities act first? " + HOSTILE,
            f"references-{references.index(reference)}-citation": "IOM, 2019. " + HOSTILE,
        },
    )

    session = Session.objects.get(pk=quito_session.pk)
    stored = [session.objective, session.context, session.methodology, session.expected_result]
    stored += [KeyQuestion.objects.get(pk=question.pk).text, session.references.get(pk=reference.pk).citation]
    for text in stored:
        assert_clean_text(text)
    assert stored[0].startswith("Objective starts here.")
    assert stored[4].startswith("Which cities act first?")
    html = client.get(
        reverse("sessions_app:session-detail", args=[session.forum.slug, session.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert_clean_page(html)
    text = page_text(html)
    for expected in ("Objective starts here.", "linked words", "styled words", "Migrants & refugees: a < b."):
        assert expected in text
    assert "Which cities act first?" in text and "IOM, 2019." in text

    printed = pdf_text(rendered_pdf(forum=session.forum, session=session, kind=GeneratedDocument.Kind.SESSION_AGENDA))
    assert_clean_text(printed)
    assert "Objective starts here." in printed and "Which cities act first?" in printed


@pytest.mark.django_db
def test_forum_and_person_saved_in_the_admin_are_clean_on_their_pages(quito_forum):
    client = organizer_client()
    person = Person.objects.get(slug="david-khoudour")

    admin_save(
        client,
        reverse("admin:forum_forum_change", args=[quito_forum.pk]),
        "forum_form",
        {"description_en": written("Introduction")},
    )
    admin_save(
        client,
        reverse("admin:forum_person_change", args=[person.pk]),
        "person_form",
        {"bio": written("Biography")},
    )

    stored = [Forum.objects.get(pk=quito_forum.pk).description, Person.objects.get(pk=person.pk).bio]
    for text in stored:
        assert_clean_text(text)
    for url, label in (
        (reverse("forum:forum-home", args=[quito_forum.slug]), "Introduction"),
        (reverse("forum:speaker-detail", args=[quito_forum.slug, person.slug]), "Biography"),
    ):
        html = client.get(url).content.decode()
        assert_clean_page(html)
        assert f"{label} starts here." in page_text(html)
        assert "Migrants & refugees: a < b." in page_text(html)


@pytest.mark.django_db
def test_rapporteur_editor_stores_clean_text_shown_clean_on_the_page_and_in_the_pdf(quito_session):
    rapporteur = UserFactory()
    Person.objects.filter(slug="david-khoudour").update(user=rapporteur)
    client = client_for(rapporteur)
    url = reverse("workspace:editor", args=[quito_session.forum.slug, quito_session.slug])
    question = quito_session.key_questions.order_by("order").first()
    data = {
        "action": "save",
        "expected_version": 1,
        "introduction": written("Introduction"),
        "conclusions": written("Conclusions"),
        "contributors": "UNDP " + HOSTILE,
        "recommendations-TOTAL_FORMS": 2,
        "recommendations-INITIAL_FORMS": 0,
        "recommendations-MIN_NUM_FORMS": 0,
        "recommendations-MAX_NUM_FORMS": 1000,
        "recommendations-0-key_question": question.pk,
        "recommendations-0-text": "Open local offices. " + HOSTILE,
        "recommendations-0-level": "local",
        "recommendations-0-actors": "Mayors",
        "recommendations-1-text": "<script>alert('xss-only')</script>",
        "recommendations-1-level": "global",
    }

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "This text is only markup" in page_text(refused.content)
    assert not RecommendationsDocument.objects.filter(session=quito_session, version__gt=1).exists()
    data["recommendations-TOTAL_FORMS"] = 1
    response = client.post(url, data)

    assert response.status_code == 302
    document = RecommendationsDocument.objects.get(session=quito_session)
    recommendation = Recommendation.objects.get(document=document)
    for text in (document.introduction, document.conclusions, document.contributors, recommendation.text):
        assert_clean_text(text)
    assert recommendation.text.startswith("Open local offices.")
    html = client.get(url).content.decode()
    assert_clean_page(html)
    assert "Open local offices." in page_text(html) and "Introduction starts here." in page_text(html)

    printed = pdf_text(rendered_pdf(forum=quito_session.forum, session=quito_session, kind="recommendations"))
    assert_clean_text(printed)
    assert "Open local offices." in printed and "Conclusions starts here." in printed


@pytest.mark.django_db
def test_organizer_return_comment_is_stored_clean_on_the_document_and_its_version():
    organizer = UserFactory(is_staff=True)
    organizer.user_permissions.add(Permission.objects.get(codename="change_recommendationsdocument"))
    document = RecommendationsDocumentFactory(status=RecommendationsDocument.Status.SUBMITTED)

    return_to_draft(document=document, user=organizer, comment="Please add sources. " + HOSTILE)

    document.refresh_from_db()
    version = document.versions.get(number=document.version)
    for text in (document.return_comment, version.comment):
        assert text.startswith("Please add sources.")
        assert_clean_text(text)
