"""The organizers' review of recommendations documents in the admin: list, read, publish,
return with a comment, and compare versions."""

import html

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.models import Person
from forum.tests.factories import PersonFactory, UserFactory
from sessions_app.models import SpeakerRole
from sessions_app.recommendation_services import document_for, save_draft, submit
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.tests.factories import (
    AgendaItemFactory,
    RecommendationFactory,
    RecommendationsDocumentFactory,
    SessionFactory,
    SpeakerRoleFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = RecommendationsDocument.Status
CHANGELIST = "admin:sessions_app_recommendationsdocument_changelist"


@pytest.fixture
def rapporteur(quito_session):
    """David Khoudour, the Quito session's rapporteur, signed in as a user."""
    user = UserFactory(email="david@example.org")
    Person.objects.filter(slug="david-khoudour").update(user=user)
    return user


@pytest.fixture
def submitted(quito_session, rapporteur):
    """The Quito session's document, edited once by its rapporteur and submitted (version 3)."""
    question = quito_session.key_questions.order_by("order").first()
    document = save_draft(
        document=document_for(quito_session),
        user=rapporteur,
        expected_version=1,
        introduction="Cities in Latin America receive most newcomers.",
        conclusions="National governments should fund local reception.",
        contributors="UNDP, Cities Alliance",
        recommendations=[
            {"key_question": question, "text": "Create local migrant desks.", "level": "local", "actors": "Mayors"}
        ],
    )
    return submit(document=document, user=rapporteur, expected_version=document.version)


def change_url(document):
    return reverse("admin:sessions_app_recommendationsdocument_change", args=[document.pk])


def diff_url(document):
    return reverse("admin:sessions_app_recommendationsdocument_diff", args=[document.pk])


def action(name, *documents, **extra):
    return {"action": name, helpers.ACTION_CHECKBOX_NAME: [str(d.pk) for d in documents], **extra}


def test_changelist_shows_documents_in_a_constant_number_of_queries(admin_client):
    RecommendationsDocumentFactory(session=SessionFactory(title="Session on shelters"))
    with CaptureQueriesContext(connection) as one:
        response = admin_client.get(reverse(CHANGELIST))
    assert "Session on shelters" in response.text
    assert "Draft" in response.text

    RecommendationsDocumentFactory.create_batch(9)
    with CaptureQueriesContext(connection) as ten:
        response = admin_client.get(reverse(CHANGELIST))

    assert response.text.count("Draft") >= 10
    assert len(ten) == len(one)


def test_change_view_shows_content_recommendations_and_history(admin_client, submitted, quito_session):
    response = admin_client.get(change_url(submitted))

    text = html.unescape(response.text)
    assert response.status_code == 200
    assert "Cities in Latin America receive most newcomers." in text
    assert "Create local migrant desks." in text
    assert "Submitted for review" in text
    assert "david@example.org" in text
    assert 'name="_save"' not in text
    assert f"{diff_url(submitted)}?from=2&to=3" in text


def test_publish_action_publishes_a_submitted_document_and_refuses_a_draft(admin_client, admin_user, submitted):
    draft = document_for(SessionFactory(title="Unfinished session"))

    response = admin_client.post(reverse(CHANGELIST), action("publish_selected", submitted, draft), follow=True)

    submitted.refresh_from_db()
    assert submitted.status == Status.PUBLISHED
    assert submitted.published_at is not None
    assert submitted.versions.get(number=4).created_by == admin_user
    assert "1 document(s) published." in response.text
    assert "Only a document submitted for review can be published. Left unchanged: Unfinished session." in (
        response.text
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_return_action_asks_for_a_comment_then_returns_the_document(admin_client, submitted, quito_session):
    page = admin_client.post(reverse(CHANGELIST), action("return_selected", submitted))

    assert page.status_code == 200
    assert "Comment for the rapporteurs" in page.text
    assert quito_session.title in html.unescape(page.text)

    empty = admin_client.post(reverse(CHANGELIST), action("return_selected", submitted, post="yes", comment=" "))
    assert "the comment is required" in empty.text
    assert RecommendationsDocument.objects.get(pk=submitted.pk).status == Status.SUBMITTED

    done = admin_client.post(
        reverse(CHANGELIST),
        action("return_selected", submitted, post="yes", comment="Name the actors of each recommendation."),
        follow=True,
    )

    assert "1 document(s) returned to their rapporteurs." in done.text
    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_comment) == (Status.DRAFT, "Name the actors of each recommendation.")
    assert submitted.versions.get(number=4).event == "returned"


def test_diff_page_shows_removed_and_added_lines(admin_client, quito_session, rapporteur, submitted):
    """A returned document edited again: version 5 changes the recommendation of version 2."""
    admin_client.post(reverse(CHANGELIST), action("return_selected", submitted, post="yes", comment="Be more precise."))
    question = quito_session.key_questions.order_by("order").first()
    save_draft(
        document=submitted,
        user=rapporteur,
        expected_version=4,
        introduction=submitted.introduction,
        conclusions=submitted.conclusions,
        contributors=submitted.contributors,
        recommendations=[
            {
                "key_question": question,
                "text": "Create migrant desks in every district.",
                "level": "local",
                "actors": "Mayors",
            }
        ],
    )

    response = admin_client.get(diff_url(submitted), {"from": 2, "to": 5})

    text = html.unescape(response.text)
    assert "<pre" in text
    assert '<span class="removed">-    1. [Local] Create local migrant desks. — Mayors</span>' in text
    assert '<span class="added">+    1. [Local] Create migrant desks in every district. — Mayors</span>' in text
    assert "-Status: Draft" not in text


def test_diff_page_defaults_to_the_last_change_and_refuses_unknown_versions(admin_client, submitted):
    latest = admin_client.get(diff_url(submitted))

    assert "+Status: Submitted for review" in latest.text
    assert admin_client.get(diff_url(submitted), {"from": 1, "to": 99}).status_code == 404
    assert admin_client.get(diff_url(submitted), {"from": "x"}).status_code == 404


def test_non_staff_users_are_sent_to_the_login_page(client, submitted):
    client.force_login(UserFactory())

    for url in (reverse(CHANGELIST), change_url(submitted), diff_url(submitted)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_staff_without_permission_cannot_see_documents(client, submitted):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(diff_url(submitted)).status_code == 403


def test_person_admin_offers_the_user_account_of_a_rapporteur(admin_client):
    person = PersonFactory()
    SpeakerRoleFactory(
        agenda_item=AgendaItemFactory(session=SessionFactory()), role=SpeakerRole.Role.RAPPORTEUR, person=person
    )

    response = admin_client.get(reverse("admin:forum_person_change", args=[person.pk]))

    assert 'name="user"' in response.text


def test_recommendation_factory_files_under_a_question_of_the_documents_session():
    recommendation = RecommendationFactory()

    assert recommendation.key_question.session == recommendation.document.session
    recommendation.full_clean()


def test_a_version_number_too_long_to_be_one_is_a_404(admin_client, quito_session):
    from sessions_app.recommendation_services import document_for

    document = document_for(quito_session)
    url = reverse("admin:sessions_app_recommendationsdocument_diff", args=[document.pk])

    assert admin_client.get(url, {"from": "9" * 5000}).status_code == 404
