"""The recommendations document: who may write it, saving drafts, conflicts, workflow, history."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import IntegrityError
from django.utils import timezone

from forum.tests.factories import PersonFactory, UserFactory
from sessions_app.models import SpeakerRole
from sessions_app.recommendation_services import (
    RecommendationsError,
    can_edit,
    document_for,
    is_rapporteur,
    publish,
    rapporteur_sessions,
    return_to_draft,
    save_draft,
    submit,
    version_diff,
)
from sessions_app.recommendations import Recommendation, RecommendationsDocument, RecommendationsVersion
from sessions_app.tests.factories import (
    AgendaItemFactory,
    KeyQuestionFactory,
    RecommendationFactory,
    RecommendationsDocumentFactory,
    SessionFactory,
    SpeakerRoleFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Role = SpeakerRole.Role
Status = RecommendationsDocument.Status


def rapporteur_of(session, role=Role.RAPPORTEUR):
    """A new user linked to a person holding ``role`` on an agenda item of ``session``."""
    user = UserFactory()
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session), role=role, person=PersonFactory(user=user))
    return user


@pytest.fixture
def session():
    return SessionFactory()


@pytest.fixture
def rapporteur(session):
    return rapporteur_of(session)


@pytest.fixture
def organizer():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_recommendationsdocument"))
    return user


@pytest.fixture
def document(session):
    return document_for(session)


def draft(document, user, *, version=None, introduction="Intro.", recommendations=()):
    return save_draft(
        document=document,
        user=user,
        expected_version=document.version if version is None else version,
        introduction=introduction,
        conclusions="Conclusions.",
        contributors="UNDP",
        recommendations=list(recommendations),
    )


def refusal(call) -> RecommendationsError:
    with pytest.raises(RecommendationsError) as caught:
        call()
    return caught.value


# Who is a rapporteur


def test_rapporteur_sessions_holds_rapporteur_and_rapporteurship_not_speakers_or_other_sessions(session):
    rapporteur = rapporteur_of(session, Role.RAPPORTEUR)
    rapporteurship = rapporteur_of(session, Role.RAPPORTEURSHIP)
    speaker = rapporteur_of(session, Role.SPEAKER)
    other_session = SessionFactory()
    elsewhere = rapporteur_of(other_session)

    assert list(rapporteur_sessions(rapporteur)) == [session]
    assert list(rapporteur_sessions(rapporteurship)) == [session]
    assert list(rapporteur_sessions(speaker)) == []
    assert list(rapporteur_sessions(elsewhere)) == [other_session]
    assert not is_rapporteur(elsewhere, session)
    assert not is_rapporteur(AnonymousUser(), session)


def test_rapporteur_sessions_lists_a_session_once_for_two_rapporteur_roles(session):
    user = rapporteur_of(session)
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session), role=Role.RAPPORTEURSHIP, person=user.person)

    assert list(rapporteur_sessions(user)) == [session]


def test_rapporteur_sessions_of_the_quito_seed(quito_session):
    """The Quito agenda names David Khoudour rapporteur and Ana Ruiz Nieves rapporteurship."""
    from forum.models import Person

    david, ana = UserFactory(), UserFactory()
    Person.objects.filter(slug="david-khoudour").update(user=david)
    Person.objects.filter(slug="ana-ruiz-nieves").update(user=ana)
    speaker = UserFactory()
    Person.objects.filter(slug="claudia-pizarro").update(user=speaker)

    assert list(rapporteur_sessions(david)) == [quito_session]
    assert list(rapporteur_sessions(ana)) == [quito_session]
    assert list(rapporteur_sessions(speaker)) == []


def test_can_edit_matrix(session, rapporteur, organizer, document):
    stranger = rapporteur_of(SessionFactory())
    staff_without_permission = UserFactory(is_staff=True)

    assert can_edit(rapporteur, document)
    assert can_edit(organizer, document)
    assert not can_edit(stranger, document)
    assert not can_edit(staff_without_permission, document)
    document.status = Status.SUBMITTED
    assert not can_edit(rapporteur, document)
    assert can_edit(organizer, document)


# Creating and saving


def test_document_for_creates_version_one_once(session):
    document = document_for(session)

    assert document_for(session) == document
    assert document.version == 1
    assert document.status == Status.DRAFT
    assert list(document.versions.values_list("number", "event")) == [(1, "created")]


def test_save_draft_stores_rows_in_order_bumps_version_and_records_who_and_what(session, rapporteur, document):
    first, second = KeyQuestionFactory(session=session, order=1), KeyQuestionFactory(session=session, order=2)
    rows = [
        {"key_question": second, "text": "Fund city shelters.", "level": "national", "actors": "Ministries"},
        {"key_question": first, "text": "Open a migrant desk.", "level": "local", "actors": "Mayors"},
        {"key_question": None, "text": "Share data.", "level": "global", "actors": ""},
    ]

    saved = draft(document, rapporteur, recommendations=rows)

    assert saved.version == 2
    assert saved.updated_by == rapporteur
    stored = list(saved.recommendations.order_by("order").values_list("order", "key_question", "text", "level"))
    assert stored == [
        (1, second.pk, "Fund city shelters.", "national"),
        (2, first.pk, "Open a migrant desk.", "local"),
        (3, None, "Share data.", "global"),
    ]
    version = saved.versions.get(number=2)
    assert (version.event, version.created_by) == ("edited", rapporteur)
    assert version.snapshot["introduction"] == "Intro."
    assert version.snapshot["recommendations"][0] == {
        "key_question": f"2. {second.text}",
        "order": 1,
        "text": "Fund city shelters.",
        "level": "national",
        "actors": "Ministries",
    }


def test_save_draft_reorders_and_removes_recommendations(session, rapporteur, document):
    question = KeyQuestionFactory(session=session)
    row = {"key_question": question, "level": "local", "actors": ""}
    document = draft(document, rapporteur, recommendations=[{**row, "text": t} for t in ("A.", "B.", "C.")])

    document = draft(document, rapporteur, recommendations=[{**row, "text": t} for t in ("C.", "A.")])

    assert list(document.recommendations.order_by("order").values_list("text", flat=True)) == ["C.", "A."]
    assert document.version == 3


def test_save_draft_without_changes_writes_nothing(rapporteur, document):
    document = draft(document, rapporteur)

    again = draft(document, rapporteur)

    assert again.version == 2
    assert document.versions.count() == 2


def test_second_save_from_the_same_version_is_refused_and_the_first_text_kept(session, document):
    alice, bob = rapporteur_of(session), rapporteur_of(session, Role.RAPPORTEURSHIP)
    opened = document.version

    draft(document, alice, version=opened, introduction="Alice's introduction.")
    error = refusal(lambda: draft(document, bob, version=opened, introduction="Bob's introduction."))

    assert error.code == "conflict"
    assert error.message == (
        "Someone else saved this document since you opened it (version 2). "
        "Your text was not saved: copy it, reload the page and merge."
    )
    document.refresh_from_db()
    assert document.introduction == "Alice's introduction."
    assert document.version == 2
    assert document.versions.count() == 2


def test_save_draft_refuses_a_user_who_is_not_rapporteur_of_the_session(session, document):
    stranger = rapporteur_of(SessionFactory())
    speaker = rapporteur_of(session, Role.SPEAKER)

    assert refusal(lambda: draft(document, stranger)).code == "not_rapporteur"
    assert refusal(lambda: draft(document, speaker)).code == "not_rapporteur"
    assert RecommendationsDocument.objects.get(pk=document.pk).version == 1


def test_save_draft_refuses_a_rapporteur_once_submitted_but_not_an_organizer(rapporteur, organizer, document):
    document = submit(document=document, user=rapporteur, expected_version=document.version)

    error = refusal(lambda: draft(document, rapporteur, introduction="Late change."))
    fixed = draft(document, organizer, introduction="Typo fixed by the organizers.")

    assert error.code == "not_draft"
    assert (fixed.status, fixed.introduction) == (Status.SUBMITTED, "Typo fixed by the organizers.")


def test_save_draft_refuses_a_key_question_of_another_session(rapporteur, document):
    foreign = KeyQuestionFactory()
    rows = [{"key_question": foreign, "text": "X.", "level": "local", "actors": ""}]

    error = refusal(lambda: draft(document, rapporteur, recommendations=rows))

    assert error.code == "wrong_question"
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"text": " ", "level": "local"}, "text"),
        ({"text": "X.", "level": "planetary"}, "level"),
        ({"text": "X.", "level": "local", "actors": "x" * 256}, "actors"),
    ],
)
def test_save_draft_refuses_an_invalid_recommendation_with_its_number(rapporteur, document, row, field):
    rows = [{"text": "Fine.", "level": "local"}, row]

    error = refusal(lambda: draft(document, rapporteur, recommendations=rows))

    assert error.code == "invalid"
    assert error.message.startswith("Recommendation 2 is not valid")
    assert field in error.message


def test_recommendation_clean_refuses_a_question_of_another_session():
    recommendation = RecommendationFactory.build(
        document=RecommendationsDocumentFactory(), key_question=KeyQuestionFactory(), order=1
    )

    with pytest.raises(Exception, match="another session"):
        recommendation.full_clean()


# Workflow


def test_workflow_draft_submitted_returned_submitted_published_keeps_every_step(rapporteur, organizer, document):
    document = draft(document, rapporteur)
    document = submit(document=document, user=rapporteur, expected_version=document.version)
    document = return_to_draft(document=document, user=organizer, comment="  Add the actors.  ")

    assert (document.status, document.return_comment) == (Status.DRAFT, "Add the actors.")

    document = submit(document=document, user=rapporteur, expected_version=document.version)
    document = publish(document=document, user=organizer)

    document.refresh_from_db()
    assert document.status == Status.PUBLISHED
    assert document.published_at is not None
    assert document.return_comment == ""
    assert document.version == 6
    history = list(document.versions.values_list("number", "event", "created_by", "comment"))
    assert history == [
        (1, "created", None, ""),
        (2, "edited", rapporteur.pk, ""),
        (3, "submitted", rapporteur.pk, ""),
        (4, "returned", organizer.pk, "Add the actors."),
        (5, "submitted", rapporteur.pk, ""),
        (6, "published", organizer.pk, ""),
    ]
    assert document.versions.get(number=6).snapshot["status"] == "published"


def test_submit_refuses_a_stale_version_and_a_submitted_document(rapporteur, document):
    document = draft(document, rapporteur)

    assert refusal(lambda: submit(document=document, user=rapporteur, expected_version=1)).code == "conflict"
    submit(document=document, user=rapporteur, expected_version=2)
    assert refusal(lambda: submit(document=document, user=rapporteur, expected_version=3)).code == "not_draft"


def test_submit_refuses_someone_who_is_not_rapporteur(document):
    stranger = rapporteur_of(SessionFactory())

    assert refusal(lambda: submit(document=document, user=stranger, expected_version=1)).code == "not_rapporteur"


def test_return_to_draft_needs_an_organizer_a_comment_and_a_submitted_document(rapporteur, organizer, document):
    assert refusal(lambda: return_to_draft(document=document, user=organizer, comment="Why")).code == ("not_submitted")
    document = submit(document=document, user=rapporteur, expected_version=1)

    assert refusal(lambda: return_to_draft(document=document, user=rapporteur, comment="Why")).code == ("not_organizer")
    assert refusal(lambda: return_to_draft(document=document, user=organizer, comment="  ")).code == "no_comment"
    assert RecommendationsDocument.objects.get(pk=document.pk).status == Status.SUBMITTED


def test_publish_needs_an_organizer_and_a_submitted_document(rapporteur, organizer, document):
    assert refusal(lambda: publish(document=document, user=organizer)).code == "not_submitted"
    document = submit(document=document, user=rapporteur, expected_version=1)

    assert refusal(lambda: publish(document=document, user=rapporteur)).code == "not_organizer"
    assert refusal(lambda: publish(document=document, user=UserFactory(is_staff=True))).code == "not_organizer"


def test_published_document_needs_a_publication_date(document):
    document.status = Status.PUBLISHED

    with pytest.raises(IntegrityError):
        document.save()


def test_publication_date_only_on_a_published_document(document):
    document.published_at = timezone.now()

    with pytest.raises(IntegrityError):
        document.save()


# Differences


def test_version_diff_shows_an_edited_recommendation_as_old_and_new_lines(session, rapporteur, document):
    question = KeyQuestionFactory(session=session, order=1, text="Which partnerships?")
    row = {"key_question": question, "level": "local", "actors": "Mayors"}
    document = draft(document, rapporteur, recommendations=[{**row, "text": "Open desks."}])
    document = draft(document, rapporteur, recommendations=[{**row, "text": "Open desks in every district."}])
    older, newer = RecommendationsVersion.objects.filter(document=document, number__in=[2, 3]).order_by("number")

    lines = version_diff(older, newer)

    assert lines[:2] == ["--- version 2", "+++ version 3"]
    assert "-    1. [Local] Open desks. — Mayors" in lines
    assert "+    1. [Local] Open desks in every district. — Mayors" in lines
    assert "   1. Which partnerships?" in lines
    assert not any(line.startswith(("-Introduction", "+Introduction")) for line in lines)


def test_version_diff_of_identical_versions_is_empty(document):
    version = document.versions.get()

    assert version_diff(version, version) == []
