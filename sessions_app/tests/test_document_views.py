"""PDF download URLs and status pages, as a browser sees them."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from forum.tests.factories import ForumFactory, UserFactory
from sessions_app import pdf
from sessions_app.document_views import download_filename
from sessions_app.models import GeneratedDocument
from sessions_app.tasks import document_render_task
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.pdf_support import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = GeneratedDocument.Status


def agenda_url(session) -> str:
    return reverse(
        "documents:session-agenda-pdf", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def programme_url(forum) -> str:
    return reverse("documents:programme-pdf", kwargs={"forum_slug": forum.slug})


def document_url(name: str, document: GeneratedDocument, forum=None) -> str:
    return reverse(f"documents:{name}", kwargs={"forum_slug": (forum or document.forum).slug, "pk": document.pk})


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Ids sent to the render task; the task itself does not run (the PDF stays pending)."""
    sent: list[int] = []
    monkeypatch.setattr(document_render_task, "delay", sent.append)
    return sent


def ready_document(session, *, content: bytes = b"%PDF-1.7 stored") -> GeneratedDocument:
    """A READY agenda document of ``session`` with a stored file, without rendering."""
    document = GeneratedDocument(
        forum=session.forum, session=session, kind=GeneratedDocument.Kind.SESSION_AGENDA, content_hash="f" * 64
    )
    document.file.save("stored.pdf", ContentFile(content), save=False)
    document.status = Status.READY
    document.save()
    return document


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# Pending: redirect to a status page that refreshes itself.


def test_agenda_pdf_redirects_to_the_status_page_while_pending(client, quito_session, queued):
    response = client.get(agenda_url(quito_session))

    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == document_url("document-status", document)
    assert document.status == Status.PENDING


def test_status_page_refreshes_itself_while_pending(client, quito_session, queued):
    status_url = client.get(agenda_url(quito_session))["Location"]

    response = client.get(status_url)

    assert response.status_code == 200
    assert response["Refresh"] == "2"
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Preparing your PDF…" in html
    assert "spinner-border" in html
    assert f"Agenda — {quito_session.title}" in html
    assert "Retry" not in html


def test_status_page_offers_a_retry_when_pending_for_too_long(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    GeneratedDocument.objects.filter(pk=document.pk).update(updated_at=document.updated_at - timedelta(minutes=5))

    html = client.get(document_url("document-status", document)).content.decode()

    assert "Preparing your PDF…" in html
    assert "taking longer than expected" in html
    assert f'action="{document_url("document-retry", document)}"' in html


# Ready: the file, as an attachment.


def test_agenda_pdf_is_rendered_then_downloaded(client, quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(agenda_url(quito_session))
    assert first.status_code == 302
    document = GeneratedDocument.objects.get()
    assert document.status == Status.READY

    status_page = client.get(first["Location"])
    response = client.get(agenda_url(quito_session))

    download_url = document_url("document-download", document)
    assert status_page.status_code == 200
    assert "Refresh" not in status_page
    assert f'<meta http-equiv="refresh" content="0;url={download_url}">' in status_page.content.decode()
    assert f'href="{download_url}"' in status_page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename")
    text = pdf_text(body(response))
    assert quito_session.title in text
    assert "María Fernanda Garcés" in text


def test_programme_pdf_is_rendered_then_downloaded(client, quito_forum, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(programme_url(quito_forum)).status_code == 302

    response = client.get(programme_url(quito_forum))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert unquote(response["Content-Disposition"]).endswith(f"Programme — {quito_forum.title}.pdf")
    assert quito_forum.title in pdf_text(body(response))


def test_document_download_serves_a_ready_document(client, quito_session):
    document = ready_document(quito_session)

    response = client.get(document_url("document-download", document))

    assert response.status_code == 200
    assert body(response) == b"%PDF-1.7 stored"


def test_document_download_redirects_to_the_status_page_until_ready(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()

    response = client.get(document_url("document-download", document))

    assert response.status_code == 302
    assert response["Location"] == document_url("document-status", document)


def test_download_filename_is_safe_for_a_non_ascii_title_with_a_slash(client, db):
    session = SessionFactory(title="María Fernanda Garcés / Quito")
    document = ready_document(session)

    header = client.get(document_url("document-download", document))["Content-Disposition"]

    header.encode("ascii")  # a valid header value: RFC 5987 encoding, no raw UTF-8
    match = re.fullmatch(r"attachment; filename\*=utf-8''(\S+)", header)
    assert match
    filename = unquote(match.group(1))
    assert filename == "Agenda — María Fernanda Garcés - Quito.pdf"
    assert "/" not in filename and "\\" not in filename


@pytest.mark.unit
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Programme — Quito 2020", "Programme — Quito 2020.pdf"),
        ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j.pdf"),
        ("line\nbreak\ttab\x00nul\u202eoverride", "line break tab nul override.pdf"),
        ("../../etc/passwd", "etc-passwd.pdf"),
        ("   ", "document.pdf"),
        ("é" * 300, "é" * 150 + ".pdf"),
    ],
)
def test_download_filename_strips_separators_and_control_characters(title, expected):
    assert download_filename(title) == expected


# Rebuild after an edit; no new work while unchanged.


def test_agenda_pdf_is_rebuilt_after_an_edit(client, quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(agenda_url(quito_session))
    old = GeneratedDocument.objects.get()
    assert client.get(agenda_url(quito_session)).status_code == 200
    quito_session.key_questions.filter(order=2).update(text="What are the implications for street population?")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(agenda_url(quito_session))

    new = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert new.pk != old.pk
    assert new.status == Status.READY
    assert not old.file.storage.exists(old.file.name)
    assert "implications for street population?" in pdf_text(body(client.get(agenda_url(quito_session))))


def test_agenda_pdf_unchanged_is_served_again_without_queueing(
    client, quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(agenda_url(quito_session))
    first = body(client.get(agenda_url(quito_session)))
    calls = []
    monkeypatch.setattr(document_render_task, "delay", lambda *args: calls.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(agenda_url(quito_session))

    assert response.status_code == 200
    assert body(response) == first
    assert GeneratedDocument.objects.count() == 1
    assert calls == []


# Failure and retry.


def test_failed_render_shows_the_failure_and_a_retry_that_works(
    client, quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("cairo exploded")))
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.get(agenda_url(quito_session))["Location"]
    document = GeneratedDocument.objects.get()
    assert document.status == Status.FAILED

    failed_page = client.get(status_url)

    html = failed_page.content.decode()
    assert failed_page.status_code == 200
    assert "Refresh" not in failed_page
    assert "the PDF could not be rendered" in html
    assert "cairo exploded" not in html  # internals are for staff only
    retry_url = document_url("document-retry", document)
    assert re.search(rf'<form method="post" action="{re.escape(retry_url)}"', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert ">Retry</button>" in html

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(retry_url)

    assert retried.status_code == 302
    assert retried["Location"] == status_url
    document.refresh_from_db()
    assert document.status == Status.READY
    assert client.get(agenda_url(quito_session)).status_code == 200


def test_failed_status_page_shows_the_error_to_staff(client, quito_session, monkeypatch, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    GeneratedDocument.objects.filter(pk=document.pk).update(status=Status.FAILED, error="OSError: no font")
    client.force_login(UserFactory(is_staff=True))

    assert "OSError: no font" in client.get(document_url("document-status", document)).content.decode()


def test_retry_accepts_only_post(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()

    assert client.get(document_url("document-retry", document)).status_code == 405


# Not found.


def test_unknown_or_unpublished_forum_and_unknown_session_are_404(client, quito_session, queued):
    unpublished = SessionFactory(forum=ForumFactory(is_published=False))
    other_forum_session = SessionFactory()

    assert client.get(programme_url(ForumFactory.build(slug="nowhere"))).status_code == 404
    assert client.get(programme_url(unpublished.forum)).status_code == 404
    assert client.get(agenda_url(unpublished)).status_code == 404
    unknown = reverse(
        "documents:session-agenda-pdf", kwargs={"forum_slug": quito_session.forum.slug, "session_slug": "nothing"}
    )
    assert client.get(unknown).status_code == 404
    wrong_forum = reverse(
        "documents:session-agenda-pdf",
        kwargs={"forum_slug": quito_session.forum.slug, "session_slug": other_forum_session.slug},
    )
    assert client.get(wrong_forum).status_code == 404
    assert GeneratedDocument.objects.count() == 0


@pytest.mark.parametrize("name", ["document-status", "document-download", "document-retry"])
def test_document_pages_are_404_for_a_wrong_pk_or_another_forum(client, quito_session, name):
    document = ready_document(quito_session)
    other_forum = ForumFactory()
    method = client.post if name == "document-retry" else client.get

    assert method(document_url(name, document, forum=other_forum)).status_code == 404
    missing = reverse(f"documents:{name}", kwargs={"forum_slug": quito_session.forum.slug, "pk": document.pk + 1})
    assert method(missing).status_code == 404
