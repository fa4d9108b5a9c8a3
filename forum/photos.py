"""Checks on the photos of people (speakers, facilitators, rapporteurs) uploaded by organizers.

A photo is accepted only if Pillow reads it as a JPEG, PNG or WebP image within the
limits below; anything else (a script renamed ``.jpg``, an SVG, a PDF, a truncated file,
a decompression bomb) is refused with a message saying why. The rule follows OWASP's
File Upload Cheat Sheet: check the content, not the name, and bound size and pixels.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

PHOTO_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
"""Pillow format names accepted for a photo, with the name a message shows."""

PHOTO_MAX_PIXELS = 40_000_000
"""Largest width × height accepted (40 megapixels, a large camera photo)."""


def validate_photo(file) -> None:
    """Refuse ``file`` (an uploaded or stored Django ``File``) unless it is a readable photo.

    Limits: ``settings.PERSON_PHOTO_MAX_BYTES`` bytes, ``PHOTO_MAX_PIXELS`` pixels and one
    of ``PHOTO_FORMATS``, all read from the content by Pillow. Raises ``ValidationError``
    with code ``photo_too_large``, ``photo_too_many_pixels``, ``photo_format`` or
    ``photo_unreadable``; the file's read position is put back to the start.
    """
    limit = settings.PERSON_PHOTO_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The photo is %(size)s; the largest accepted is %(limit)s."),
            code="photo_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    file.seek(0)
    try:
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("The photo is %(width)s × %(height)s pixels; the most accepted is 40 megapixels."),
                    code="photo_too_many_pixels",
                    params={"width": width, "height": height},
                )
            if image_format not in PHOTO_FORMATS:
                raise ValidationError(
                    _("Upload a JPEG, PNG or WebP photo."),
                    code="photo_format",
                )
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("This file is not a photo that can be read: upload a JPEG, PNG or WebP image."),
            code="photo_unreadable",
        ) from error
    finally:
        file.seek(0)
