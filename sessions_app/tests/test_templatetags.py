"""The concept-note filters: paragraphs, footnote markers, and agenda roles grouped for print."""

from itertools import count

import pytest
from django.template import Context, Template

from forum.models import Person
from sessions_app.models import SpeakerRole
from sessions_app.templatetags.concept_note import cites, footnoted, paragraphs, role_groups

pytestmark = [pytest.mark.unit]

_ids = count(1)


def role(kind: str, name: str = "", group: str = "") -> SpeakerRole:
    """An unsaved appearance of a person called ``name`` (or of the named ``group``)."""
    person = Person(pk=next(_ids), name=name, slug=name.lower().replace(" ", "-")) if name else None
    return SpeakerRole(role=kind, person=person, group_name=group)


def test_paragraphs_wraps_blank_line_separated_paragraphs_and_escapes():
    html = paragraphs("First <b>bold</b> claim.\n\n  \nSecond line one\nline two.")

    assert html == "<p>First &lt;b&gt;bold&lt;/b&gt; claim.</p><p>Second line one\nline two.</p>"


def test_paragraphs_of_empty_text_is_empty():
    assert paragraphs("") == ""
    assert paragraphs(None) == ""


def test_footnoted_links_markers_to_references_once_with_ids():
    html = footnoted('He said "newcomers." [^1]\n\nIn settlements.[^2] Again.[^1]')

    assert html.startswith('<p>He said &quot;newcomers.&quot;<sup class="footnote-ref"><a href="#ref-1" id="refmark-1"')
    assert '<a href="#ref-2" id="refmark-2"' in html
    assert html.count('id="refmark-1"') == 1
    assert html.count('href="#ref-1"') == 2
    assert html.count("<p>") == 2


def test_footnoted_takes_an_id_prefix_and_escapes_text():
    html = footnoted("<script>x</script>[^3]", "s7-")

    assert "&lt;script&gt;" in html
    assert '<a href="#s7-ref-3" id="s7-refmark-3"' in html


def test_footnoted_in_a_template_is_not_escaped_twice():
    rendered = Template("{% load concept_note %}{{ text|footnoted }}").render(Context({"text": "A & B.[^1]"}))

    assert rendered.startswith("<p>A &amp; B.<sup")


def test_footnoted_puts_adjacent_markers_in_one_superscript_with_a_comma():
    html = footnoted("Housing.[^2] [^9] Then more.")

    assert html.count("<sup") == 1
    assert 'href="#ref-2"' in html and 'href="#ref-9"' in html
    assert '>2</a>,<a href="#ref-9"' in html
    assert html.endswith("</sup> Then more.</p>")


def test_cites_tells_whether_a_reference_is_marked_in_the_text():
    assert cites("Cited here.[^2]", 2)
    assert not cites("Cited here.[^2]", 1)
    assert not cites("", 1)


def test_role_groups_keeps_agenda_order_and_groups_consecutive_roles():
    roles = [
        role(SpeakerRole.Role.FACILITATOR, "Anaclaudia Marinheiro Centeno Rossbach"),
        role(SpeakerRole.Role.RAPPORTEUR, "David Khoudour"),
        role(SpeakerRole.Role.RAPPORTEURSHIP, "Ana Ruiz Nieves"),
        role(SpeakerRole.Role.PARTICIPANT, "Alfred Woeger"),
        role(SpeakerRole.Role.PARTICIPANT, "María Fernanda Garcés"),
        role(SpeakerRole.Role.PARTICIPANT, group="Youth representatives in the Forum"),
    ]

    groups = role_groups(roles)

    assert [(group.heading, [r.display_name for r in group.roles]) for group in groups] == [
        ("Facilitator", ["Anaclaudia Marinheiro Centeno Rossbach"]),
        ("Session rapporteur", ["David Khoudour"]),
        ("Rapporteurship", ["Ana Ruiz Nieves"]),
        ("Participants", ["Alfred Woeger", "María Fernanda Garcés", "Youth representatives in the Forum"]),
    ]


def test_role_groups_uses_singular_for_one_and_plural_for_several():
    one, several = (
        role_groups([role(SpeakerRole.Role.PANELIST, "A")]),
        role_groups([role(SpeakerRole.Role.SPEAKER, "A"), role(SpeakerRole.Role.SPEAKER, "B")]),
    )

    assert one[0].heading == "Panelist"
    assert several[0].heading == "Speakers"


def test_role_groups_does_not_merge_a_role_that_comes_back_later():
    groups = role_groups(
        [
            role(SpeakerRole.Role.SPEAKER, "A"),
            role(SpeakerRole.Role.PARTICIPANT, "B"),
            role(SpeakerRole.Role.SPEAKER, "C"),
        ]
    )

    assert [group.role for group in groups] == ["speaker", "participant", "speaker"]


def test_role_groups_of_no_roles_is_empty():
    assert role_groups([]) == []


def test_footnoted_leaves_numbers_with_leading_zeros_as_plain_text():
    html = footnoted("See x[^0001] and y[^1].")

    assert "[^0001]" in html
    assert 'href="#ref-0001"' not in html
    assert 'href="#ref-1"' in html
