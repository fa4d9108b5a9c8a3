"""Photos of people: checked on upload in the admin, stored re-encoded, shown on the speaker
page and served by the photo view (``forum.photos``)."""

import io
import os
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import ExifTags, Image, ImageCms

from forum.models import Person
from forum.photos import validate_photo
from forum.tests.factories import ForumFactory, PersonFactory, UserFactory
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

STORED_NAME = re.compile(r"people/[0-9a-f]{32}-(\d+)x(\d+)\.(jpg|png)")
UNREADABLE = "This file is not a photo that can be read: upload a JPEG, PNG or WebP image."
SECRET_COMMENT = b"Taken at home, Calle Garcia Moreno 1234"
SCRIPT = b"<script>alert(document.cookie)</script>"


# Files.


def noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """An image of random pixels, like a photo (it does not compress to nothing)."""
    return Image.effect_noise(size, 40).convert(mode)


def image_bytes(image_format: str, size: tuple[int, int] = (1600, 1200), mode: str = "RGB", **options) -> bytes:
    buffer = io.BytesIO()
    noise(size, mode).save(buffer, image_format, **options)
    return buffer.getvalue()


def located_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: camera, orientation and where the photo was taken (Quito)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (0.0, 10.0, 48.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (78.0, 29.0, 0.0)
    return exif


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb
    when large): signature, IHDR, one small IDAT, IEND, with correct CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200), orientation: int = 1) -> bytes:
    """A JPEG with GPS EXIF, a colour profile, a comment and a script appended after its
    image data (a polyglot)."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    options = {"exif": located_exif(orientation), "comment": SECRET_COMMENT, "icc_profile": profile}
    return image_bytes("JPEG", size, **options) + SCRIPT


def stored_image(person: Person) -> tuple[Image.Image, bytes]:
    """The person's stored photo, opened by Pillow, and its bytes."""
    with default_storage.open(person.photo.name, "rb") as file:
        content = file.read()
    return Image.open(io.BytesIO(content)), content


REFUSED = {
    "text renamed .jpg": ("notes.jpg", b"Just some notes, not a photo.\n" * 20, UNREADABLE),
    "HTML": ("photo.jpg", b"<!doctype html><html><body>" + SCRIPT + b"</body></html>", UNREADABLE),
    "SVG": (
        "photo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
        UNREADABLE,
    ),
    "PDF": (
        "photo.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        UNREADABLE,
    ),
    "GIF": ("photo.gif", image_bytes("GIF", (40, 30)), "Upload a JPEG, PNG or WebP photo."),
    "truncated JPEG": ("photo.jpg", image_bytes("JPEG")[:20_000], UNREADABLE),
    "truncated PNG": ("photo.png", image_bytes("PNG", (400, 300))[:50_000], UNREADABLE),
    "decompression bomb": (
        "bomb.png",
        png_declaring(20_000, 20_000),
        "The photo has more than 40 megapixels, the most accepted.",
    ),
    "48 megapixels": (
        "big.png",
        png_declaring(8_000, 6_000),
        "The photo is 8000 × 6000 pixels; the most accepted is 40 megapixels.",
    ),
}


# validate_photo.


@pytest.mark.parametrize(
    ("image_format", "mode"),
    [("JPEG", "RGB"), ("JPEG", "CMYK"), ("JPEG", "L"), ("PNG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")],
)
def test_validate_photo_accepts_jpeg_png_and_webp(image_format, mode):
    file = upload("photo", image_bytes(image_format, (300, 200), mode))

    validate_photo(file)

    assert file.tell() == 0


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_validate_photo_refuses_what_is_not_a_readable_photo(case):
    name, content, message = REFUSED[case]
    file = upload(name, content)

    with pytest.raises(ValidationError) as refusal:
        validate_photo(file)

    assert refusal.value.messages == [message]
    assert file.tell() == 0


def test_validate_photo_refuses_a_file_over_5_mib_before_reading_it():
    file = upload("photo.jpg", b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 - 1))

    with pytest.raises(ValidationError) as refusal:
        validate_photo(file)

    assert refusal.value.code == "photo_too_large"
    assert refusal.value.messages == ["The photo is 5.0\xa0MB; the largest accepted is 5.0\xa0MB."]


# The admin.


@pytest.fixture
def forum():
    return ForumFactory()


@pytest.fixture
def speaker(forum) -> Person:
    """A person on the agenda of a session of ``forum``."""
    item = AgendaItemFactory(session=SessionFactory(forum=forum), order=1)
    return SpeakerRoleFactory(agenda_item=item, order=1, person=PersonFactory(name="Ana María Pérez")).person


def change_url(person: Person) -> str:
    return reverse("admin:forum_person_change", args=[person.pk])


def post_person(client, person: Person, photo: SimpleUploadedFile | None = None, clear: bool = False):
    """POST the person's admin form as it stands, with ``photo`` uploaded or the photo cleared."""
    data = {
        "name": person.name,
        "position": person.position,
        "organization": person.organization_id or "",
        "country": person.country,
        "bio": person.bio,
        "slug": person.slug,
        "user": "",
    }
    if photo is not None:
        data["photo"] = photo
    if clear:
        data["photo-clear"] = "on"
    return client.post(change_url(person), data)


def give_photo(client, person: Person, content: bytes, name: str = "photo.jpg") -> Person:
    response = post_person(client, person, upload(name, content))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Person.objects.get(pk=person.pk)


def photo_url(forum, person: Person) -> str:
    return reverse("forum:speaker-photo", kwargs={"forum_slug": forum.slug, "person_slug": person.slug})


def speaker_url(forum, person: Person) -> str:
    return reverse("forum:speaker-detail", kwargs={"forum_slug": forum.slug, "person_slug": person.slug})


def test_person_form_is_multipart_and_offers_jpeg_png_and_webp(admin_client, speaker):
    response = admin_client.get(change_url(speaker))

    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert re.search(r'<input type="file" name="photo"[^>]* accept="image/jpeg,image/png,image/webp"', content)


def test_uploaded_jpeg_is_stored_upright_shrunk_and_without_metadata_or_trailing_bytes(admin_client, speaker):
    content = jpeg_with_gps((1600, 1200), orientation=6)  # shown turned 90° clockwise: 1200 × 1600
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    person = give_photo(admin_client, speaker, content, name="ana-at-home.jpg")

    assert STORED_NAME.fullmatch(person.photo.name)
    assert "ana-at-home" not in person.photo.name
    image, stored = stored_image(person)
    assert image.format == "JPEG"
    assert image.size == (600, 800)
    assert person.photo.name.endswith("-600x800.jpg")
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info
    assert b"Exif\0\0" not in stored and SECRET_COMMENT not in stored and SCRIPT not in stored


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_uploaded_png_or_webp_is_stored_as_jpeg_within_800_pixels(admin_client, speaker, image_format):
    content = image_bytes(image_format, (500, 1000), exif=located_exif())

    person = give_photo(admin_client, speaker, content, name=f"photo.{image_format.lower()}")

    image, stored = stored_image(person)
    assert (image.format, image.size) == ("JPEG", (400, 800))
    assert dict(image.getexif()) == {} and b"Exif\0\0" not in stored


def test_a_small_photo_is_not_enlarged(admin_client, speaker):
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (320, 240)))

    assert stored_image(person)[0].size == (320, 240)


def test_photo_with_transparency_is_stored_and_served_as_png(admin_client, client, forum, speaker):
    image = noise((300, 300), "RGBA")
    image.putalpha(128)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    person = give_photo(admin_client, speaker, buffer.getvalue(), name="logo.png")

    stored, _ = stored_image(person)
    assert (stored.format, stored.mode, stored.getpixel((0, 0))[3]) == ("PNG", "RGBA", 128)
    response = client.get(photo_url(forum, person))
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_refused_upload_is_an_error_on_the_field_and_keeps_the_photo(admin_client, speaker, case):
    before = give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))
    name, content, message = REFUSED[case]

    response = post_person(admin_client, before, upload(name, content))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["photo"] == [message]
    assert message in response.content.decode()
    after = Person.objects.get(pk=speaker.pk)
    assert after.photo.name == before.photo.name
    assert default_storage.exists(after.photo.name)
    assert default_storage.listdir("people")[1] == [before.photo.name.removeprefix("people/")]


def test_upload_over_5_mib_is_refused_with_its_size(admin_client, speaker):
    pixels = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buffer = io.BytesIO()
    pixels.save(buffer, "PNG")
    assert buffer.tell() > 5 * 1024 * 1024

    response = post_person(admin_client, speaker, upload("big.png", buffer.getvalue(), "image/png"))

    [error] = response.context["adminform"].form.errors["photo"]
    assert re.fullmatch(r"The photo is 5\.\d\xa0MB; the largest accepted is 5\.0\xa0MB\.", error)
    assert not Person.objects.get(pk=speaker.pk).photo


def test_empty_file_is_refused(admin_client, speaker):
    response = post_person(admin_client, speaker, upload("photo.jpg", b""))

    assert response.context["adminform"].form.errors["photo"] == ["The submitted file is empty."]
    assert not Person.objects.get(pk=speaker.pk).photo


def test_replacing_or_clearing_a_photo_deletes_the_old_file(admin_client, speaker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200))).photo.name
    with django_capture_on_commit_callbacks(execute=True):
        second = give_photo(admin_client, speaker, image_bytes("PNG", (200, 300)), name="photo.png").photo.name

    assert second != first
    assert not default_storage.exists(first) and default_storage.exists(second)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_person(admin_client, Person.objects.get(pk=speaker.pk), clear=True)

    assert response.status_code == 302
    assert not Person.objects.get(pk=speaker.pk).photo
    assert not default_storage.exists(second)


def test_saving_a_person_without_touching_the_photo_keeps_it(admin_client, speaker, django_capture_on_commit_callbacks):
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))
    person.position = "Mayor of Quito"

    with django_capture_on_commit_callbacks(execute=True):
        response = post_person(admin_client, person)

    assert response.status_code == 302
    after = Person.objects.get(pk=speaker.pk)
    assert (after.position, after.photo.name) == ("Mayor of Quito", person.photo.name)
    assert default_storage.exists(person.photo.name)


def test_deleting_a_person_deletes_their_photo(admin_client, django_capture_on_commit_callbacks):
    person = give_photo(admin_client, PersonFactory(), image_bytes("JPEG", (300, 200)))

    with django_capture_on_commit_callbacks(execute=True):
        Person.objects.filter(pk=person.pk).delete()

    name = person.photo.name

    assert not default_storage.exists(name)


def test_change_page_previews_the_photo_through_the_admin(admin_client, speaker):
    speaker.name = 'Ana "<b>" Pérez'
    speaker.save()
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (800, 400)))

    content = admin_client.get(change_url(person)).content.decode()

    admin_photo = reverse("admin:forum_person_photo", args=[person.pk])
    assert f'<img src="{admin_photo}" alt="Ana &quot;&lt;b&gt;&quot; Pérez" width="160" height="80">' in content
    assert f'<a href="{admin_photo}">{person.photo.name.removeprefix("people/")}</a>' in content
    assert "/media/" not in content
    response = admin_client.get(admin_photo)
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")


def test_admin_photo_needs_the_view_permission(client, admin_client, speaker):
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))
    admin_photo = reverse("admin:forum_person_photo", args=[person.pk])

    assert client.get(admin_photo).status_code == 302  # to the admin's sign-in
    client.force_login(UserFactory(is_staff=True))
    assert client.get(admin_photo).status_code == 403
    assert admin_client.get(reverse("admin:forum_person_photo", args=[PersonFactory().pk])).status_code == 404


# The speaker page and the photo view.


def test_speaker_page_shows_the_photo_with_the_name_as_alt_text(admin_client, client, forum, speaker):
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (1200, 900)))

    content = client.get(speaker_url(forum, person)).content.decode()

    assert f'src="{photo_url(forum, person)}" alt="Ana María Pérez" width="240" height="180"' in content


def test_speaker_page_without_photo_has_no_image(client, forum, speaker):
    content = client.get(speaker_url(forum, speaker)).content.decode()

    assert "<img" not in content
    assert client.get(photo_url(forum, speaker)).status_code == 404


def test_speaker_page_runs_as_many_queries_with_a_photo_as_without(admin_client, client, forum, speaker):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(speaker_url(forum, speaker)).status_code == 200
        return len(captured)

    without = queries()
    give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))

    assert queries() == without


def test_photo_view_serves_the_stored_jpeg_inline_with_cache_headers(admin_client, client, forum, speaker):
    person = give_photo(admin_client, speaker, jpeg_with_gps((900, 900)))

    response = client.get(photo_url(forum, person))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == stored_image(person)[1]
    assert Image.open(io.BytesIO(body)).format == "JPEG"
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{person.slug}.jpg"'
    assert response["Cache-Control"] in ("max-age=3600, public", "public, max-age=3600")
    again = client.get(photo_url(forum, person), headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_photo_view_answers_404_off_the_programme(admin_client, client, forum, speaker):
    give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))
    other_forum = ForumFactory()
    elsewhere = give_photo(admin_client, PersonFactory(), image_bytes("JPEG", (300, 200)))
    item = AgendaItemFactory(session=SessionFactory(forum=other_forum), order=1)
    SpeakerRoleFactory(agenda_item=item, order=1, person=elsewhere)

    assert client.get(photo_url(forum, speaker)).status_code == 200
    assert client.get(photo_url(forum, elsewhere)).status_code == 404  # not on this forum's programme
    no_one = reverse("forum:speaker-photo", kwargs={"forum_slug": forum.slug, "person_slug": "no-one"})
    assert client.get(no_one).status_code == 404
    forum.is_published = False
    forum.save()
    assert client.get(photo_url(forum, speaker)).status_code == 404


def test_photo_of_a_speaker_added_since_the_release_is_shown_to_staff_only(admin_client, client, forum, speaker):
    release_programme(forum=forum)
    newcomer = give_photo(admin_client, PersonFactory(), image_bytes("JPEG", (300, 200)))
    item = AgendaItemFactory(session=SessionFactory(forum=forum, start=quito_time(17)), order=1)
    SpeakerRoleFactory(agenda_item=item, order=1, person=newcomer)

    assert client.get(photo_url(forum, newcomer)).status_code == 404
    assert client.get(speaker_url(forum, newcomer)).status_code == 404
    response = admin_client.get(photo_url(forum, newcomer))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_photo_missing_from_storage_is_404_not_an_error(admin_client, client, forum, speaker):
    person = give_photo(admin_client, speaker, image_bytes("JPEG", (300, 200)))
    default_storage.delete(person.photo.name)

    assert client.get(photo_url(forum, person)).status_code == 404


def test_photo_not_stored_by_the_site_is_not_served(client, forum, speaker):
    speaker.photo.save("page.html", ContentFile(b"<html>" + SCRIPT), save=True)

    assert client.get(photo_url(forum, speaker)).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "upload.jpg",  # an image type, but not a name store_photo writes
        "people/photo.png",
        "elsewhere/0123456789abcdef0123456789abcdef-10x10.jpg",
    ],
)
def test_only_names_written_by_store_photo_are_served(client, forum, speaker, name):
    stored = default_storage.save(name, ContentFile(image_bytes("JPEG", (10, 10))))
    Person.objects.filter(pk=speaker.pk).update(photo=stored)

    assert client.get(photo_url(forum, speaker)).status_code == 404
