"""The ``load_quito_forum`` command against the concept note it transcribes."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from forum.models import Forum, Organization, Person
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SessionOrganizer, SpeakerRole, Theme

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

MODELS = [
    Forum,
    Organization,
    Person,
    Theme,
    Session,
    SessionOrganizer,
    Reference,
    KeyQuestion,
    AgendaItem,
    SpeakerRole,
]


def snapshot() -> dict[str, list[dict]]:
    """Every row the seed writes, as plain dicts keyed by model name."""
    return {model.__name__: [model_to_dict(row) for row in model.objects.order_by("pk")] for model in MODELS}


def test_load_quito_forum_twice_leaves_the_same_rows():
    call_command("load_quito_forum", stdout=io.StringIO())
    first = snapshot()

    call_command("load_quito_forum", stdout=io.StringIO())

    assert snapshot() == first
    assert {name: len(rows) for name, rows in first.items()} == {
        "Forum": 1,
        "Organization": 7,
        "Person": 10,
        "Theme": 1,
        "Session": 1,
        "SessionOrganizer": 3,
        "Reference": 3,
        "KeyQuestion": 5,
        "AgendaItem": 5,
        "SpeakerRole": 15,
    }


def test_load_quito_forum_again_keeps_organizers_edits(quito_session):
    quito_session.title = "Edited by an organizer"
    quito_session.save()
    conversation = quito_session.agenda_items.get(order=4)
    fourth, fifth = conversation.speaker_roles.filter(order__in=[4, 5]).order_by("order")
    fourth.order, fifth.order = 99, 4
    fourth.save()
    fifth.save()
    fourth.order = 5
    fourth.save()
    before = snapshot()

    out = io.StringIO()
    call_command("load_quito_forum", stdout=out)

    assert "already loaded" in out.getvalue()
    assert snapshot() == before
    assert Session.objects.get().title == "Edited by an organizer"


def test_load_quito_forum_reuses_existing_people_and_organizations():
    Person.objects.create(slug="roi-chiti", name="Roi Chiti", position="Edited elsewhere")

    call_command("load_quito_forum", stdout=io.StringIO())

    roi = Person.objects.get(slug="roi-chiti")
    assert roi.position == "Edited elsewhere"
    assert roi.speaker_roles.get().affiliation == "UN-Habitat"


def test_load_quito_forum_stores_the_forum_facts(quito_forum):
    assert quito_forum.edition == 6
    assert quito_forum.title == "6th Mayoral Forum on Human Mobility, Migration, and Development"
    assert quito_forum.theme == "From Large Movements to the UN Global Compacts: Cities as First Responders"
    assert (quito_forum.city, quito_forum.country) == ("Quito", "Ecuador")
    assert quito_forum.start_date == quito_forum.end_date == date(2020, 1, 22)
    assert quito_forum.time_zone == "America/Guayaquil"
    assert "Global Forum on Migration and Development (GFMD)" in quito_forum.part_of
    assert quito_forum.description.count("\n\n") == 3
    assert not quito_forum.sessions.filter(kind=Session.Kind.PLENARY).exists()


def test_load_quito_forum_stores_the_session_in_quito_time(quito_session):
    local = quito_session.forum.tzinfo
    assert quito_session.kind == Session.Kind.PARALLEL
    assert quito_session.theme.title.startswith("Cities' responses to large movements")
    assert quito_session.start.astimezone(local).strftime("%Y-%m-%d %H:%M") == "2020-01-22 14:00"
    assert quito_session.end.astimezone(local).strftime("%H:%M") == "16:30"
    assert quito_session.start.isoformat() == "2020-01-22T19:00:00+00:00"
    assert [o.organization.acronym or o.organization.name for o in quito_session.organizers.order_by("order")] == [
        "Cities Alliance",
        "UNDP",
        "ICMPD",
    ]
    assert quito_session.context.count("[^") == 3
    assert list(quito_session.references.values_list("number", flat=True)) == [1, 2, 3]


def test_load_quito_forum_stores_each_appearance_as_printed(quito_session):
    conversation = quito_session.agenda_items.get(order=4)
    rows = [
        (r.get_role_display(), r.display_name, r.printed_affiliation)
        for r in conversation.speaker_roles.select_related("person").order_by("order")
    ]

    assert rows[:3] == [
        ("Facilitator", "Anaclaudia Marinheiro Centeno Rossbach", "Regional Director of Cities Alliance Latin America"),
        ("Session rapporteur", "David Khoudour", "UNDP"),
        ("Rapporteurship", "Ana Ruiz Nieves", "Cities Alliance"),
    ]
    assert (
        "Participant",
        "María Fernanda Garcés",
        "Secretaria de Desarrollo Productivo y Competitividad del Municipio de Quito",
    ) in rows
    assert rows[-1] == ("Participant", "Youth representatives in the Forum", "")
    assert [
        (item.start.astimezone(quito_session.forum.tzinfo).strftime("%H:%M"), item.title)
        for item in quito_session.agenda_items.order_by("order")
    ][0] == ("14:00", "Introduction of session objectives and participants")


def test_load_quito_forum_after_the_forum_is_deleted_reuses_a_renamed_organization(quito_forum):
    Organization.objects.filter(slug="undp").update(slug="pnud")
    quito_forum.delete()

    call_command("load_quito_forum", stdout=io.StringIO())

    assert Organization.objects.filter(name="United Nations Development Program").count() == 1
    assert Session.objects.get().organizers.filter(organization__slug="pnud").exists()


def test_load_quito_forum_recognizes_the_forum_under_a_new_slug(quito_forum):
    quito_forum.slug = "quito"
    quito_forum.save()

    call_command("load_quito_forum", stdout=io.StringIO())

    assert list(Forum.objects.values_list("slug", flat=True)) == ["quito"]
