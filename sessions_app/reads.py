"""Cheap reads for pages and exports that print hundreds of sessions: URLs that differ
only by a slug, reversed once, and translated texts read from their language columns.

Measured with ``python -m bench`` (a 300-session forum): reversing a URL per session and
reading a translated field through django-modeltranslation's descriptor per session were
each several milliseconds of a request.
"""

import re
from collections.abc import Callable, Iterable

from django.urls import reverse
from django.urls.converters import get_converters
from modeltranslation.utils import build_localized_fieldname, resolution_order
from modeltranslation.utils import get_language as translation_language

_SLUG = re.compile(get_converters()["slug"].regex)
_SLUG_MARK = "slug-mark-3e9d1c"
"""A slug that stands for any slug in a reversed URL (``slug_urls``)."""


def slug_urls(
    viewname: str, slug_name: str, kwargs: dict[str, str], *, absolute: Callable[[str], str] = str
) -> Callable[[str], str]:
    """A function of a slug giving ``absolute(reverse(viewname, kwargs=kwargs | {slug_name: slug}))``,
    in the active language, that reverses once rather than at each call.

    ``slug_name`` must be a ``<slug:...>`` part of the URL pattern. A slug matching the
    converter's pattern (``[-a-zA-Z0-9_]+``) is written as it is
    (https://docs.djangoproject.com/en/5.2/topics/http/urls/#path-converters), neither
    quoted by ``reverse`` nor changed by ``absolute`` (e.g. ``request.build_absolute_uri``,
    which quotes only non-ASCII and reserved characters), so it is put in place of a
    stand-in slug in the URL reversed once. Any other slug goes through ``reverse`` and
    ``absolute`` as before, with the same result (``NoReverseMatch`` included).
    """

    def reversed_url(slug: str) -> str:
        return absolute(reverse(viewname, kwargs={**kwargs, slug_name: slug}))

    parts = reversed_url(_SLUG_MARK).split(_SLUG_MARK)
    if len(parts) != 2:
        return reversed_url
    before, after = parts

    def url(slug: str) -> str:
        if _SLUG.fullmatch(slug):
            return before + slug + after
        return reversed_url(slug)

    return url


def language_columns(model: type, field: str) -> tuple[str, ...]:
    """The columns of ``model``'s translated ``field`` in the order modeltranslation reads
    them for the active language: its own, then its fallback languages'
    (``modeltranslation.utils.resolution_order`` of ``MODELTRANSLATION_FALLBACK_LANGUAGES``).
    Reading ``field`` gives the first of them that is not empty (``in_language``; the
    translation options of this project set no ``fallback_undefined`` or ``fallback_value``)."""
    languages = resolution_order(translation_language(), getattr(model, field).fallback_languages)
    return tuple(build_localized_fieldname(field, language) for language in languages)


def in_language(texts: Iterable[str | None]) -> str:
    """The first non-empty of ``texts`` (a translated text's columns in ``language_columns``
    order), or "" when all are empty: what reading the field gives, without going through
    modeltranslation's descriptor at every read."""
    return next((text for text in texts if text), "")


def translated_texts(model: type, fields: Iterable[str]) -> Callable[[object, str], str]:
    """A function of an instance of ``model`` and one of its translated ``fields`` giving
    what reading that field gives in the active language (``in_language`` of its
    ``language_columns``), the columns of each field worked out once."""
    columns = {field: language_columns(model, field) for field in fields}

    def text(instance: object, field: str) -> str:
        return in_language([getattr(instance, column) for column in columns[field]])

    return text
