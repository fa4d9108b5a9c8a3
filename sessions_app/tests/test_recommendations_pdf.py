"""The printed recommendations document, who may download it, and the session page showing it."""

import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forum.models import Person
from forum.tests.factories import PersonFactory, UserFactory
from registration.tests.factories import RegistrationFactory
from sessions_app import services
from sessions_app.models import GeneratedDocument, SpeakerRole
from sessions_app.recommendations import Recommendation, RecommendationsDocument
from sessions_app.tests.factories import (
    AgendaItemFactory,
    RecommendationFactory,
    RecommendationsDocumentFactory,
    SessionFactory,
    SpeakerRoleFactory,
)
from sessions_app.tests.pdf_support import QUITO_KEY_QUESTIONS, page_texts, pdf_text, rendered_pdf
from sessions_app.tests.support import page_text
from sessions_app.tests.test_views import SESSION_PAGE_QUERIES

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Kind = GeneratedDocument.Kind
Level = Recommendation.Level
Status = RecommendationsDocument.Status
# Published at 15:00 UTC on 24 January 2020: 10:00 that day in Quito (UTC-5).
PUBLISHED_AT = datetime(2020, 1, 24, 15, tzinfo=UTC)
# Under a key question and long enough that the document runs past its cover and first page.
LONG_TEXT = " ".join(["Cities should open local offices that guide migrants towards services."] * 12)


def recommendations_url(session) -> str:
    return reverse(
        "documents:recommendations-pdf", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def session_url(session) -> str:
    return reverse(
        "sessions_app:session-detail", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def publish(document: RecommendationsDocument) -> None:
    """Mark ``document`` published at ``PUBLISHED_AT`` (the workflow is tested in test_recommendations)."""
    document.status, document.published_at, document.version = Status.PUBLISHED, PUBLISHED_AT, document.version + 1
    document.save()


def printed(session) -> bytes:
    """The PDF of ``session``'s recommendations, requested then rendered as the worker does."""
    return rendered_pdf(forum=session.forum, session=session, kind=Kind.RECOMMENDATIONS)


@pytest.fixture
def document(quito_session):
    """A draft of the Quito session: two recommendations under each key question, one general."""
    document = RecommendationsDocumentFactory(session=quito_session, version=4)
    questions = list(quito_session.key_questions.order_by("order"))
    for question in questions:
        RecommendationFactory(
            document=document,
            key_question=question,
            order=2 * question.order - 1,
            text=f"Recommendation {question.order}A. {LONG_TEXT}",
            level=Level.NATIONAL,
            actors="National governments",
        )
        RecommendationFactory(
            document=document,
            key_question=question,
            order=2 * question.order,
            text=f"Recommendation {question.order}B.",
            level=Level.LOCAL,
            actors="Mayors",
        )
    RecommendationFactory(
        document=document,
        key_question=None,
        order=2 * len(questions) + 1,
        text="Share data between cities.",
        level=Level.GLOBAL,
        actors="",
    )
    return document


def user_of(person_slug: str):
    """A new user linked to the seeded person ``person_slug``."""
    user = UserFactory()
    Person.objects.filter(slug=person_slug).update(user=user)
    return user


@pytest.fixture
def rapporteur(quito_session):
    """The Quito session's rapporteur (David Khoudour) as a user."""
    return user_of("david-khoudour")


@pytest.fixture
def other_rapporteur(quito_forum):
    """A rapporteur of another session of the forum."""
    user = UserFactory()
    other = SessionFactory(forum=quito_forum, slug="another-session")
    SpeakerRoleFactory(
        agenda_item=AgendaItemFactory(session=other), role=SpeakerRole.Role.RAPPORTEUR, person=PersonFactory(user=user)
    )
    return user


@pytest.fixture
def organizer():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_recommendationsdocument"))
    return user


@pytest.fixture
def participant(quito_forum):
    return RegistrationFactory(forum=quito_forum).user


# The printed document.


def test_pdf_prints_the_cover_questions_recommendations_conclusions_and_rapporteurs(quito_session, document):
    text = pdf_text(printed(quito_session))

    forum = quito_session.forum
    for title in (forum.title, quito_session.title, "Document of recommendations", "Coordinating organizations"):
        assert title in text
    for organizer in quito_session.organizers.select_related("organization"):
        assert organizer.organization.name in text
    for number, question in enumerate(QUITO_KEY_QUESTIONS, start=1):
        assert f"Key question {number}" in text
        assert question in text
        assert f"Recommendation {number}A." in text
        assert f"Recommendation {number}B. Level: Local · Actors: Mayors" in text
    assert "Level: National · Actors: National governments" in text
    assert "General recommendations" in text
    assert "Share data between cities. Level: Global" in text
    assert "The session discussed partnerships between cities." in text
    assert "Conclusions and recommendations for public policies Cities need predictable funding." in text
    assert "UNDP, Cities Alliance" in text
    assert "David Khoudour" in text
    assert "Ana Ruiz Nieves" in text
    assert "Page 1 of" in text
    assert "Version 4 ·" in text


def test_questions_print_in_order(quito_session, document):
    text = pdf_text(printed(quito_session))

    positions = [text.index(question) for question in QUITO_KEY_QUESTIONS]
    assert positions == sorted(positions)


def test_a_draft_is_marked_draft_on_every_page(quito_session, document):
    pages = page_texts(printed(quito_session))

    assert len(pages) >= 3
    assert all("DRAFT" in page for page in pages)
    assert all(f"Page {number} of {len(pages)}" in page for number, page in enumerate(pages, start=1))


def test_a_published_document_has_no_draft_mark_and_its_publication_date(quito_session, document):
    publish(document)

    pages = page_texts(printed(quito_session))

    assert not any("DRAFT" in page for page in pages)
    assert all("Version 5 · 24 January 2020 · Page" in page for page in pages)


def test_publishing_changes_the_content_hash(quito_session, document, monkeypatch):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    draft = services.document_request(forum=quito_session.forum, session=quito_session, kind=Kind.RECOMMENDATIONS)
    publish(document)

    published = services.document_request(forum=quito_session.forum, session=quito_session, kind=Kind.RECOMMENDATIONS)

    assert published.content_hash != draft.content_hash
    assert published.pk != draft.pk


def test_quito_recommendations_render_in_seconds(quito_session, document):
    started = time.perf_counter()
    printed(quito_session)
    assert time.perf_counter() - started < 10


# Who may download it.


@pytest.mark.parametrize(
    ("who", "published", "allowed"),
    [
        ("anonymous", False, False),
        ("participant", False, False),
        ("rapporteur", False, True),
        ("other_rapporteur", False, False),
        ("organizer", False, True),
        ("anonymous", True, True),
        ("participant", True, True),
        ("rapporteur", True, True),
        ("other_rapporteur", True, True),
        ("organizer", True, True),
    ],
)
def test_download_permissions(client, request, quito_session, document, monkeypatch, who, published, allowed):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    if published:
        publish(document)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.get(recommendations_url(quito_session))

    if allowed:
        assert response.status_code == 302
        status_page = client.get(response["Location"])
        assert status_page.status_code == 200
        assert f"Recommendations — {quito_session.title}" in status_page.content.decode()
    else:
        assert response.status_code == 404
        assert not GeneratedDocument.objects.exists()


def test_a_draft_status_page_is_hidden_from_others(client, quito_session, document, rapporteur, monkeypatch):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    client.force_login(rapporteur)
    status_url = client.get(recommendations_url(quito_session))["Location"]
    client.logout()

    assert client.get(status_url).status_code == 404


def test_no_document_is_404(client, quito_session, organizer):
    client.force_login(organizer)

    assert client.get(recommendations_url(quito_session)).status_code == 404


def test_published_pdf_downloads_with_its_title(client, quito_session, document, django_capture_on_commit_callbacks):
    publish(document)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(recommendations_url(quito_session))
    response = client.get(recommendations_url(quito_session))

    assert first.status_code == 302
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''Recommendations%20%E2%80%94%20" in response["Content-Disposition"]
    assert GeneratedDocument.objects.get().file.name.endswith(".pdf")
    assert "-recommendations-" in GeneratedDocument.objects.get().file.name


# The session page.


def test_session_page_shows_a_published_document(client, quito_session, document):
    publish(document)

    response = client.get(session_url(quito_session))

    text = page_text(response.content)
    assert "Recommendations" in text
    assert "The session discussed partnerships between cities." in text
    assert f"Key question 1: {QUITO_KEY_QUESTIONS[0]}" in text
    assert "Recommendation 1B. Level: Local · Actors: Mayors" in text
    assert "General recommendations Share data between cities. Level: Global" in text
    assert "Cities need predictable funding." in text
    assert f'href="{recommendations_url(quito_session)}"' in response.content.decode()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_session_page_hides_a_document_not_published(client, quito_session, document, status):
    RecommendationsDocument.objects.filter(pk=document.pk).update(status=status)

    response = client.get(session_url(quito_session))

    assert response.status_code == 200
    assert "Cities need predictable funding." not in page_text(response.content)
    assert recommendations_url(quito_session) not in response.content.decode()


def test_session_page_query_count_does_not_depend_on_the_document(
    client, quito_session, document, django_assert_num_queries
):
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        assert client.get(session_url(quito_session)).status_code == 200
    publish(document)
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        assert client.get(session_url(quito_session)).status_code == 200


def test_printed_numbers_follow_the_reading_order_and_line_breaks_are_kept(client, quito_session):
    document = RecommendationsDocumentFactory(session=quito_session, contributors="David Khoudour (UNDP)\nAna Ruiz")
    first, second = quito_session.key_questions.order_by("order")[:2]
    RecommendationFactory(document=document, key_question=None, order=1, text="General one.", level=Level.GLOBAL)
    RecommendationFactory(document=document, key_question=second, order=2, text="Line one\nLine two", level=Level.LOCAL)
    RecommendationFactory(document=document, key_question=first, order=3, text="First question's.", level=Level.LOCAL)
    publish(document)

    text = " ".join(pdf_text(printed(quito_session)).split())
    html = client.get(session_url(quito_session)).content.decode()

    assert text.index("1. First question's.") < text.index("2. Line one") < text.index("3. General one.")
    assert "Line one<br>Line two" in html
    assert "David Khoudour (UNDP)<br>Ana Ruiz" in html
    assert '<li value="1">' in html and '<li value="3">' in html
