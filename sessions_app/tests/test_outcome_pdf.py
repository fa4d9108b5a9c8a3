"""The forum's outcome document: its published recommendations documents in one PDF,
grouped by theme then plenaries, who may download it, and the forum home's link to it."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.urls import reverse

from forum.tests.factories import ForumFactory
from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument, Session
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import (
    RecommendationFactory,
    RecommendationsDocumentFactory,
    SessionFactory,
    ThemeFactory,
    quito_time,
)
from sessions_app.tests.pdf_support import (
    Bookmark,
    page_texts,
    pdf_catalog_and_info,
    pdf_outline,
    pdf_text,
    rendered_pdf,
)

Kind = GeneratedDocument.Kind
Status = RecommendationsDocument.Status
PUBLISHED_AT = datetime(2020, 1, 24, 15, tzinfo=UTC)
# Long enough that a session's recommendations run past one page, so page numbers are tested.
LONG_TEXT = " ".join(["Cities should open local offices that guide migrants towards services."] * 120)


def outcome_url(forum) -> str:
    return reverse("documents:outcome-pdf", kwargs={"forum_slug": forum.slug})


def forum_home_url(forum) -> str:
    return reverse("forum:forum-home", kwargs={"forum_slug": forum.slug})


def publish(document: RecommendationsDocument) -> None:
    """Mark ``document`` published at ``PUBLISHED_AT`` (the workflow is tested in test_recommendations)."""
    document.status, document.published_at, document.version = Status.PUBLISHED, PUBLISHED_AT, document.version + 1
    document.save()


def document_for(session: Session, *, published: bool = True, long: bool = False) -> RecommendationsDocument:
    """A recommendations document of ``session`` with two recommendations naming it (the
    first long if ``long``), published at ``PUBLISHED_AT`` if ``published``."""
    document = RecommendationsDocumentFactory(session=session, conclusions=f"Conclusions of {session.title}.")
    RecommendationFactory(
        document=document, order=1, text=f"First recommendation of {session.title}. {LONG_TEXT if long else ''}"
    )
    RecommendationFactory(
        document=document, order=2, key_question=None, text=f"Last recommendation of {session.title}."
    )
    if published:
        publish(document)
    return document


@dataclass
class OutcomeForum:
    """A forum whose outcome document has two themes and a plenary, and one draft."""

    forum: object
    groups: list[tuple[str, list[str]]]
    """Each group's title and its published sessions' titles, in print order."""
    draft_title: str


def outcome_forum() -> OutcomeForum:
    """A forum with themes "Resilience" (order 2, created first) and "Inclusion" (order 1),
    two published parallel sessions under Inclusion (one long), one under Resilience and
    one draft there, and a published plenary held first."""
    forum = ForumFactory(title="Outcome Forum of Welcoming Cities")
    resilience = ThemeFactory(forum=forum, title="Resilience", order=2)
    inclusion = ThemeFactory(forum=forum, title="Inclusion", order=1)

    def session(title: str, hour: int, theme=None) -> Session:
        kind = Session.Kind.PARALLEL if theme else Session.Kind.PLENARY
        return SessionFactory(forum=forum, title=title, kind=kind, theme=theme, start=quito_time(hour))

    document_for(session("Opening plenary on welcoming cities", 8))
    document_for(session("Resilient housing for newcomers", 10, resilience))
    document_for(session("Schools that welcome every child", 14, inclusion))
    document_for(session("Jobs and skills for migrants", 10, inclusion), long=True)
    document_for(session("Draft session on climate mobility", 14, resilience), published=False)
    return OutcomeForum(
        forum=forum,
        groups=[
            ("Inclusion", ["Jobs and skills for migrants", "Schools that welcome every child"]),
            ("Resilience", ["Resilient housing for newcomers"]),
            ("Plenary sessions", ["Opening plenary on welcoming cities"]),
        ],
        draft_title="Draft session on climate mobility",
    )


@dataclass
class Outcome:
    """The outcome PDF of ``outcome_forum``, rendered once for the module."""

    pdf: bytes
    pages: list[str]
    forum_title: str
    groups: list[tuple[str, list[str]]]
    draft_title: str

    def page_of(self, title: str) -> int:
        """The 1-based number of the first page after the cover and the contents that prints ``title``."""
        return next(number for number, text in enumerate(self.pages[2:], start=3) if title in text)


@pytest.fixture(scope="module")
def outcome(django_db_setup, django_db_blocker) -> Outcome:
    """The outcome PDF of ``outcome_forum``, requested and rendered as the worker does;
    its rows are rolled back once rendered."""
    with django_db_blocker.unblock(), transaction.atomic():
        made = outcome_forum()
        pdf_bytes = rendered(made.forum)
        transaction.set_rollback(True)
    return Outcome(pdf_bytes, page_texts(pdf_bytes), made.forum.title, made.groups, made.draft_title)


def rendered(forum) -> bytes:
    """The outcome PDF of ``forum``, requested then rendered as the worker does."""
    return rendered_pdf(forum=forum, kind=Kind.OUTCOME)


# One worker renders the outcome document once for these tests.
same_worker = pytest.mark.xdist_group("outcome_document")


@pytest.mark.integration
@same_worker
def test_cover_gives_the_forum_and_what_the_document_is(outcome):
    cover = outcome.pages[0]

    for text in (outcome.forum_title, "Cities as first responders", "22 January 2020", "Quito, Ecuador"):
        assert text in cover
    assert "Outcome document" in cover
    assert "Recommendations of the sessions" in cover
    assert "Page" not in cover


@pytest.mark.integration
@same_worker
def test_prints_every_published_session_with_its_recommendations_and_not_the_draft(outcome):
    text = pdf_text(outcome.pdf)

    for _group, titles in outcome.groups:
        for title in titles:
            assert f"First recommendation of {title}." in text
            assert f"Last recommendation of {title}. Level: Local · Actors: Mayors" in text
            assert f"Conclusions of {title}." in text
    assert "General recommendations" in text
    assert "Contributors UNDP, Cities Alliance" in text
    assert "Version 2 · published 24 January 2020" in text
    assert outcome.draft_title not in text


@pytest.mark.integration
@same_worker
def test_themes_print_in_theme_order_then_the_plenaries(outcome):
    body = " ".join(outcome.pages[2:])

    headings = [body.index(f"{title} Version 2") for _group, titles in outcome.groups for title in titles]
    assert headings == sorted(headings)
    groups = [body.index(group) for group, _titles in outcome.groups]
    assert groups == sorted(groups)


@pytest.mark.integration
@same_worker
def test_outline_has_each_group_with_its_sessions(outcome):
    outline = pdf_outline(outcome.pdf)

    assert [bookmark.title for bookmark in outline] == ["Contents", *(group for group, _titles in outcome.groups)]
    assert outline[0].page == 2
    for (_group, titles), bookmark in zip(outcome.groups, outline[1:], strict=True):
        assert [child.title for child in bookmark.children] == titles
        assert bookmark.page == bookmark.children[0].page
        for child in bookmark.children:
            assert child == Bookmark(child.title, outcome.page_of(child.title), [])


@pytest.mark.integration
@same_worker
def test_contents_give_the_page_where_each_group_and_session_starts(outcome):
    contents = outcome.pages[1]

    assert contents.startswith("Contents")
    assert outcome.page_of("Schools that welcome every child") > outcome.page_of("Jobs and skills for migrants") + 1
    for group, titles in outcome.groups:
        group_entry = re.search(re.escape(group) + r" [. ]+(\d+) ", contents)
        assert group_entry is not None, group
        assert int(group_entry[1]) == outcome.page_of(titles[0])
        for title in titles:
            entry = re.search(re.escape(title) + r" [. ]+(\d+)\b", contents)
            assert entry is not None, title
            assert int(entry[1]) == outcome.page_of(title)


@pytest.mark.integration
@same_worker
def test_pages_after_the_cover_have_the_running_header_page_x_of_y_and_metadata(outcome):
    pages = outcome.pages
    _catalog, info = pdf_catalog_and_info(outcome.pdf)

    for number, page in enumerate(pages[1:], start=2):
        assert page.endswith(f"{outcome.forum_title} Page {number} of {len(pages)}")
    assert info["/Title"] == f"{outcome.forum_title} — Outcome document"


@pytest.mark.django_db
def test_outcome_html_lists_only_published_documents_in_a_constant_number_of_queries(django_assert_num_queries):
    made = outcome_forum()
    many = outcome_forum()
    for number in range(5):
        document_for(SessionFactory(forum=many.forum, title=f"Extra session {number}", theme=None))

    for forum in (made.forum, many.forum):
        with django_assert_num_queries(9):  # 7 to load the documents, 1 for the release, 1 for the forum's hosts
            html = pdf.render_outcome_html(
                forum, services._load_content(forum=forum, session_id=None, kind=Kind.OUTCOME)
            )
        assert made.draft_title not in html
    assert "Other parallel sessions" in html
    assert "Extra session 4" in html


@pytest.mark.django_db
def test_a_session_added_after_the_latest_release_is_left_out_until_the_next(monkeypatch):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    made = outcome_forum()
    release_programme(forum=made.forum)
    hidden = SessionFactory(forum=made.forum, title="Session added after the release", theme=None)
    document_for(hidden)

    def printed() -> str:
        return pdf.render_outcome_html(
            made.forum, services._load_content(forum=made.forum, session_id=None, kind=Kind.OUTCOME)
        )

    assert "Session added after the release" not in printed()
    release_programme(forum=made.forum)
    assert "Session added after the release" in printed()


@pytest.mark.django_db
def test_publishing_or_editing_any_document_gives_a_new_document(monkeypatch):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    made = outcome_forum()
    first = services.document_request(forum=made.forum, kind=Kind.OUTCOME)
    assert services.document_request(forum=made.forum, kind=Kind.OUTCOME) == first

    publish(RecommendationsDocument.objects.get(session__title=made.draft_title))
    published = services.document_request(forum=made.forum, kind=Kind.OUTCOME)
    RecommendationFactory(document=RecommendationsDocument.objects.first(), order=9, text="A late recommendation.")
    edited = services.document_request(forum=made.forum, kind=Kind.OUTCOME)

    hashes = {first.content_hash, published.content_hash, edited.content_hash}
    assert len(hashes) == 3
    assert GeneratedDocument.objects.filter(forum=made.forum, kind=Kind.OUTCOME, session=None).count() == 3


@pytest.mark.django_db
def test_a_new_content_renders_a_new_file(django_capture_on_commit_callbacks):
    made = outcome_forum()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.document_request(forum=made.forum, kind=Kind.OUTCOME)
    publish(RecommendationsDocument.objects.get(session__title=made.draft_title))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.document_request(forum=made.forum, kind=Kind.OUTCOME)

    second.refresh_from_db()
    assert second.pk != first.pk
    assert second.status == GeneratedDocument.Status.READY
    assert "-outcome-" in second.file.name
    assert made.draft_title in pdf_text(second.file.read())
    assert not GeneratedDocument.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_anyone_downloads_it(client, django_capture_on_commit_callbacks):
    forum = outcome_forum().forum

    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(outcome_url(forum))
    response = client.get(outcome_url(forum))

    assert first.status_code == 302
    assert first["Location"].startswith(f"{outcome_url(forum)}/status/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''Outcome%20document%20%E2%80%94%20Outcome%20Forum" in response["Content-Disposition"]


@pytest.mark.django_db
def test_status_page_names_the_outcome_document(client, monkeypatch):
    monkeypatch.setattr(services, "_queue_render", lambda document_id: None)
    forum = outcome_forum().forum

    status_page = client.get(client.get(outcome_url(forum))["Location"])

    assert status_page.status_code == 200
    assert f"Outcome document — {forum.title}" in status_page.content.decode()


@pytest.mark.django_db
def test_no_published_document_is_404_and_no_link_on_the_forum_home(client):
    forum = ForumFactory()
    document_for(SessionFactory(forum=forum), published=False)

    assert client.get(outcome_url(forum)).status_code == 404
    assert not GeneratedDocument.objects.exists()
    home = client.get(forum_home_url(forum)).content.decode()
    assert outcome_url(forum) not in home
    assert "Outcome document (PDF)" not in home


@pytest.mark.django_db
def test_forum_home_links_the_outcome_document_once_one_is_published(client):
    forum = ForumFactory()
    document = document_for(SessionFactory(forum=forum), published=False)
    publish(document)

    home = client.get(forum_home_url(forum)).content.decode()

    assert f'href="{outcome_url(forum)}"' in home
    assert "Outcome document (PDF)" in home
