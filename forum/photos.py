"""Photos of people (speakers, facilitators, rapporteurs): checked on upload, stored re-encoded, served by views.

Checking (``validate_photo``): a photo is accepted only if Pillow reads it as a JPEG,
PNG or WebP image within the limits below and decodes it whole; anything else (a script
renamed ``.jpg``, an SVG, a PDF, a GIF, a truncated file, a decompression bomb) is
refused with a message saying why. The rule follows OWASP's File Upload Cheat Sheet:
check the content, not the name, bound size and pixels, and rewrite the file.

Storing (``store_photo``): what is stored is never the uploaded file but a new image
drawn from its pixels: turned upright by its EXIF orientation, shrunk to fit
``PHOTO_MAX_SIDE``, without any metadata (EXIF with GPS position, XMP, comments, colour
profile: the pixels are converted to sRGB first), saved as JPEG (PNG if it has
transparency) under a random name in ``people/``. So neither bytes hidden in the upload
(a polyglot file, a script after the image data) nor where a photo was taken reach
visitors. A replaced or cleared photo's file is deleted from storage once the change is
committed, and so is a deleted person's.

Serving (``photo_response``): media files are not served directly (``forum.urls``); the
public speaker photo view and the admin's preview stream the stored file through
``photo_response``.
"""

import hashlib
import io
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
"""Pillow format names accepted for a photo."""

PHOTO_MAX_PIXELS = 40_000_000
"""Largest width × height accepted (40 megapixels, a large camera photo)."""

PHOTO_MAX_SIDE = 800
"""Longest side, in pixels, of a stored photo: a larger upload is shrunk to fit, keeping its aspect."""

PHOTO_JPEG_QUALITY = 85
"""JPEG quality (Pillow's 1–95 scale) of a stored photo."""

PHOTO_CACHE_SECONDS = 60 * 60
"""How long browsers may keep a served photo without asking again (``Cache-Control: max-age``):
one hour, so a replaced or removed photo is gone from visitors' screens within the hour."""

PHOTO_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}
"""Content type of a stored photo by its file name's suffix (``store_photo`` writes only these)."""

_STORED_NAME = re.compile(r"people/[0-9a-f]{32}-(?P<width>[1-9][0-9]{0,4})x(?P<height>[1-9][0-9]{0,4})\.(?:jpg|png)")
"""The whole name of a stored photo, which carries its size (``people/<random>-<width>x<height>.jpg``):
the only names ``photo_response`` serves."""

_UNREADABLE = _("This file is not a photo that can be read: upload a JPEG, PNG or WebP image.")


def validate_photo(file) -> None:
    """Refuse ``file`` (an uploaded Django ``File``) unless it is a readable photo.

    Limits: ``settings.PERSON_PHOTO_MAX_BYTES`` bytes, ``PHOTO_MAX_PIXELS`` pixels and one
    of ``PHOTO_FORMATS``, all read from the content by Pillow, which must then decode the
    whole image as ``store_photo`` will. Raises ``ValidationError`` with code
    ``photo_too_large``, ``photo_too_many_pixels``, ``photo_format`` or
    ``photo_unreadable``; the file's read position is put back to the start.

    A photo already stored (a committed ``FieldFile``, re-validated when the person is
    saved again) passes without being read: it was checked on upload and written by
    ``store_photo``, and reading it would cost a storage round trip on every save.
    """
    if getattr(file, "_committed", False):
        return
    limit = settings.PERSON_PHOTO_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The photo is %(size)s; the largest accepted is %(limit)s."),
            code="photo_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    file.seek(0)
    try:
        with _pillow_refusal(), Image.open(file) as image:
            _check_format_and_pixels(image)
            image.verify()
        file.seek(0)
        _clean_image(file)
    finally:
        file.seek(0)


def _check_format_and_pixels(image: Image.Image) -> None:
    """Refuse an opened ``image`` of too many pixels or of a format not in ``PHOTO_FORMATS``."""
    width, height = image.size
    if width * height > PHOTO_MAX_PIXELS:
        raise ValidationError(
            _("The photo is %(width)s × %(height)s pixels; the most accepted is 40 megapixels."),
            code="photo_too_many_pixels",
            params={"width": width, "height": height},
        )
    if image.format not in PHOTO_FORMATS:
        raise ValidationError(_("Upload a JPEG, PNG or WebP photo."), code="photo_format")


@contextmanager
def _pillow_refusal() -> Iterator[None]:
    """Turn what Pillow raises on a file it cannot read into the ``ValidationError`` of
    ``validate_photo``; a ``ValidationError`` passes through unchanged.

    Pillow's decoders raise many kinds of exception on malformed input (``OSError`` for a
    truncated file, ``SyntaxError``, ``ValueError``, ``struct.error``, ``EOFError``…), so,
    as Django's own ``ImageField`` does, any exception is a refusal. Pillow's
    decompression bomb guard (twice its ``MAX_IMAGE_PIXELS``, raised before the size can
    be read) is the refusal of too many pixels.
    """
    try:
        yield
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise ValidationError(
            _("The photo has more than 40 megapixels, the most accepted."), code="photo_too_many_pixels"
        ) from error
    except Exception as error:  # noqa: BLE001 - any failure to read the upload is a refusal (see above)
        if not isinstance(error, UnidentifiedImageError):
            logger.info("Photo refused, Pillow could not read it: %r", error)
        raise ValidationError(_UNREADABLE, code="photo_unreadable") from error


def _clean_image(file) -> Image.Image:
    """A new image drawn from the photo in ``file``: upright, at most ``PHOTO_MAX_SIDE`` on
    its longest side, in sRGB, mode ``RGB`` (``RGBA`` if it has a pixel that is not
    opaque), with no metadata at all. Raises ``ValidationError`` as ``validate_photo`` does."""
    with _pillow_refusal(), Image.open(file) as image:
        _check_format_and_pixels(image)
        # A JPEG is decoded at a reduced scale (1/2 to 1/8) when the result still covers the box.
        image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        image.load()
        # WeasyPrint turns Pillow's ``LOAD_TRUNCATED_IMAGES`` on for the whole process, so a
        # truncated JPEG loads (grey at the end) instead of failing; Pillow marks one it had
        # to end itself with ``_ended``. PNG and WebP are refused anyway (``verify``, libwebp).
        if getattr(image, "_ended", False):
            raise OSError("The JPEG data ends early.")
        pixels = _in_srgb(ImageOps.exif_transpose(image), image.info.get("icc_profile"))
        pixels.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        clean = Image.new(pixels.mode, pixels.size)
        clean.paste(pixels)
        return clean


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """``image`` in mode ``RGB``, or ``RGBA`` if it has a pixel that is not opaque; through
    its colour profile to sRGB when it has one that Little CMS reads, else as it is."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            srgb = ImageCms.createProfile("sRGB")
            image = ImageCms.profileToProfile(image, source, srgb, outputMode="RGBA" if has_alpha else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.info("Photo's colour profile not read; its pixels are kept as they are.")
    if image.mode.startswith("I"):  # 16-bit greyscale: scaled to 8 bits rather than clipped
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    return image


def store_photo(person, upload) -> None:
    """Give ``person`` (a ``forum.Person``) a clean copy of the photo in ``upload``, or no
    photo if ``upload`` is empty (``None``, ``False``: the admin's "Clear").

    ``upload`` should have passed ``validate_photo``; it raises ``ValidationError`` as
    that does if not. The copy (``_clean_image``) is written to ``person.photo``'s storage
    at once, as ``people/<32 random hex digits>-<width>x<height>.jpg`` (``.png`` with
    transparency); ``person`` is not saved: the caller saves it, in the transaction in
    which it calls this. The file of the photo stored until now is deleted once that
    transaction commits, unless some person still has it then.
    """
    model = type(person)
    previous = (
        model._default_manager.filter(pk=person.pk).values_list("photo", flat=True).first() if person.pk else None
    )
    if upload:
        upload.seek(0)
        image = _clean_image(upload)
        buffer = io.BytesIO()
        if image.mode == "RGBA":
            image.save(buffer, "PNG", optimize=True)
            suffix = "png"
        else:
            image.save(buffer, "JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True, progressive=True)
            suffix = "jpg"
        width, height = image.size
        name = f"{secrets.token_hex(16)}-{width}x{height}.{suffix}"
        person.photo.save(name, ContentFile(buffer.getvalue()), save=False)
    else:
        person.photo = ""
    if previous and previous != person.photo.name:
        _delete_on_commit(model, person.photo.storage, previous)


def _delete_on_commit(model, storage, name: str) -> None:
    """Delete file ``name`` from ``storage`` once the current transaction commits, unless a
    row of ``model`` has it as photo then. A storage failure is logged, not raised
    (the change it follows is committed already)."""
    transaction.on_commit(partial(_delete_if_unused, model, storage, name), robust=True)


def _delete_if_unused(model, storage, name: str) -> None:
    """Delete ``name`` from ``storage`` if no row of ``model`` has it as photo."""
    if not model._default_manager.filter(photo=name).exists():
        storage.delete(name)


@receiver(post_delete, sender="forum.Person", dispatch_uid="forum.photos.delete_photo_of_deleted_person")
def _delete_photo_of_deleted_person(sender, instance, **kwargs) -> None:
    """A deleted person's photo file goes too, once the deletion is committed."""
    if instance.photo:
        _delete_on_commit(sender, instance.photo.storage, instance.photo.name)


def photo_dimensions(photo: FieldFile | None) -> tuple[int, int] | None:
    """(width, height) in pixels of a photo stored by ``store_photo``, read from its name
    (no storage access); None for no photo or a file not named by ``store_photo``."""
    match = _STORED_NAME.fullmatch(photo.name) if photo else None
    return (int(match["width"]), int(match["height"])) if match else None


def display_size(photo: FieldFile | None, box: int) -> tuple[int, int] | None:
    """(width, height) in pixels at which to show ``photo`` within a ``box`` × ``box``
    square, keeping its aspect and never enlarging it; None as ``photo_dimensions``."""
    dimensions = photo_dimensions(photo)
    if dimensions is None:
        return None
    width, height = dimensions
    scale = min(1, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def photo_response(request: HttpRequest, photo: FieldFile | None, filename: str) -> HttpResponse:
    """The stored ``photo``, shown inline as ``<filename>.jpg`` (or ``.png``), for an ``<img>``.

    Headers: its ``Content-Type``, ``X-Content-Type-Options: nosniff``, a strong ``ETag``
    (a digest of the stored name, which is new for every upload) that a conditional GET
    matches for a 304 without the file being opened, and ``Cache-Control: max-age`` of
    ``PHOTO_CACHE_SECONDS``, ``public`` for an anonymous visitor and ``private`` for a
    signed-in one (staff may be shown people the public does not see yet). No
    ``Last-Modified``: asking the storage for it (S3) would cost a request per photo.
    Raises ``Http404`` for no photo, a name ``store_photo`` does not write, or a file
    missing from storage (logged).
    """
    if not photo or not _STORED_NAME.fullmatch(photo.name):
        raise Http404("No photo.")
    suffix = PurePosixPath(photo.name).suffix
    content_type = PHOTO_CONTENT_TYPES[suffix]
    etag = quote_etag(hashlib.sha256(photo.name.encode()).hexdigest()[:40])
    response = get_conditional_response(request, etag=etag)
    if response is None:
        try:
            photo.open("rb")
        except FileNotFoundError as error:
            logger.warning("Photo %s is missing from storage.", photo.name)
            raise Http404("No photo.") from error
        response = FileResponse(photo, content_type=content_type, filename=f"{filename}{suffix}")
    response.headers["ETag"] = etag
    response.headers["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, max_age=PHOTO_CACHE_SECONDS)
    patch_cache_control(response, **({"private": True} if request.user.is_authenticated else {"public": True}))
    return response
