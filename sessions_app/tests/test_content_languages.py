"""Content in English and Spanish: fallback on pages, the admin's side-by-side fields, PDFs per language."""

import pytest
from django.urls import reverse
from django.utils import translation

from sessions_app.models import GeneratedDocument, KeyQuestion, Session
from sessions_app.services import document_request
from sessions_app.tests.pdf_support import pdf_text
from sessions_app.tests.support import page_text

Status = GeneratedDocument.Status


def session_url(session: Session, language: str) -> str:
    with translation.override(language):
        return reverse(
            "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
        )


def test_spanish_page_falls_back_to_english_content_where_no_translation_exists(client, quito_session):
    text = page_text(client.get(session_url(quito_session, "es")).content)

    assert quito_session.title_en in text
    assert quito_session.objective_en[:60] in text


def test_spanish_content_is_shown_on_spanish_pages_and_english_on_english_ones(client, quito_session):
    quito_session.title_es = "Fortalecer alianzas para mejorar la respuesta local a la inmigración"
    quito_session.save(update_fields=["title_es"])
    question = quito_session.key_questions.order_by("order").first()
    KeyQuestion.objects.filter(pk=question.pk).update(text_es="¿Qué alianzas funcionan mejor?")

    spanish = page_text(client.get(session_url(quito_session, "es")).content)
    english = page_text(client.get(session_url(quito_session, "en")).content)

    assert "Fortalecer alianzas para mejorar la respuesta local a la inmigración" in spanish
    assert "¿Qué alianzas funcionan mejor?" in spanish
    assert quito_session.title_en not in spanish
    assert quito_session.title_en in english
    assert "Fortalecer alianzas" not in english
    assert question.text_en in english


def test_english_page_falls_back_to_spanish_when_only_spanish_is_written(client, quito_session):
    Session.objects.filter(pk=quito_session.pk).update(methodology_en="", methodology_es="Diálogo en mesas redondas.")

    english = page_text(client.get(session_url(quito_session, "en")).content)

    assert "Diálogo en mesas redondas." in english


def test_admin_edits_both_languages_side_by_side(admin_client, quito_session):
    response = admin_client.get(reverse("admin:sessions_app_session_change", args=[quito_session.pk]))

    html = response.content.decode()
    for field in ("title", "objective", "context", "methodology", "expected_result"):
        assert f'name="{field}_en"' in html
        assert f'name="{field}_es"' in html
        assert html.index(f'name="{field}_en"') < html.index(f'name="{field}_es"')
    assert 'name="key_questions-0-text_es"' in html
    assert 'name="agenda_items-0-title_es"' in html


@pytest.mark.parametrize("model_admin", ["forum_forum", "forum_organization", "sessions_app_theme"])
def test_admin_add_forms_offer_both_languages(admin_client, model_admin):
    html = admin_client.get(reverse(f"admin:{model_admin}_add")).content.decode()

    assert "_en" in html and "_es" in html
    assert html.count('name="') > 2


def test_documents_are_printed_in_the_language_asked_for(quito_session, django_capture_on_commit_callbacks):
    quito_session.title_es = "Fortalecer alianzas para mejorar la respuesta local a la inmigración"
    quito_session.save(update_fields=["title_es"])

    with django_capture_on_commit_callbacks(execute=True):
        english = document_request(forum=quito_session.forum, session=quito_session, language="en")
        spanish = document_request(forum=quito_session.forum, session=quito_session, language="es")

    english, spanish = GeneratedDocument.objects.get(pk=english.pk), GeneratedDocument.objects.get(pk=spanish.pk)
    assert (english.language, spanish.language) == ("en", "es")
    assert english.pk != spanish.pk
    assert english.status == spanish.status == Status.READY
    assert spanish.file.name.endswith(f"-agenda-es-{spanish.content_hash[:12]}.pdf")
    with spanish.file.open("rb") as stored:
        spanish_text = pdf_text(stored.read())
    with english.file.open("rb") as stored:
        english_text = pdf_text(stored.read())
    assert "Fortalecer alianzas para mejorar la respuesta local a la inmigración" in spanish_text
    assert "22 de enero de 2020" in spanish_text
    assert quito_session.title_en in english_text
    assert "22 January 2020" in english_text


def test_document_language_follows_the_page_language(client, quito_session, django_capture_on_commit_callbacks):
    with translation.override("es"):
        url = reverse(
            "documents:session-agenda-pdf",
            kwargs={"forum_slug": quito_session.forum.slug, "session_slug": quito_session.slug},
        )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)

    assert url.startswith("/es/")
    assert response.status_code in (200, 302)
    assert GeneratedDocument.objects.get().language == "es"


def test_a_language_variant_prints_in_its_language(quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(forum=quito_session.forum, session=quito_session, language="es-ec")

    assert document.language == "es"
