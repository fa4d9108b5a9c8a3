"""PDF download URLs and status pages, as a browser sees them."""

import importlib
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from forum import urls as root_urls
from forum.tests.factories import ForumFactory, UserFactory
from sessions_app import pdf, services
from sessions_app.document_views import ascii_filename, download_filename
from sessions_app.models import GeneratedDocument, Session
from sessions_app.tasks import document_render_task
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.pdf_support import pdf_text
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Status = GeneratedDocument.Status


def agenda_url(session) -> str:
    return reverse(
        "documents:session-agenda-pdf", kwargs={"forum_slug": session.forum.slug, "session_slug": session.slug}
    )


def programme_url(forum) -> str:
    return reverse("documents:programme-pdf", kwargs={"forum_slug": forum.slug})


def status_page(pk: int, forum_slug: str, session_slug: str | None = None) -> str:
    """Document ``pk``'s status page under session ``session_slug``'s agenda.pdf, or else the programme.pdf."""
    kwargs = {"forum_slug": forum_slug, "pk": pk} | ({"session_slug": session_slug} if session_slug else {})
    return reverse("documents:document-status", kwargs=kwargs)


def status_url(document: GeneratedDocument) -> str:
    """The status page of ``document``, under its subject's URL."""
    return status_page(document.pk, document.forum.slug, document.session.slug if document.session else None)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Ids sent to the render task; the task itself does not run (the PDF stays queued)."""
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


def refresh_target(response, url: str) -> str:
    """Where a browser showing ``response`` (served at ``url``) goes when its meta refresh fires."""
    match = re.search(r'<meta http-equiv="refresh" content="\d+(?:;url=([^"]+))?">', response.content.decode())
    assert match, "the page does not refresh itself"
    return match.group(1) or url


def refresh_attributes(response) -> dict[str, str]:
    """The ``data-`` attributes of ``#document-status``, which tell static/js/live-update.js
    how to keep the page up to date: ``data-refresh-seconds``, ``data-refreshing``…"""
    match = re.search(r'<div id="document-status"([^>]*)>', response.content.decode())
    assert match, "no #document-status on the page"
    return dict(re.findall(r'\s(data-[a-z-]+)="([^"]*)"', match.group(1)))


def live_region(response) -> str:
    """The text of the page's live region (``#document-status-region``, ``role="status"``),
    which the script updates in place; the text after it is not announced."""
    match = re.search(
        r'<div id="document-status-region" data-refresh-part role="status" aria-live="polite">(.*?)'
        r'<div id="document-status-details"',
        response.content.decode(),
        re.S,
    )
    assert match, "no live region on the page"
    return page_text(match.group(1))


def without_noscript(html: str) -> str:
    """``html`` without its ``<noscript>`` elements: what a browser with script parses as markup."""
    return re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)


def filename_parameters(header: str) -> tuple[str, str]:
    """The ``filename`` and decoded ``filename*`` of a Content-Disposition ``attachment`` header."""
    match = re.fullmatch(r'attachment; filename="([ -~]+)"; filename\*=UTF-8\'\'(\S+)', header)
    assert match, header
    return match.group(1), unquote(match.group(2), errors="strict")


# Queued or rendering: redirect to a status page that refreshes itself.


def test_agenda_pdf_redirects_to_the_status_page_while_queued(client, quito_session, queued):
    response = client.get(agenda_url(quito_session))

    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == status_url(document)
    assert response["Location"] == f"{agenda_url(quito_session)}/status/{document.pk}/"
    assert document.status == Status.QUEUED


def test_status_page_refreshes_itself_while_queued(client, quito_session, queued):
    status_url = client.get(agenda_url(quito_session))["Location"]

    response = client.get(status_url)

    assert response.status_code == 200
    assert "Refresh" not in response.headers, "a Refresh header reloads the page even with script"
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    noscript = f'<noscript><meta http-equiv="refresh" content="2;url={agenda_url(quito_session)}"></noscript>'
    assert noscript in html.split("</head>")[0], "without script the page reloads itself"
    assert 'http-equiv="refresh"' not in without_noscript(html), "with script the page is not reloaded"
    assert refresh_attributes(response) == {
        "data-refresh-seconds": "2",
        "data-refreshing": "true",
        "data-follow-url": agenda_url(quito_session),
    }
    assert re.search(r'<script src="/static/js/live-update\.js[^"]*" defer></script>', html)
    assert live_region(response) == "Queued — waiting for a worker"
    assert "progress-bar-striped" in html
    assert "Rendering…" not in html
    assert f"Agenda — {quito_session.title}" in html
    assert "Retry" not in html


def test_status_page_says_since_when_the_document_is_rendering(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.RENDERING, render_started_at=timezone.now() - timedelta(seconds=42)
    )

    response = client.get(status_url(document))

    html = response.content.decode()
    assert "Refresh" not in response.headers
    assert live_region(response) == "Rendering…"
    assert re.search(r"Started 4[23] seconds ago\.", page_text(html))
    assert 'aria-label="Step 2 of 2: rendering"' in html
    assert "Queued" not in html
    assert "Retry" not in html


# What static/js/live-update.js reads each time it fetches the status page again.


QUEUED_TEXT = "Queued — waiting for a worker"
FAILED_TEXT = "Sorry, the PDF could not be rendered. You can try again."
READY_TEXT = "Your PDF is ready. The download starts by itself. Download the PDF"


@pytest.mark.parametrize(
    "status, waited_seconds, region, refreshing, retry",
    [
        (Status.QUEUED, 0, QUEUED_TEXT, "true", False),
        (Status.QUEUED, 300, QUEUED_TEXT, "false", True),
        (Status.RENDERING, 0, "Rendering…", "true", False),
        (Status.FAILED, 0, FAILED_TEXT, "false", True),
        (Status.READY, 0, READY_TEXT, "false", False),
    ],
    ids=["queued", "queued-too-long", "rendering", "failed", "ready"],
)
def test_each_fetch_of_the_status_page_says_where_the_document_stands(
    client, quito_session, queued, status, waited_seconds, region, refreshing, retry
):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    since = timezone.now() - timedelta(seconds=waited_seconds)
    GeneratedDocument.objects.filter(pk=document.pk).update(status=status, updated_at=since, render_started_at=since)

    response = client.get(status_url(document))

    html = response.content.decode()
    attributes = refresh_attributes(response)
    assert live_region(response) == region
    assert attributes["data-refreshing"] == refreshing
    assert attributes["data-follow-url"] == agenda_url(quito_session)
    ready = status == Status.READY
    assert attributes.get("data-navigate-url") == (agenda_url(quito_session) if ready else None)
    assert (">Retry</button>" in html) == retry
    # Only the zero-delay refresh of a ready PDF (its download) works with script too.
    assert ('http-equiv="refresh"' in without_noscript(html)) == ready


def test_the_live_region_says_the_same_while_the_render_goes_on(client, quito_session, queued):
    """Two fetches 10 s apart: only the seconds, outside the live region, change, so the
    script leaves the region alone and screen readers announce nothing new."""
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    pages = []
    for seconds in (5, 15):
        started = timezone.now() - timedelta(seconds=seconds)
        GeneratedDocument.objects.filter(pk=document.pk).update(status=Status.RENDERING, render_started_at=started)
        pages.append(client.get(status_url(document)))

    assert live_region(pages[0]) == live_region(pages[1]) == "Rendering…"
    assert re.search(r"Started [56] seconds ago\.", page_text(pages[0].content))
    assert re.search(r"Started 1[56] seconds ago\.", page_text(pages[1].content))


def test_status_page_offers_a_retry_of_a_stuck_render(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    started = timezone.now() - timedelta(seconds=services.STALE_RENDER_SECONDS + 60)
    GeneratedDocument.objects.filter(pk=document.pk).update(status=Status.RENDERING, render_started_at=started)

    html = client.get(status_url(document)).content.decode()

    assert "Rendering…" in html
    assert "taking longer than expected" in html
    assert f'<form method="post" action="{agenda_url(quito_session)}"' in html


def test_status_page_offers_a_retry_when_queued_for_too_long(client, quito_session, queued):
    client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    GeneratedDocument.objects.filter(pk=document.pk).update(updated_at=document.updated_at - timedelta(minutes=5))

    response = client.get(status_url(document))
    html = response.content.decode()

    assert "Queued — waiting for a worker" in html
    assert "taking longer than expected" in html
    assert f'<form method="post" action="{agenda_url(quito_session)}"' in html
    assert "Refresh" not in response.headers and 'http-equiv="refresh"' not in html, "the button must stay put"
    assert refresh_attributes(response)["data-refreshing"] == "false"


def test_status_page_leads_to_the_current_pdf_after_its_document_is_superseded(client, quito_session, queued):
    """The worker is stopped while visitor A waits on document 1 and the organizer edits the session."""
    url_a = client.get(agenda_url(quito_session))["Location"]
    first = GeneratedDocument.objects.get()
    quito_session.key_questions.filter(order=1).update(text="What changed while the worker was stopped?")
    url_b = client.get(agenda_url(quito_session))["Location"]
    current = GeneratedDocument.objects.exclude(pk=first.pk).get()
    page_a = client.get(url_a)

    services.document_render(document_id=first.pk)  # the worker restarts: document 1 is superseded
    assert not GeneratedDocument.objects.filter(pk=first.pk).exists()
    refreshed = client.get(refresh_target(page_a, url_a))
    assert refreshed.status_code == 302
    assert refreshed["Location"] == url_b
    reloaded = client.get(url_a)  # a reload, the Back button or a bookmark
    assert reloaded.status_code == 302
    assert reloaded["Location"] == agenda_url(quito_session)

    services.document_render(document_id=current.pk)
    download = client.get(refresh_target(client.get(url_b), url_b))
    assert download.status_code == 200
    assert "What changed while the worker was stopped?" in pdf_text(body(download))


# Ready: the file, as an attachment.


def test_agenda_pdf_is_rendered_then_downloaded(client, quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(agenda_url(quito_session))
    assert first.status_code == 302
    document = GeneratedDocument.objects.get()
    assert document.status == Status.READY

    status_page = client.get(first["Location"])
    response = client.get(agenda_url(quito_session))

    download_url = agenda_url(quito_session)
    assert status_page.status_code == 200
    assert "Refresh" not in status_page
    assert f'<meta http-equiv="refresh" content="0;url={download_url}">' in status_page.content.decode()
    assert f'href="{download_url}"' in status_page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = pdf_text(body(response))
    assert quito_session.title in text
    assert "María Fernanda Garcés" in text


def test_programme_pdf_is_rendered_then_downloaded(client, quito_forum, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(programme_url(quito_forum)).status_code == 302

    response = client.get(programme_url(quito_forum))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert filename_parameters(response["Content-Disposition"])[1] == f"Programme — {quito_forum.title}.pdf"
    assert quito_forum.title in pdf_text(body(response))


def test_download_has_an_ascii_filename_and_the_utf8_name_without_slash(client, db, django_capture_on_commit_callbacks):
    session = SessionFactory(title="María Fernanda Garcés / Quito")
    with django_capture_on_commit_callbacks(execute=True):
        client.get(agenda_url(session))

    header = client.get(agenda_url(session))["Content-Disposition"]

    header.encode("ascii")  # a valid header value: no raw UTF-8
    fallback, filename = filename_parameters(header)
    assert fallback == "Agenda - Maria Fernanda Garces - Quito.pdf"
    assert filename == "Agenda — María Fernanda Garcés - Quito.pdf"


def test_download_filename_of_an_emoji_title_is_capped_in_bytes(client, db, django_capture_on_commit_callbacks):
    session = SessionFactory(title="😀" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(agenda_url(session))

    header = client.get(agenda_url(session))["Content-Disposition"]

    header.encode("ascii")
    fallback, filename = filename_parameters(header)
    assert fallback == "Agenda.pdf"
    assert filename == "Agenda — " + "😀" * 33 + ".pdf"  # 147 bytes; a 34th emoji would make 151
    assert len(filename.encode()) <= 150


@pytest.mark.unit
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Programme — Quito 2020", "Programme — Quito 2020.pdf"),
        ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j.pdf"),
        ("line\nbreak\ttab\x00nul\u202eoverride", "line break tab nul override.pdf"),
        ("../../etc/passwd", "etc-passwd.pdf"),
        ("   ", "document.pdf"),
        ("é" * 300, "é" * 73 + ".pdf"),  # 2 bytes each: 146 + 4 bytes
        ("a" * 145 + "é", "a" * 145 + ".pdf"),  # "é" would end at byte 147 + 4: cut, not split
    ],
)
def test_download_filename_strips_separators_and_control_characters(title, expected):
    assert download_filename(title) == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Agenda — Acción Ñandú", "Agenda - Accion Nandu.pdf"),
        ("Ｆｕｌｌ／ｗｉｄｔｈ ＂quotes＂", "Full-width -quotes.pdf"),
        ("line\nbreak\u202eoverride\\x", "line break override-x.pdf"),
        ("東京 😀", "document.pdf"),
    ],
)
def test_ascii_filename_transliterates_and_stays_quotable(title, expected):
    assert ascii_filename(title) == expected


# Rebuild after an edit; no new work while unchanged.


def test_agenda_pdf_is_rebuilt_after_an_edit(client, quito_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(agenda_url(quito_session))
    old = GeneratedDocument.objects.get()
    assert client.get(agenda_url(quito_session)).status_code == 200
    question = quito_session.key_questions.get(order=2)
    question.text = "What are the implications for street population?"
    question.save()

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


def test_agenda_pdf_renders_again_a_render_left_by_a_dead_worker(
    client, quito_session, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as patch:
        patch.setattr(document_render_task, "delay", lambda document_id: None)
        client.get(agenda_url(quito_session))
    document = GeneratedDocument.objects.get()
    started = timezone.now() - timedelta(seconds=services.STALE_RENDER_SECONDS + 1)
    GeneratedDocument.objects.filter(pk=document.pk).update(status=Status.RENDERING, render_started_at=started)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(agenda_url(quito_session))

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Status.READY
    download = client.get(agenda_url(quito_session))
    assert download.status_code == 200
    assert "María Fernanda Garcés" in pdf_text(body(download))


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
    retry_url = agenda_url(quito_session)
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

    assert "OSError: no font" in client.get(status_url(document)).content.decode()


def test_retry_of_a_document_being_prepared_does_not_queue_it_again(
    client, quito_session, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.get(agenda_url(quito_session))["Location"]
        response = client.post(agenda_url(quito_session))

    assert response.status_code == 302
    assert response["Location"] == status_url
    assert len(queued) == 1


def test_retry_of_a_failed_programme_queues_it_again(client, quito_forum, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.get(programme_url(quito_forum))["Location"]
    GeneratedDocument.objects.update(status=Status.FAILED, error="OSError: no font")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(programme_url(quito_forum))

    assert response.status_code == 302
    assert response["Location"] == status_url
    assert GeneratedDocument.objects.get().status == Status.QUEUED
    assert len(queued) == 2


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


def test_status_page_of_a_replaced_programme_redirects_to_the_programme_pdf(
    client, quito_forum, quito_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old_status_url = client.get(programme_url(quito_forum))["Location"]
    old = GeneratedDocument.objects.get()
    Session.objects.filter(pk=quito_session.pk).update(title="What is new in the programme?")
    with django_capture_on_commit_callbacks(execute=True):
        client.get(programme_url(quito_forum))  # the new document replaces the old one
    assert not GeneratedDocument.objects.filter(pk=old.pk).exists()

    response = client.get(old_status_url)

    assert old_status_url == f"{programme_url(quito_forum)}/status/{old.pk}/"
    assert response.status_code == 302
    assert response["Location"] == programme_url(quito_forum)
    assert "What is new in the programme?" in pdf_text(body(client.get(response["Location"])))


def test_status_page_of_a_missing_or_other_subjects_document_redirects_to_its_subject(client, quito_session):
    document = ready_document(quito_session)
    other_session = SessionFactory(forum=quito_session.forum)
    forum_slug = quito_session.forum.slug

    missing = client.get(status_page(document.pk + 1, forum_slug, quito_session.slug))
    under_the_programme = client.get(status_page(document.pk, forum_slug))
    under_another_session = client.get(status_page(document.pk, forum_slug, other_session.slug))

    assert missing.status_code == under_the_programme.status_code == under_another_session.status_code == 302
    assert missing["Location"] == agenda_url(quito_session)
    assert under_the_programme["Location"] == programme_url(quito_session.forum)
    assert under_another_session["Location"] == agenda_url(other_session)
    assert client.get(status_url(document)).status_code == 200


def test_status_page_of_an_unknown_forum_or_session_is_404(client, quito_session):
    document = ready_document(quito_session)
    other_forum = ForumFactory()

    assert client.get(status_page(document.pk, other_forum.slug, quito_session.slug)).status_code == 404
    assert client.get(status_page(document.pk, quito_session.forum.slug, "nothing")).status_code == 404
    assert client.get(status_page(document.pk, "nowhere")).status_code == 404


def test_documents_of_an_unpublished_forum_are_404(client, db, queued):
    session = SessionFactory(forum=ForumFactory(is_published=False))
    document = ready_document(session)

    assert client.get(status_url(document)).status_code == 404
    assert client.post(agenda_url(session)).status_code == 404
    assert client.post(programme_url(session.forum)).status_code == 404
    assert GeneratedDocument.objects.get() == document
    assert queued == []


def test_generated_files_are_not_served_from_media_url_even_in_debug(client, settings, db):
    """Only the document views (which check the forum is published) serve generated PDFs."""
    document = ready_document(SessionFactory(forum=ForumFactory(is_published=False)))
    debug = settings.DEBUG
    settings.DEBUG = True
    try:
        importlib.reload(root_urls)  # the URLconf as ``runserver`` builds it with DEBUG on
        clear_url_caches()
        response = client.get(f"{settings.MEDIA_URL}{document.file.name}")
    finally:
        settings.DEBUG = debug
        importlib.reload(root_urls)
        clear_url_caches()

    assert response.status_code == 404
