"""Template filters that print concept-note text: paragraphs, footnote markers, agenda roles.

Load with ``{% load concept_note %}``; used by the session page and the PDF templates.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.models import FOOTNOTE_MARKER, SpeakerRole

register = template.Library()

_FOOTNOTE_RUN = re.compile(rf"(?:\s?{FOOTNOTE_MARKER.pattern})+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

_ROLE_PLURALS = {
    SpeakerRole.Role.SPEAKER: gettext_lazy("Speakers"),
    SpeakerRole.Role.FACILITATOR: gettext_lazy("Facilitators"),
    SpeakerRole.Role.RAPPORTEUR: gettext_lazy("Session rapporteurs"),
    SpeakerRole.Role.RAPPORTEURSHIP: gettext_lazy("Rapporteurship"),
    SpeakerRole.Role.PANELIST: gettext_lazy("Panelists"),
    SpeakerRole.Role.PARTICIPANT: gettext_lazy("Participants"),
}


@register.filter
def paragraphs(text: str) -> SafeString:
    """Escape ``text`` and wrap each blank-line-separated paragraph in ``<p>``."""
    parts = [part.strip() for part in _PARAGRAPH_BREAK.split(text or "") if part.strip()]
    return mark_safe("".join(format_html("<p>{}</p>", part) for part in parts))


@register.filter
def footnoted(text: str, id_prefix: str = "") -> SafeString:
    """Like ``paragraphs``, and turn each ``[^N]`` marker into a superscript link to ``#{prefix}ref-N``.

    The reference list links back with ``id="{prefix}ref-N"``; each marker gets
    ``id="{prefix}refmark-N"`` (the first occurrence only, so ids stay unique). Markers
    next to each other ("[^2] [^9]") share one superscript, separated by commas, so
    they cannot read as footnote 29.
    """
    seen: set[str] = set()

    def link(number: str) -> str:
        anchor = "" if number in seen else f' id="{id_prefix}refmark-{number}"'
        seen.add(number)
        label = escape(_("Footnote %(number)s") % {"number": number})
        return f'<a href="#{id_prefix}ref-{number}"{anchor} role="doc-noteref" aria-label="{label}">{number}</a>'

    def marker_run(match: re.Match) -> str:
        links = ",".join(link(number) for number in FOOTNOTE_MARKER.findall(match.group(0)))
        return f'<sup class="footnote-ref">{links}</sup>'

    parts = [part.strip() for part in _PARAGRAPH_BREAK.split(text or "") if part.strip()]
    return mark_safe("".join(f"<p>{_FOOTNOTE_RUN.sub(marker_run, escape(part))}</p>" for part in parts))


@register.filter
def cites(text: str, number: int | str) -> bool:
    """True if ``text`` carries the footnote marker ``[^number]``.

    The references list uses it to link back only to markers that exist on the page.
    """
    return f"[^{number}]" in (text or "")


@dataclass(frozen=True)
class RoleGroup:
    """Consecutive appearances of one agenda item that share a role.

    ``label`` is the role as printed for one appearance ("Facilitator"), ``plural``
    for several ("Participants"); ``roles`` keeps the agenda's order.
    """

    role: str
    label: str
    plural: str
    roles: list[SpeakerRole]

    @property
    def heading(self) -> str:
        """The label to print before the group: singular for one appearance, plural otherwise."""
        return self.label if len(self.roles) == 1 else str(self.plural)


@register.filter
def role_groups(speaker_roles: Iterable[SpeakerRole]) -> list[RoleGroup]:
    """Group an agenda item's ordered speaker roles into runs of the same role.

    Input: the roles in their agenda order (e.g. ``item.speaker_role_list``). Output: one
    ``RoleGroup`` per run, so "Facilitator", "Session rapporteur" and the list of
    "Participants" print in the order the concept note gives them. Does no query.
    """
    groups: list[RoleGroup] = []
    for speaker_role in speaker_roles:
        if groups and groups[-1].role == speaker_role.role:
            groups[-1].roles.append(speaker_role)
            continue
        role = SpeakerRole.Role(speaker_role.role)
        groups.append(
            RoleGroup(role=role.value, label=str(role.label), plural=_ROLE_PLURALS[role], roles=[speaker_role])
        )
    return groups
