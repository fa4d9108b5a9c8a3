"""Plain text without markup, for the long texts organizers, rapporteurs and imports write.

Texts in this product are plain text with paragraphs (blank lines), printed escaped by the
templates (``linebreaks``, ``sessions_app.templatetags.concept_note``). Escaping on output
already makes a payload harmless; removing markup on save as well means no ``<script>``,
event handler, ``javascript:`` address or ``<style>`` is ever stored, so no later template,
export or PDF can let one through by mistake.

``strip_markup`` does the cleaning; ``SanitizedTextField`` applies it whenever a value is
written to the database: ``Model.save`` (admin, editors, seed loader, frab importer),
``bulk_create``, ``bulk_update`` and ``QuerySet.update``, and in the ``_en``/``_es``
columns django-modeltranslation derives from the field (they subclass its class).
"""

import html

import nh3
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from forum.text import without_controls

CONTENT_DROPPED_TAGS = frozenset(
    {
        "applet",
        "embed",
        "frame",
        "frameset",
        "iframe",
        "math",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "script",
        "style",
        "svg",
        "template",
        "xmp",
    }
)
"""Elements removed with everything inside them, not only their tags: their content is
code, a style sheet or an embedded document, never text a reader should see."""

MAX_PASSES = 5
"""How often ``strip_markup`` cleans a text that still changes, e.g. markup written as
entities (``&lt;script&gt;``), which becomes markup once the entities are decoded."""


def _without_tags(text: str) -> str:
    """``text`` through nh3 with no tag allowed: HTML with its ``<``, ``>`` and ``&`` escaped."""
    return nh3.clean(text, tags=set(), clean_content_tags=set(CONTENT_DROPPED_TAGS), attributes={})


def strip_markup(text: str) -> str:
    """``text`` as plain text: HTML tags and comments removed, entities decoded.

    Input: any string (the 1 MB a form may post included). Output: the text a reader
    sees, with every tag removed (its text kept: ``<b>bold</b>`` → ``bold``), the
    elements of ``CONTENT_DROPPED_TAGS`` removed with their content
    (``<script>alert(1)</script>`` → ``""``), attributes gone with their tags
    (``onerror=``, ``style=``, ``href="javascript:…"``), entities turned back into the
    characters they stand for (``Migrants &amp; refugees`` → ``Migrants & refugees``), so
    a text is stored as typed: ``a < b & c``, ``I <3 cities`` stay as they are. Line
    breaks become LF (as an HTML parser reads CR LF and CR); control characters that XML
    and PDF output cannot carry are removed (``forum.text.without_controls``, which also
    removes lone surrogates). Emoji, right-to-left text and other characters are kept.

    The parser follows HTML5 (nh3, html5ever): a ``<`` directly followed by a letter,
    ``/``, ``!`` or ``?`` opens a tag, so ``a<b`` loses ``<b`` while ``a < b`` is kept.

    The result is cleaned again until it no longer changes (at most ``MAX_PASSES``
    times), so markup hidden behind entities cannot come back, and cleaning a stored text
    once more gives the same text. Should a text still change after that (entities
    nested deeper than ``MAX_PASSES``), the last pass keeps nh3's escaped output, which
    holds no tag. Raises nothing for a ``str``.
    """
    current = without_controls(text)
    for _pass in range(MAX_PASSES):
        cleaned = html.unescape(_without_tags(current))
        if cleaned == current:
            return cleaned
        current = cleaned
    return _without_tags(current)


MARKUP_ONLY = _("This text is only markup, which is removed when saved: write it as plain text.")
"""The error for a required text that ``strip_markup`` would leave blank."""


def is_markup_only(value: object) -> bool:
    """True if ``value`` is a string with something in it that ``strip_markup`` reduces to blanks."""
    return isinstance(value, str) and bool(value.strip()) and not strip_markup(value).strip()


LONG_TEXT_MAX_CHARS = 20_000
"""The longest text a ``SanitizedTextField``'s form accepts, in characters: ten pages of
prose, five times the longest section of the Quito concept note. Longer texts would make
the PDFs slow to lay out (a single 1 MB word keeps WeasyPrint busy for minutes)."""


class PlainTextFormField(forms.CharField):
    """The form field of a ``SanitizedTextField``: a ``CharField`` that, when required,
    refuses a value that is only markup (code ``markup_only``), which would be saved empty.

    ``required`` is read when validating, so it also holds for the ``_en`` column that
    django-modeltranslation's admin makes required after building the form.
    """

    default_error_messages = {"markup_only": MARKUP_ONLY}

    def validate(self, value: object) -> None:
        """``CharField``'s checks, then ``ValidationError`` for a required value that ``is_markup_only``."""
        super().validate(value)
        if self.required and is_markup_only(value):
            raise ValidationError(self.error_messages["markup_only"], code="markup_only")


class SanitizedTextField(models.TextField):
    """A ``TextField`` whose value is stored through ``strip_markup``.

    ``pre_save`` cleans the instance's value and puts the clean text back on the instance
    (so the object that was saved shows what the database holds); ``get_prep_value``
    cleans every value written by a query (``bulk_create``, ``bulk_update``,
    ``QuerySet.update``) and the right-hand side of exact lookups, which then match the
    stored, cleaned texts. ``None`` (the empty translation of a modeltranslation
    column) is stored as ``None``. Field options are those of ``TextField``.

    A required field (``blank=False``) refuses, on validation (``full_clean``), a value
    that is nothing but markup such as ``<script>…</script>``: stored, it would become
    empty. Its form field (``PlainTextFormField``) refuses it too when required.
    """

    default_error_messages = {"markup_only": MARKUP_ONLY}

    def validate(self, value: object, model_instance: models.Model | None) -> None:
        """``TextField``'s checks, then ``ValidationError`` (code ``markup_only``) if the field
        is required and ``value`` ``is_markup_only``."""
        super().validate(value, model_instance)
        if not self.blank and is_markup_only(value):
            raise ValidationError(self.error_messages["markup_only"], code="markup_only")

    def formfield(self, **kwargs) -> forms.Field:
        """``TextField``'s form field (a textarea), of class ``PlainTextFormField`` unless
        ``form_class`` is given, refusing more than ``max_length`` characters (by default
        ``LONG_TEXT_MAX_CHARS``)."""
        return super().formfield(
            **{"form_class": PlainTextFormField, "max_length": self.max_length or LONG_TEXT_MAX_CHARS, **kwargs}
        )

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        """The value to store for ``model_instance``: its current value, cleaned.

        The clean value is written to the instance's ``__dict__`` under ``attname``
        rather than with ``setattr``: for a field django-modeltranslation has registered
        (``description``), ``setattr`` would copy the active language's text (or its
        fallback) into that language's own column; that column (``description_es``) is a
        ``SanitizedTextField`` too and cleans its own value.
        """
        value = super().pre_save(model_instance, add)
        if isinstance(value, str):
            value = strip_markup(value)
            model_instance.__dict__[self.attname] = value
        return value

    def get_prep_value(self, value: object) -> object:
        """``value`` as ``TextField`` prepares it, then through ``strip_markup`` if a string."""
        value = super().get_prep_value(value)
        if isinstance(value, str):
            return strip_markup(value)
        return value
