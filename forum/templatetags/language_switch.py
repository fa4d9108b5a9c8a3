"""The language switch's target URLs: ``{% load language_switch %}``, ``{% translated_path "es" %}``.

Django's ``set_language`` view translates its ``next`` URL with ``translate_url``, which
resolves the path in the language active for the switch request itself (from the
cookie or the browser's ``Accept-Language``, since ``/i18n/setlang/`` has no prefix). A
visitor reading ``/es/…`` with an English browser would then stay on ``/es/…``: the
Spanish path does not resolve in English. So each of the switch's forms carries its
page's path already translated here, while the page's own language is active; the view
finds nothing to translate in it and sends the visitor there.
"""

from django import template
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation

register = template.Library()


@register.simple_tag(takes_context=True)
def translated_path(context, language_code: str) -> str:
    """The current request's path and query string under ``language_code``'s prefix, e.g.
    "/es/forums/quito-2020/speakers/?page=2" for "/en/forums/quito-2020/speakers/?page=2".

    A path that does not resolve (a 404 page) comes back unchanged; without a request in the
    context (the bare 500 page) the result is "", which ``set_language`` answers by going
    back to the referring page.
    """
    request = context.get("request")
    if request is None:
        return ""
    full_path = request.get_full_path()
    match = request.resolver_match
    if match is None:
        return translate_url(full_path, language_code)
    # What translate_url does, without resolving the path again: the request already was.
    if match.url_name is None:
        return full_path
    try:
        with translation.override(language_code):
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except NoReverseMatch:
        return full_path
    _path, question_mark, query = full_path.partition("?")
    return f"{path}{question_mark}{query}"
