"""Cheap revalidation and repeat downloads: ETag and Last-Modified on PDFs, calendar
feeds and schedule exports, 304 to a matching conditional GET, and a second download of
an unchanged PDF that neither prints nor re-reads the programme."""

import gzip

import pytest
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date

from forum.tests.factories import ForumFactory, RoomFactory, UserFactory
from registration.calendar import calendar_token_of, new_calendar_token
from registration.tests.factories import RegistrationFactory, SessionSignupFactory
from sessions_app import services
from sessions_app.models import GeneratedDocument, Session
from sessions_app.tasks import document_render_task
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory
from sessions_app.tests.pdf_support import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = GeneratedDocument.Status
# Queries of a repeated download once the ready document is known (forum.caching):
PROGRAMME_REPEAT_QUERIES = 2  # the forum, the document
AGENDA_REPEAT_QUERIES = 4  # the forum, the session, the latest release, the document
PERSONAL_FEED_304_QUERIES = 1  # the registration of the key


@pytest.fixture
def session(db) -> Session:
    """A parallel session of a published forum, with one agenda item."""
    forum = ForumFactory(title="Forum of Welcoming Cities")
    session = SessionFactory(forum=forum, title="Cities and migration", room=RoomFactory(forum=forum))
    AgendaItemFactory(session=session, order=1, title="Opening")
    return session


def pdf_url(session: Session, kind: str, language: str = "en") -> str:
    if kind == "programme":
        url = reverse("documents:programme-pdf", kwargs={"forum_slug": session.forum.slug})
    else:
        url = reverse(
            "documents:session-agenda-pdf", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
        )
    return url.replace("/en/", f"/{language}/", 1)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def downloaded(client: Client, url: str, capture) -> tuple:
    """GET ``url`` until its PDF is ready (the first GET queues it; eager Celery renders
    it on commit) and return the 200 response and its bytes."""
    with capture(execute=True):
        first = client.get(url)
    assert first.status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    return response, body(response)


@pytest.fixture
def html_renders(monkeypatch) -> list[str]:
    """Kinds of the documents whose HTML ``services`` renders from now on (they still render)."""
    calls: list[str] = []
    render = services._render_html

    def counting(forum, kind, content):
        calls.append(kind)
        return render(forum, kind, content)

    monkeypatch.setattr(services, "_render_html", counting)
    return calls


# PDFs


@pytest.mark.parametrize("kind", ["programme", "agenda"])
def test_ready_pdf_carries_etag_last_modified_and_no_cache(client, session, kind, django_capture_on_commit_callbacks):
    response, pdf = downloaded(client, pdf_url(session, kind), django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()

    assert "Cities and migration" in pdf_text(pdf)
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert not response["ETag"].startswith("W/")
    assert response["Last-Modified"] == http_date_of(document)
    assert "no-cache" in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]


def test_a_pdf_is_sent_uncompressed_to_a_browser_that_accepts_gzip(client, session, django_capture_on_commit_callbacks):
    """PDFs are compressed already: gzip would cost every download and save nothing."""
    downloaded(client, pdf_url(session, "programme"), django_capture_on_commit_callbacks)

    response = client.get(pdf_url(session, "programme"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert body(response).startswith(b"%PDF-")


def http_date_of(document: GeneratedDocument) -> str:
    return http_date(document.updated_at.timestamp())


@pytest.mark.parametrize("header", ["If-None-Match", "If-Modified-Since"])
def test_conditional_pdf_get_answers_304_without_opening_the_file(
    client, session, header, monkeypatch, django_capture_on_commit_callbacks
):
    url = pdf_url(session, "agenda")
    response, _pdf = downloaded(client, url, django_capture_on_commit_callbacks)
    validator = response["ETag"] if header == "If-None-Match" else response["Last-Modified"]

    def refuse(*args, **kwargs):
        raise AssertionError("The file was opened for a 304.")

    monkeypatch.setattr(FieldFile, "open", refuse)
    not_modified = client.get(url, headers={header: validator})

    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == response["ETag"]


@pytest.mark.parametrize(
    ("kind", "queries"), [("programme", PROGRAMME_REPEAT_QUERIES), ("agenda", AGENDA_REPEAT_QUERIES)]
)
def test_repeat_download_of_an_unchanged_pdf_renders_no_html(
    client, session, kind, queries, html_renders, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = pdf_url(session, kind)
    _response, first = downloaded(client, url, django_capture_on_commit_callbacks)
    html_renders.clear()

    with django_assert_num_queries(queries):
        again = client.get(url)

    assert again.status_code == 200
    assert body(again) == first
    assert html_renders == []


def test_after_a_change_the_pdf_url_prints_the_new_content_with_a_new_etag(
    client, session, django_capture_on_commit_callbacks
):
    url = pdf_url(session, "agenda")
    before, _pdf = downloaded(client, url, django_capture_on_commit_callbacks)

    session.title = "Cities that welcome"
    session.save()
    after, pdf = downloaded(client, url, django_capture_on_commit_callbacks)

    assert "Cities that welcome" in pdf_text(pdf)
    assert after["ETag"] != before["ETag"]
    assert client.get(url, headers={"If-None-Match": before["ETag"]}).status_code == 200


def test_english_and_spanish_pdfs_are_looked_up_apart(
    client, session, html_renders, django_capture_on_commit_callbacks
):
    english, _pdf = downloaded(client, pdf_url(session, "programme"), django_capture_on_commit_callbacks)

    spanish, _pdf = downloaded(client, pdf_url(session, "programme", "es"), django_capture_on_commit_callbacks)

    assert spanish["ETag"] != english["ETag"]
    assert sorted(GeneratedDocument.objects.values_list("language", flat=True)) == ["en", "es"]


def test_with_public_cache_seconds_0_a_repeat_download_finds_its_document_by_rendering_html(
    client, session, settings, html_renders, django_capture_on_commit_callbacks
):
    settings.PUBLIC_CACHE_SECONDS = 0
    url = pdf_url(session, "programme")
    _response, first = downloaded(client, url, django_capture_on_commit_callbacks)
    html_renders.clear()

    again = client.get(url)

    assert body(again) == first
    assert html_renders == [GeneratedDocument.Kind.PROGRAMME]


def test_a_known_document_whose_file_is_gone_is_rendered_again(client, session, django_capture_on_commit_callbacks):
    url = pdf_url(session, "agenda")
    downloaded(client, url, django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()
    document.file.storage.delete(document.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)

    assert response.status_code == 302
    assert GeneratedDocument.objects.get().status == Status.READY
    assert "Cities and migration" in pdf_text(body(client.get(url)))


def test_a_signed_in_visitors_pdf_is_private(client, session, django_capture_on_commit_callbacks):
    url = pdf_url(session, "programme")
    downloaded(client, url, django_capture_on_commit_callbacks)
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_status_page_is_never_cached(client, session, monkeypatch):
    monkeypatch.setattr(document_render_task, "delay", lambda document_id: None)
    url = pdf_url(session, "programme")
    status_url = client.get(url)["Location"]

    first = client.get(status_url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(status_url)

    assert first.status_code == second.status_code == 200
    assert "no-store" in second["Cache-Control"]
    assert len(queries) > 0


# Calendar feeds and schedule exports


EXPORTS = {
    "programme.ics": lambda s: reverse("calendars:programme-ics", kwargs={"forum_slug": s.forum.slug}),
    "session .ics": lambda s: reverse(
        "calendars:session-ics", kwargs={"forum_slug": s.forum.slug, "session_slug": s.slug}
    ),
    "schedule.xml": lambda s: reverse("schedule:schedule-xml", kwargs={"forum_slug": s.forum.slug}),
    "schedule.json": lambda s: reverse("schedule:schedule-json", kwargs={"forum_slug": s.forum.slug}),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_export_revalidates_with_304_until_the_programme_changes(client, session, export):
    url = EXPORTS[export](session)
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"] and first["Last-Modified"]

    by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})

    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")

    session.title = "Cities that welcome"
    session.save()
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert changed.status_code == 200
    assert "Cities that welcome" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


@pytest.mark.parametrize("export", EXPORTS)
def test_export_is_compressed_for_a_browser_that_accepts_gzip(client, session, export):
    url = EXPORTS[export](session)
    plain = client.get(url)

    fresh = client.get(url + "?fresh", HTTP_ACCEPT_ENCODING="gzip")
    cached = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    for response in (fresh, cached):
        assert response["Content-Encoding"] == "gzip"
        assert "Cities and migration" in gzip.decompress(response.content).decode()
    assert gzip.decompress(cached.content) == plain.content


@pytest.fixture
def feed(session):
    """A participant signed up for ``session``, and the URL of their personal feed."""
    registration = RegistrationFactory(forum=session.forum)
    SessionSignupFactory(registration=registration, session=session)
    url = reverse("calendars:personal-ics", kwargs={"token": calendar_token_of(registration)})
    return registration, url


def test_personal_feed_revalidates_with_304_after_one_query(client, session, feed, django_assert_num_queries):
    _registration, url = feed
    first = client.get(url)
    assert first.status_code == 200
    assert "Cities and migration" in first.content.decode()
    assert "private" in first["Cache-Control"]
    assert first["Last-Modified"]

    with django_assert_num_queries(PERSONAL_FEED_304_QUERIES):
        by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})

    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_date.status_code == 304


def test_personal_feed_is_sent_again_when_the_participants_sessions_change(client, session, feed):
    registration, url = feed
    first = client.get(url)
    other = SessionFactory(forum=session.forum, title="Housing first", start=session.end)

    SessionSignupFactory(registration=registration, session=other)
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert changed.status_code == 200
    assert "Housing first" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_a_revoked_personal_feed_answers_404_even_to_a_conditional_get(client, feed):
    registration, url = feed
    first = client.get(url)

    new_calendar_token(registration)

    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 404


def test_personal_feed_is_sent_whole_when_the_cache_fails(client, feed):
    """Without a generation (Redis unreachable) the feed still answers, whole."""
    _registration, url = feed
    unreachable = {"default": {"BACKEND": "forum.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}

    with override_settings(CACHES=unreachable):
        response = client.get(url)

    assert response.status_code == 200
    assert "Cities and migration" in response.content.decode()
    assert "private" in response["Cache-Control"]
