"""Content fields of the event core kept in English and Spanish (django-modeltranslation).

Each registered field ``f`` gets ``f_en`` and ``f_es`` columns; reading ``f`` gives the
active language's text, falling back to the other language when it is empty
(``MODELTRANSLATION_FALLBACK_LANGUAGES`` in settings). Names of places and people stay
in one language.
"""

from modeltranslation.translator import TranslationOptions, register

from forum.models import Forum, Organization


@register(Forum)
class ForumTranslationOptions(TranslationOptions):
    """A forum's title, edition theme, introduction, series name and venue."""

    fields = ("title", "theme", "description", "part_of", "venue")


@register(Organization)
class OrganizationTranslationOptions(TranslationOptions):
    """An organization's name and acronym (IOM / OIM)."""

    fields = ("name", "acronym")
