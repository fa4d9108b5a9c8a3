"""The rapporteur workspace: my sessions as rapporteur and the recommendations editor."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from forum.models import Person
from forum.tests.factories import ForumFactory, PersonFactory, UserFactory
from sessions_app.models import SpeakerRole
from sessions_app.recommendation_services import document_for, return_to_draft, save_draft
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.tests.factories import AgendaItemFactory, KeyQuestionFactory, SessionFactory, SpeakerRoleFactory
from sessions_app.tests.support import client_for, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = RecommendationsDocument.Status
MY_SESSIONS_URL = reverse("workspace:my-sessions")


def editor_url(session) -> str:
    return reverse("workspace:editor", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug})


def rapporteur_of(session):
    """A new user linked to a person who is rapporteur of ``session``."""
    user = UserFactory()
    SpeakerRoleFactory(
        agenda_item=AgendaItemFactory(session=session),
        role=SpeakerRole.Role.RAPPORTEUR,
        person=PersonFactory(user=user),
    )
    return user


def editor_data(version, *, introduction="Intro.", rows=(), initial=0, action="save") -> dict:
    """A POST of the editor: the document's texts and ``rows``, mappings of the fields of
    one recommendation form each (``initial`` of them stand for stored recommendations)."""
    data = {
        "action": action,
        "expected_version": version,
        "introduction": introduction,
        "conclusions": "Conclusions.",
        "contributors": "UNDP",
        "recommendations-TOTAL_FORMS": len(rows),
        "recommendations-INITIAL_FORMS": initial,
        "recommendations-MIN_NUM_FORMS": 0,
        "recommendations-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"recommendations-{index}-{field}"] = value
    return data


def row(text, *, key_question="", order="", level="local", actors="Mayors", **extra) -> dict:
    return {"key_question": key_question, "order": order, "text": text, "level": level, "actors": actors, **extra}


BLANK_ROW = {"key_question": "", "order": "", "text": "", "level": "", "actors": ""}


@pytest.fixture
def session():
    return SessionFactory()


@pytest.fixture
def question(session):
    return KeyQuestionFactory(session=session, order=1, text="How do cities cooperate?")


@pytest.fixture
def rapporteur(session):
    return rapporteur_of(session)


@pytest.fixture
def organizer():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_recommendationsdocument"))
    return user


@pytest.fixture
def users(session, rapporteur, organizer):
    """Every kind of visitor of the matrix, by name (None is anonymous)."""
    return {
        "anonymous": None,
        "participant": UserFactory(),
        "rapporteur": rapporteur,
        "other rapporteur": rapporteur_of(SessionFactory()),
        "staff without permission": UserFactory(is_staff=True),
        "organizer": organizer,
    }


# Access


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("anonymous", 302, 302),
        ("participant", 404, 404),
        ("rapporteur", 200, 302),
        ("other rapporteur", 404, 404),
        ("staff without permission", 404, 404),
        ("organizer", 200, 302),
    ],
)
def test_editor_permission_matrix(session, users, who, get_status, post_status):
    user = users[who]
    client = client_for(user) if user else Client()

    get = client.get(editor_url(session))
    post = client.post(editor_url(session), editor_data(1, introduction=f"By {who}."))

    assert (get.status_code, post.status_code) == (get_status, post_status)
    document = RecommendationsDocument.objects.filter(session=session).first()
    if post_status == 302 and user:
        assert post["Location"] == editor_url(session)
        assert document.introduction == f"By {who}."
    else:
        assert document is None or document.introduction == ""
    if who == "anonymous":
        assert get["Location"].startswith(reverse("account_login"))
        assert post["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("who", "get_status", "lists_session"),
    [
        ("anonymous", 302, False),
        ("participant", 200, False),
        ("rapporteur", 200, True),
        ("other rapporteur", 200, False),
        ("organizer", 200, False),
    ],
)
def test_my_sessions_permission_matrix(session, users, who, get_status, lists_session):
    user = users[who]
    client = client_for(user) if user else Client()

    response = client.get(MY_SESSIONS_URL)

    assert response.status_code == get_status
    assert client.post(MY_SESSIONS_URL).status_code == (302 if who == "anonymous" else 405)
    if get_status == 200:
        assert (session.title in response.content.decode()) == lists_session


def test_editor_wrong_slugs_and_unpublished_forum_are_404(session, rapporteur):
    client = client_for(rapporteur)
    other_forum = ForumFactory()

    assert client.get(reverse("workspace:editor", args=[session.forum.slug, "no-such-session"])).status_code == 404
    assert client.get(reverse("workspace:editor", args=["no-such-forum", session.slug])).status_code == 404
    assert client.get(reverse("workspace:editor", args=[other_forum.slug, session.slug])).status_code == 404
    session.forum.is_published = False
    session.forum.save()
    assert client.get(editor_url(session)).status_code == 404


# My sessions


def test_my_sessions_lists_forum_time_status_version_and_editor_link(session, rapporteur):
    other = SessionFactory(forum=session.forum, title="Cities and climate")
    SpeakerRoleFactory(
        agenda_item=AgendaItemFactory(session=other), role=SpeakerRole.Role.RAPPORTEURSHIP, person=rapporteur.person
    )
    document = document_for(other)
    save_draft(
        document=document,
        user=rapporteur,
        expected_version=1,
        introduction="Intro.",
        conclusions="",
        contributors="",
        recommendations=[],
    )

    response = client_for(rapporteur).get(MY_SESSIONS_URL)

    text = page_text(response.content)
    assert "My sessions as rapporteur" in text
    assert session.title in text and other.title in text
    assert session.forum.title in text
    assert "14:00–16:30" in text  # the forum's time zone, not UTC
    assert "Not started" in text
    assert "Draft version 2" in text
    assert editor_url(session) in response.content.decode()
    assert editor_url(other) in response.content.decode()


def test_my_sessions_empty_state(users):
    response = client_for(users["participant"]).get(MY_SESSIONS_URL)

    assert "You are not rapporteur of any session." in page_text(response.content)


# Editing


def test_editor_shows_the_form_with_key_questions_and_general(session, question, rapporteur):
    KeyQuestionFactory()  # of another session

    response = client_for(rapporteur).get(editor_url(session))

    assert response.status_code == 200
    select = response.context["formset"].forms[0].fields["key_question"]
    assert list(select.queryset) == [question]
    assert select.empty_label == "General"
    html = response.content.decode()
    assert 'name="expected_version" value="1"' in html
    assert 'for="id_introduction"' in html
    assert "Save draft" in html and "Submit for review" in html


def test_saving_creates_the_rows_in_order_and_a_history_entry(session, question, rapporteur):
    client = client_for(rapporteur)
    rows = [
        row("General advice.", order="2", level="global", actors=""),
        row("Open a migrant desk.", key_question=question.pk, order="1"),
        BLANK_ROW,
    ]

    response = client.post(editor_url(session), editor_data(1, rows=rows), follow=True)

    assert "The draft was saved (version 2)." in page_text(response.content)
    document = RecommendationsDocument.objects.get(session=session)
    assert (document.version, document.introduction, document.updated_by) == (2, "Intro.", rapporteur)
    stored = document.recommendations.order_by("order").values_list("order", "key_question", "text", "level")
    assert list(stored) == [(1, question.pk, "Open a migrant desk.", "local"), (2, None, "General advice.", "global")]
    assert list(document.versions.values_list("number", "event", "created_by")) == [
        (1, "created", rapporteur.pk),
        (2, "edited", rapporteur.pk),
    ]
    assert [heading for heading, _ in response.context["form_groups"]] == [question, None, "new"]


def test_reordering_and_removing_recommendations(session, question, rapporteur):
    client = client_for(rapporteur)
    client.post(editor_url(session), editor_data(1, rows=[row("A."), row("B."), row("C.")]))
    rows = [row("A.", order="3"), row("B.", order="1", DELETE="on"), row("C.", order="2")]

    client.post(editor_url(session), editor_data(2, rows=rows, initial=3))

    document = RecommendationsDocument.objects.get(session=session)
    assert list(document.recommendations.order_by("order").values_list("text", flat=True)) == ["C.", "A."]
    assert document.version == 3


def test_edit_conflict_keeps_the_second_editors_text_and_the_first_editors_save(session, question, rapporteur):
    colleague = rapporteur_of(session)
    first, second = client_for(rapporteur), client_for(colleague)
    opened = [c.get(editor_url(session)).context["form"]["expected_version"].value() for c in (first, second)]
    assert opened == [1, 1]

    first.post(editor_url(session), editor_data(1, introduction="First intro.", rows=[row("First advice.")]))
    response = second.post(
        editor_url(session),
        editor_data(1, introduction="Second intro.", rows=[row("Second advice.", key_question=question.pk)]),
    )

    assert response.status_code == 409
    text = page_text(response.content)
    assert "Someone else saved this document since you opened it (version 2)." in text
    html = response.content.decode()
    assert "Second intro.</textarea>" in html
    assert "Second advice.</textarea>" in html
    assert f'<option value="{question.pk}" selected>' in html
    document = RecommendationsDocument.objects.get(session=session)
    assert (document.version, document.introduction) == (2, "First intro.")
    assert list(document.recommendations.values_list("text", flat=True)) == ["First advice."]


def test_submit_moves_to_submitted_and_the_page_becomes_read_only(session, question, rapporteur):
    client = client_for(rapporteur)
    rows = [row("Open a migrant desk.", key_question=question.pk)]

    response = client.post(editor_url(session), editor_data(1, rows=rows, action="submit"), follow=True)

    document = RecommendationsDocument.objects.get(session=session)
    assert (document.status, document.version) == (Status.SUBMITTED, 3)
    assert list(document.versions.values_list("event", flat=True)) == ["created", "edited", "submitted"]
    text = page_text(response.content)
    assert "submitted to the organizers for review" in text
    assert "Submitted for review" in text
    assert "Open a migrant desk." in text
    assert "<textarea" not in response.content.decode()
    assert "Save draft" not in text


def test_saving_a_submitted_document_is_refused_and_the_text_kept(session, rapporteur):
    client = client_for(rapporteur)
    client.post(editor_url(session), editor_data(1, action="submit"))

    response = client.post(editor_url(session), editor_data(3, introduction="Late change."))

    assert response.status_code == 200
    assert "can no longer be edited" in page_text(response.content)
    assert "Late change.</textarea>" in response.content.decode()
    assert RecommendationsDocument.objects.get(session=session).introduction == "Intro."


def test_organizer_edits_a_submitted_document(session, rapporteur, organizer):
    client_for(rapporteur).post(editor_url(session), editor_data(1, action="submit"))

    response = client_for(organizer).post(editor_url(session), editor_data(3, introduction="Edited by organizer."))

    assert response.status_code == 302
    document = RecommendationsDocument.objects.get(session=session)
    assert (document.status, document.introduction) == (Status.SUBMITTED, "Edited by organizer.")


def test_a_returned_draft_shows_the_organizers_comment_and_the_editor(session, rapporteur, organizer):
    client = client_for(rapporteur)
    client.post(editor_url(session), editor_data(1, action="submit"))
    return_to_draft(
        document=RecommendationsDocument.objects.get(session=session), user=organizer, comment="Add actors."
    )

    response = client.get(editor_url(session))

    assert "Add actors." in page_text(response.content)
    assert "<textarea" in response.content.decode()


def test_a_key_question_of_another_session_is_refused_with_a_message(session, rapporteur):
    foreign = KeyQuestionFactory(session=SessionFactory())

    response = client_for(rapporteur).post(
        editor_url(session), editor_data(1, rows=[row("Smuggled.", key_question=foreign.pk)])
    )

    assert response.status_code == 200
    text = page_text(response.content)
    assert "Your text was not saved: correct the fields marked below." in text
    assert "Select a valid choice." in text
    assert "Smuggled.</textarea>" in response.content.decode()
    document = RecommendationsDocument.objects.get(session=session)
    assert (document.version, document.recommendations.count()) == (1, 0)


def test_an_incomplete_recommendation_is_refused_with_the_error_on_its_field(session, rapporteur):
    response = client_for(rapporteur).post(
        editor_url(session), editor_data(1, introduction="Kept.", rows=[row("", actors="Mayors", level="local")])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-describedby="id_recommendations-0-text_error"' in html
    assert "Kept.</textarea>" in html
    assert RecommendationsDocument.objects.get(session=session).version == 1


def test_the_quito_rapporteur_writes_the_quito_recommendations(quito_session):
    david = UserFactory()
    Person.objects.filter(slug="david-khoudour").update(user=david)
    client = client_for(david)
    question = quito_session.key_questions.order_by("order").first()

    listing = page_text(client.get(MY_SESSIONS_URL).content)
    editor = client.get(editor_url(quito_session))
    response = client.post(
        editor_url(quito_session),
        editor_data(1, rows=[row("Create local migration offices.", key_question=question.pk)]),
    )

    assert quito_session.title in listing
    assert editor.status_code == 200
    assert response.status_code == 302
    document = RecommendationsDocument.objects.get(session=quito_session)
    assert document.recommendations.get().key_question == question


def test_texts_longer_than_the_limits_are_form_errors():
    from sessions_app.workspace_forms import LONG_TEXT, DocumentForm

    form = DocumentForm({"introduction": "x" * (LONG_TEXT + 1), "expected_version": "1"})

    assert not form.is_valid()
    assert "introduction" in form.errors
