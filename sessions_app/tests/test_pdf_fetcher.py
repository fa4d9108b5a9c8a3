"""The PDF renderer reads the project's static files and nothing else.

WeasyPrint fetches every resource a document names (images, stylesheets, ``@import``,
``@font-face`` sources, SVG images, PDF attachments) through
``sessions_app.pdf.StaticFilesFetcher``. These tests try each way in with local files,
other hosts and ``data:`` URLs, and look in the PDF a reader gets (its text, images,
attachments and every stream) for what must not be there.
"""

import base64
import io
import logging
import os
import socket
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject
from weasyprint.urls import URLFetcherResponse

from sessions_app import pdf, services
from sessions_app.models import GeneratedDocument
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.pdf_support import loaded_for_print, pdf_text

PASSWD = Path("/etc/passwd")
# The first line of every Linux /etc/passwd.
PASSWD_LINE = "root:x:0:0"
SECRET = "LEAKED-SECRET-3f1c"

pytestmark = pytest.mark.skipif(not PASSWD.is_file(), reason="needs /etc/passwd")


def pdf_streams(pdf_bytes: bytes) -> bytes:
    """Every stream of ``pdf_bytes`` decoded (page contents, fonts, images, embedded files), joined."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    numbers = {(number, generation) for generation, table in reader.xref.items() for number in table}
    numbers |= {(number, 0) for number in reader.xref_objStm}
    streams = []
    for number, generation in sorted(numbers):
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if isinstance(obj, StreamObject):
            streams.append(obj.get_data())
    return b"".join(streams)


def assert_nothing_leaked(pdf_bytes: bytes) -> None:
    """``pdf_bytes`` holds no line of /etc/passwd nor ``SECRET``: not in its text, as an
    attachment, an attachment annotation, an image or anywhere in its streams."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = pdf_text(pdf_bytes)
    assert PASSWD_LINE not in text
    assert SECRET not in text
    assert list(reader.attachments) == []
    for page in reader.pages:
        assert [annot.get_object()["/Subtype"] for annot in page.get("/Annots", [])].count("/FileAttachment") == 0
        assert list(page.images) == []
    streams = pdf_streams(pdf_bytes)
    assert PASSWD_LINE.encode() not in streams
    assert SECRET.encode() not in streams


def png_bytes() -> bytes:
    """A 4×4 red PNG: an image WeasyPrint would draw if it were fetched."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def outside_files(tmp_path) -> dict[str, str]:
    """Files outside the static directories, as ``file:`` URLs: a stylesheet that would
    print ``SECRET``, a PNG, a text file holding ``SECRET``."""
    stylesheet = tmp_path / "leak.css"
    stylesheet.write_text(f'body::after {{ content: "{SECRET}"; }}')
    image = tmp_path / "leak.png"
    image.write_bytes(png_bytes())
    text = tmp_path / "leak.txt"
    text.write_text(SECRET)
    return {"css": stylesheet.as_uri(), "png": image.as_uri(), "txt": text.as_uri()}


@pytest.fixture
def fetched(monkeypatch) -> list[tuple[str, str]]:
    """Each URL WeasyPrint asks ``StaticFilesFetcher`` for, with "served" or "refused"."""
    calls = []
    real_fetch = pdf.StaticFilesFetcher.fetch

    def recording_fetch(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except pdf.ResourceRefused:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(pdf.StaticFilesFetcher, "fetch", recording_fetch)
    return calls


# --- The fetcher on its own ------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "url",
    [
        "https://forum.invalid/static/css/pdf.css",
        "https://forum.invalid/static/img/favicon.svg#icon",
        "https://forum.invalid/static/css/./pdf.css",
    ],
)
def test_fetcher_serves_the_static_files(url):
    response = pdf.StaticFilesFetcher().fetch(url)

    assert isinstance(response, URLFetcherResponse)
    assert response.read()


@pytest.mark.unit
@pytest.mark.parametrize(
    "url",
    [
        # Local files, straight or through the static directory's path.
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        f"file://{settings.BASE_DIR}/static/../../../../../etc/passwd",
        f"file://{settings.BASE_DIR}/static/css/pdf.css",
        "FILE:///etc/passwd",
        # Path traversal on the fake origin.
        "https://forum.invalid/static/../../etc/passwd",
        "https://forum.invalid/static/css/../../../../etc/passwd",
        "https://forum.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://forum.invalid/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "https://forum.invalid/static/css%2f..%2f..%2f..%2fsettings.py",
        "https://forum.invalid/static/..%5c..%5cetc%5cpasswd",
        "https://forum.invalid/static//etc/passwd",
        "https://forum.invalid/static/%2fetc/passwd",
        "https://forum.invalid/etc/passwd",
        "https://forum.invalid/static/css/pdf.css%00.png",
        # The network: loopback, other hosts, other ports, credentials, scheme-relative.
        "http://127.0.0.1:8000/static/css/pdf.css",
        "http://127.0.0.1:6379/",
        "http://[::1]/static/css/pdf.css",
        "https://example.org/static/css/pdf.css",
        "http://forum.invalid/static/css/pdf.css",
        "https://forum.invalid:8443/static/css/pdf.css",
        "https://user@forum.invalid/static/css/pdf.css",
        "https://forum.invalid.example.org/static/css/pdf.css",
        "//example.org/static/css/pdf.css",
        "/static/css/pdf.css",
        "ftp://example.org/passwd",
        # Data: even an image, even a stylesheet.
        "data:image/png;base64,iVBORw0KGgo=",
        "data:text/css,body{color:red}",
        "data:text/plain,root:x:0:0",
        "data:text/css;base64,Ym9keXt9",
        "http://example.com/x.png",
        "https://example.com/static/css/pdf.css",
        # Not files.
        "https://forum.invalid/static/",
        "https://forum.invalid/static/css/",
        "https://forum.invalid/static/css/missing.css",
        "https://forum.invalid/media/documents/x.pdf",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(pdf.ResourceRefused):
        pdf.StaticFilesFetcher().fetch(url)


@pytest.mark.unit
def test_fetcher_refuses_symbolic_links_out_of_the_static_directory(tmp_path, settings):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "own.css").write_text("p { color: black; }")
    os.symlink("own.css", static / "css" / "alias.css")
    os.symlink(PASSWD, static / "css" / "passwd.css")
    os.symlink("/etc", static / "etc")
    settings.STATICFILES_DIRS = [static]
    fetcher = pdf.StaticFilesFetcher()

    assert fetcher.fetch("https://forum.invalid/static/css/own.css").read() == b"p { color: black; }"
    assert fetcher.fetch("https://forum.invalid/static/css/alias.css").read() == b"p { color: black; }"
    for url in ("https://forum.invalid/static/css/passwd.css", "https://forum.invalid/static/etc/passwd"):
        with pytest.raises(pdf.ResourceRefused, match="leads out of the static directories"):
            fetcher.fetch(url)


# --- Hostile HTML through html_to_pdf ----------------------------------------------------------


# WeasyPrint 70 resolves an SVG <use> only inside its own document: it asks for nothing.
NOT_FETCHED = {"svg use"}
HOSTILE_REFERENCES = {
    "img": '<img src="{url}" alt="">',
    "picture img": '<picture><img src="{url}" alt=""></picture>',
    "object": '<object data="{url}" type="image/png"></object>',
    "embed": '<embed src="{url}" type="image/png">',
    "svg image": '<svg width="20" height="20"><image href="{url}" width="20" height="20"/></svg>',
    "svg use": '<svg width="20" height="20"><use href="{url}#x"/></svg>',
    "link stylesheet": '<link rel="stylesheet" href="{url}">',
    "style @import": '<style>@import url("{url}");</style>',
    "style background": "<p style=\"background: url('{url}')\">styled</p>",
    "style list-style-image": "<ul style=\"list-style-image: url('{url}')\"><li>item</li></ul>",
    "style content url()": '<style>h1::before {{ content: url("{url}"); }}</style><h1>Heading</h1>',
    "@font-face": (
        '<style>@font-face {{ font-family: Leak; src: url("{url}"); }} .leak {{ font-family: Leak; }}</style>'
        '<p class="leak">font</p>'
    ),
    "a rel=attachment": '<a rel="attachment" href="{url}">attachment</a>',
    "link rel=attachment": '<link rel="attachment" href="{url}">',
}


def hostile_urls(outside_files: dict[str, str], live_port: int) -> list[str]:
    """Everything a document must not read: local files, the network, ``data:`` URLs."""
    return [
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/static/../../../../../etc/passwd",
        "/static/../../../etc/passwd",
        "../../../../../etc/passwd",
        *outside_files.values(),
        f"http://127.0.0.1:{live_port}/leak",
        "https://example.org/leak.png",
        "//example.org/leak.png",
        "ftp://example.org/leak.png",
        "data:image/png;base64," + base64.b64encode(png_bytes()).decode(),
        f"data:text/plain,{SECRET}",
        "data:text/css;base64," + base64.b64encode(f'body::after {{ content: "{SECRET}"; }}'.encode()).decode(),
    ]


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def connected(server) -> bool:
    """Whether a client connected to ``server`` (a listening, non-blocking socket)."""
    try:
        client, _ = server.accept()
    except BlockingIOError:
        return False
    client.close()
    return True


@pytest.mark.integration
@pytest.mark.parametrize("reference", list(HOSTILE_REFERENCES))
def test_html_to_pdf_refuses_every_outside_resource(reference, outside_files, listener, fetched, caplog):
    urls = hostile_urls(outside_files, listener.getsockname()[1])
    body = "\n".join(HOSTILE_REFERENCES[reference].format(url=url) for url in urls)
    html = f"""<!doctype html><html lang="en"><head><title>Hostile</title>
      <link rel="stylesheet" href="/static/css/pdf.css"></head>
      <body><p>Visible text</p><p class="session-cancelled">cancelled</p>{body}</body></html>"""

    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        pdf_bytes = pdf.html_to_pdf(html)

    text = pdf_text(pdf_bytes)
    assert "Visible text" in text
    assert "CANCELLED" in text  # the static stylesheet was served
    assert_nothing_leaked(pdf_bytes)
    assert not connected(listener)
    served = [url for url, outcome in fetched if outcome == "served"]
    assert served and all(url.startswith("https://forum.invalid/static/css/pdf.css") for url in served)
    refused = [url for url, outcome in fetched if outcome == "refused"]
    assert refused == [] if reference in NOT_FETCHED else refused
    # Refusals are logged as single lines naming the error; tracebacks only at DEBUG.
    assert [record for record in caplog.records if record.exc_info and record.levelno > logging.DEBUG] == []


@pytest.mark.integration
def test_html_to_pdf_sends_every_kind_of_url_through_the_fetcher(outside_files, fetched):
    data_png = "data:image/png;base64,iVBORw0KGgo="
    html = f"""<!doctype html><html lang="en"><head>
      <link rel="attachment" href="file:///etc/passwd">
      <style>@import url("{outside_files["css"]}");
        @font-face {{ font-family: Leak; src: url("{outside_files["txt"]}"); }}
        body {{ background: url("{outside_files["png"]}"); }}</style></head>
      <body><p>Text</p><img src="{data_png}" alt="">
      <a rel="attachment" href="data:text/plain,{SECRET}">a</a>
      <svg width="9" height="9"><image href="ftp://example.org/x.png" width="9" height="9"/></svg></body></html>"""

    pdf_bytes = pdf.html_to_pdf(html)

    refused = {url for url, outcome in fetched if outcome == "refused"}
    assert {
        "file:///etc/passwd",
        outside_files["css"],
        outside_files["txt"],
        outside_files["png"],
        data_png,
        f"data:text/plain,{SECRET}",
        "ftp://example.org/x.png",
    } <= refused
    assert [url for url, outcome in fetched if outcome == "served"] == []
    assert_nothing_leaked(pdf_bytes)


# --- A hostile session through the real agenda path --------------------------------------------


HOSTILE_TEXT = (
    '<img src="file:///etc/passwd"> <link rel=attachment href=/etc/passwd> '
    '<a rel="attachment" href="file:///etc/passwd">see</a> '
    '<style>@import "file:///etc/passwd";</style> Read /etc/passwd'
)


@pytest.fixture
def hostile_session(quito_forum):
    """A session of the Quito forum whose title, objective, context and methodology hold
    markup naming /etc/passwd."""
    return SessionFactory(
        forum=quito_forum,
        title=f"Water {HOSTILE_TEXT}"[:300],
        objective=HOSTILE_TEXT,
        context=f"{HOSTILE_TEXT}\n\n{HOSTILE_TEXT}",
        methodology=HOSTILE_TEXT,
        expected_result=HOSTILE_TEXT,
    )


@pytest.mark.integration
@pytest.mark.django_db
def test_session_agenda_html_prints_hostile_markup_as_text(hostile_session):
    pdf_bytes = pdf.html_to_pdf(pdf.render_session_agenda_html(loaded_for_print(hostile_session)))

    text = pdf_text(pdf_bytes)
    assert "Read /etc/passwd" in text
    assert '<img src="file:///etc/passwd">' in text
    assert_nothing_leaked(pdf_bytes)


@pytest.mark.integration
@pytest.mark.django_db
def test_agenda_document_of_a_hostile_session_holds_no_local_file(hostile_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = services.document_request(forum=hostile_session.forum, session=hostile_session)

    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    with document.file.open("rb") as stored:
        pdf_bytes = stored.read()
    assert "Read /etc/passwd" in pdf_text(pdf_bytes)
    assert_nothing_leaked(pdf_bytes)
