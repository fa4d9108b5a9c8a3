"""Programme content kept in English and Spanish (django-modeltranslation).

Each registered field ``f`` gets ``f_en`` and ``f_es`` columns; reading ``f`` gives the
active language's text, falling back to the other language when it is empty
(``MODELTRANSLATION_FALLBACK_LANGUAGES`` in settings).
"""

from modeltranslation.translator import TranslationOptions, register

from sessions_app.models import AgendaItem, KeyQuestion, Recommendation, RecommendationsDocument, Session, Theme


@register(Theme)
class ThemeTranslationOptions(TranslationOptions):
    """A theme's title."""

    fields = ("title",)


@register(Session)
class SessionTranslationOptions(TranslationOptions):
    """The concept-note sections of a session."""

    fields = ("title", "objective", "context", "methodology", "expected_result")


@register(KeyQuestion)
class KeyQuestionTranslationOptions(TranslationOptions):
    """A key question's text."""

    fields = ("text",)


@register(AgendaItem)
class AgendaItemTranslationOptions(TranslationOptions):
    """An agenda item's title."""

    fields = ("title",)


@register(RecommendationsDocument)
class RecommendationsDocumentTranslationOptions(TranslationOptions):
    """The prose of a session's recommendations document."""

    fields = ("introduction", "conclusions")


@register(Recommendation)
class RecommendationTranslationOptions(TranslationOptions):
    """A recommendation's text and the actors it addresses."""

    fields = ("text", "actors")
