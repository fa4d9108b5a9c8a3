"""The organizers' admin for sessions and agendas, driven through its real add and change views.

Times are posted as an organizer types them, in the forum's zone (America/Guayaquil,
UTC−5): 14:00 posted is 19:00 UTC stored.
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum.models import Organization, Person, Room
from forum.tests.db_refusals import unique_violation
from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory
from sessions_app.models import (
    AgendaItem,
    GeneratedDocument,
    KeyQuestion,
    Reference,
    Session,
    SessionOrganizer,
    SpeakerRole,
)
from sessions_app.services import document_request
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time
from sessions_app.tests.pdf_support import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

QUITO = ZoneInfo("America/Guayaquil")
CONVERSATION = 3  # index of "Conversation" (14:30–16:20) in the Quito agenda


def management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def split(name: str, moment: datetime) -> dict[str, str]:
    """The two inputs of an admin date/time field, in Quito time."""
    local = moment.astimezone(QUITO)
    return {f"{name}_0": local.strftime("%Y-%m-%d"), f"{name}_1": local.strftime("%H:%M")}


def session_post(session: Session) -> dict[str, str]:
    """The session change form as it stands in the database, with every inline."""
    data = {
        "forum": str(session.forum_id),
        "kind": session.kind,
        "theme": str(session.theme_id or ""),
        "title_en": session.title,
        "slug": session.slug,
        **split("start", session.start),
        **split("end", session.end),
        "room": str(session.room_id or ""),
        "capacity": str(session.capacity or ""),
        "objective_en": session.objective,
        "context_en": session.context,
        "methodology_en": session.methodology,
        "expected_result_en": session.expected_result,
    }
    inlines = {
        "organizers": (
            session.organizers.order_by("order"),
            lambda row: {"order": row.order, "organization": row.organization_id, "role": row.role},
        ),
        "references": (
            session.references.order_by("number"),
            lambda row: {"number": row.number, "citation": row.citation},
        ),
        "key_questions": (
            session.key_questions.order_by("order"),
            lambda row: {"order": row.order, "text_en": row.text},
        ),
        "agenda_items": (
            session.agenda_items.order_by("order"),
            lambda row: {"order": row.order, **times(row.start, row.end), "title_en": row.title},
        ),
    }
    for prefix, (rows, fields) in inlines.items():
        rows = list(rows)
        data.update(management(prefix, len(rows), len(rows)))
        for i, row in enumerate(rows):
            values = {"id": row.pk, "session": session.pk, **fields(row)}
            data.update({f"{prefix}-{i}-{name}": str(value) for name, value in values.items()})
    return data


def agenda_item_post(item: AgendaItem) -> dict[str, str]:
    """The agenda item change form as it stands in the database, with its speaker roles."""
    data = {
        "session": str(item.session_id),
        "order": str(item.order),
        **split("start", item.start),
        **split("end", item.end),
        "title_en": item.title,
    }
    roles = list(item.speaker_roles.order_by("order"))
    data.update(management("speaker_roles", len(roles), len(roles)))
    for i, role in enumerate(roles):
        data.update(existing_role_fields(i, role))
    return data


def speaker_role_fields(index: int, **values) -> dict[str, str]:
    """POST fields of speaker role form ``index``: blank except for ``values``."""
    fields = dict.fromkeys(["order", "person", "group_name", "position", "affiliation", "organization"], "")
    fields["role"] = "speaker"
    fields.update({name: str(value) for name, value in values.items()})
    return {f"speaker_roles-{index}-{name}": value for name, value in fields.items()}


def existing_role_fields(index: int, role: SpeakerRole) -> dict[str, str]:
    """POST fields of speaker role form ``index`` showing the stored ``role``."""
    return speaker_role_fields(
        index,
        id=role.pk,
        agenda_item=role.agenda_item_id,
        order=role.order,
        role=role.role,
        person=role.person_id or "",
        group_name=role.group_name,
        position=role.position,
        affiliation=role.affiliation,
        organization=role.organization_id or "",
    )


def add_speaker_role(data: dict, **values) -> None:
    """Append a new speaker role form to ``data`` (an agenda item POST)."""
    index = int(data["speaker_roles-TOTAL_FORMS"])
    data.update(speaker_role_fields(index, **values))
    data["speaker_roles-TOTAL_FORMS"] = str(index + 1)


def snapshot() -> tuple:
    """Every stored row the admin forms can change."""
    return (
        list(Session.objects.order_by("pk").values_list("pk", "start", "end", "room_id", "title", "context")),
        list(AgendaItem.objects.order_by("pk").values_list("pk", "session_id", "order", "start", "end", "title")),
        list(SpeakerRole.objects.order_by("pk").values_list("pk", "agenda_item_id", "order", "role", "person_id")),
        list(KeyQuestion.objects.order_by("pk").values_list("pk", "order", "text")),
        list(SessionOrganizer.objects.order_by("pk").values_list("pk", "order", "organization_id")),
        list(Reference.objects.order_by("pk").values_list("pk", "number", "citation")),
    )


def add_row(data: dict, prefix: str, **values) -> None:
    """Append a new form to inline ``prefix`` of ``data`` with the given field values."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update({f"{prefix}-{index}-{name}": str(value) for name, value in values.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


def times(start: datetime, end: datetime) -> dict[str, str]:
    """The four inputs of a row's start and end (for ``add_row``), in Quito time."""
    return {**split("start", start), **split("end", end)}


def change_url(obj) -> str:
    return reverse(f"admin:sessions_app_{obj._meta.model_name}_change", args=[obj.pk])


def main_form(response):
    return response.context["adminform"].form


def inline_formset(response, prefix: str):
    return next(
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == prefix
    )


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2020, 1, 22, hour, minute, tzinfo=UTC)


def garces() -> Person:
    return Person.objects.get(slug="maria-fernanda-garces")


# Adding and editing


def test_agenda_item_add_stores_speaker_roles_in_order_and_reads_times_in_forum_zone(admin_client):
    session = SessionFactory(title="Partnerships")
    ForumFactory(time_zone="Asia/Tokyo")
    person = PersonFactory(name="María Fernanda Garcés")
    data = {
        "session": str(session.pk),
        "order": "1",
        "start_0": "2020-01-22",
        "start_1": "14:00",
        "end_0": "2020-01-22",
        "end_1": "14:10",
        "title_en": "Introduction of session objectives and participants",
        **management("speaker_roles", 0, 0),
    }
    add_speaker_role(data, order=2, role="participant", group_name="Youth representatives in the Forum")
    add_speaker_role(data, order=1, role="speaker", person=person.pk, position="Secretaria", affiliation="Quito")

    response = admin_client.post(reverse("admin:sessions_app_agendaitem_add"), data)

    assert response.status_code == 302
    item = AgendaItem.objects.get(session=session)
    assert (item.start, item.end) == (utc(19), utc(19, 10))
    assert list(item.speaker_roles.values_list("order", "role", "person__name", "group_name", "position")) == [
        (1, "speaker", "María Fernanda Garcés", "", "Secretaria"),
        (2, "participant", None, "Youth representatives in the Forum", ""),
    ]


def test_agenda_item_add_form_names_the_zone_of_the_session_in_the_url(admin_client):
    session = SessionFactory()
    ForumFactory(time_zone="Asia/Tokyo")

    response = admin_client.get(reverse("admin:sessions_app_agendaitem_add"), {"session": session.pk})

    assert response.status_code == 200
    assert main_form(response).fields["start"].help_text == "Times in America/Guayaquil (the forum's time zone)."


def test_agenda_item_change_reorders_and_adds_speaker_roles(admin_client, quito_session):
    item = quito_session.agenda_items.get(title="Conversation")
    data = agenda_item_post(item)
    data["speaker_roles-0-order"], data["speaker_roles-1-order"] = "2", "1"  # facilitator <-> rapporteur
    add_speaker_role(data, order=12, role="panelist", group_name="Mayors of the region")

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 302
    roles = list(item.speaker_roles.order_by("order").values_list("role", "person__name", "group_name"))
    assert roles[:2] == [
        ("rapporteur", "David Khoudour", ""),
        ("facilitator", "Anaclaudia Marinheiro Centeno Rossbach", ""),
    ]
    assert roles[-2:] == [
        ("participant", None, "Youth representatives in the Forum"),
        ("panelist", None, "Mayors of the region"),
    ]


def test_session_change_edits_the_quito_agenda(admin_client, quito_session):
    data = session_post(quito_session)
    data["agenda_items-0-title_en"] = "Welcome and introduction"
    data[f"agenda_items-{CONVERSATION}-end_1"] = "16:10"
    data["agenda_items-4-order"] = "6"
    data.update(
        {
            "agenda_items-5-session": str(quito_session.pk),
            "agenda_items-5-order": "5",
            "agenda_items-5-start_0": "2020-01-22",
            "agenda_items-5-start_1": "16:10",
            "agenda_items-5-end_0": "2020-01-22",
            "agenda_items-5-end_1": "16:20",
            "agenda_items-5-title_en": "Coffee break",
            "agenda_items-TOTAL_FORMS": "6",
        }
    )

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    assert list(quito_session.agenda_items.order_by("start").values_list("order", "title", "start", "end")) == [
        (1, "Welcome and introduction", utc(19), utc(19, 10)),
        (
            2,
            "Main migration trends in Latin America and the Caribbean and challenges for transit and "
            "reception municipalities",
            utc(19, 10),
            utc(19, 20),
        ),
        (3, "Results of the regional workshop in Lima on host cities (ICMPD)", utc(19, 20), utc(19, 30)),
        (4, "Conversation", utc(19, 30), utc(21, 10)),
        (5, "Coffee break", utc(21, 10), utc(21, 20)),
        (6, "Conclusions and recommendations for public policies", utc(21, 20), utc(21, 30)),
    ]
    assert SpeakerRole.objects.filter(agenda_item__session=quito_session).count() == 15


def test_session_change_swaps_agenda_item_numbers(admin_client, quito_session):
    data = session_post(quito_session)
    data.update(
        {
            "agenda_items-3-order": "5",
            "agenda_items-3-start_1": "14:40",
            "agenda_items-3-end_1": "16:30",
            "agenda_items-4-order": "4",
            "agenda_items-4-start_1": "14:30",
            "agenda_items-4-end_1": "14:40",
        }
    )

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    assert list(quito_session.agenda_items.order_by("order").values_list("title", flat=True))[3:] == [
        "Conclusions and recommendations for public policies",
        "Conversation",
    ]


def test_session_change_deletes_a_key_question_and_gives_its_number_to_another(admin_client, quito_session):
    data = session_post(quito_session)
    data["key_questions-4-DELETE"] = "on"
    data["key_questions-3-order"] = "5"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    assert list(quito_session.key_questions.order_by("order").values_list("order", "text")) == [
        (1, data["key_questions-0-text_en"]),
        (2, data["key_questions-1-text_en"]),
        (3, data["key_questions-2-text_en"]),
        (5, "How to better incorporate migration dynamics in local urban and housing policies?"),
    ]


def test_session_add_reads_times_in_the_posted_forums_zone(admin_client, quito_forum):
    ForumFactory(time_zone="Asia/Tokyo")
    data = {
        "forum": str(quito_forum.pk),
        "kind": "plenary",
        "title_en": "Opening plenary",
        "slug": "opening-plenary",
        "start_0": "2020-01-22",
        "start_1": "09:00",
        "end_0": "2020-01-22",
        "end_1": "10:00",
        **dict.fromkeys(
            ["theme", "room", "capacity", "objective_en", "context_en", "methodology_en", "expected_result_en"], ""
        ),
        **management("organizers", 0, 0),
        **management("references", 0, 0),
        **management("key_questions", 0, 0),
        **management("agenda_items", 1, 0),
        "agenda_items-0-order": "1",
        "agenda_items-0-start_0": "2020-01-22",
        "agenda_items-0-start_1": "09:00",
        "agenda_items-0-end_0": "2020-01-22",
        "agenda_items-0-end_1": "09:15",
        "agenda_items-0-title_en": "Welcome",
    }

    response = admin_client.post(reverse("admin:sessions_app_session_add"), data)

    assert response.status_code == 302
    session = Session.objects.get(slug="opening-plenary")
    assert (session.start, session.end) == (utc(14), utc(15))
    assert list(session.agenda_items.values_list("start", "end")) == [(utc(14), utc(14, 15))]


# Wrong input: a form error on the right field, nothing stored


def test_session_ending_before_it_starts_is_an_error_on_end(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["end_1"] = "13:00"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    assert "A session must end after it starts." in response.content.decode()
    form = main_form(response)
    assert form.has_error("end", code="end_before_start")
    assert form.non_field_errors() == []
    assert inline_formset(response, "agenda_items").is_valid()
    assert snapshot() == before


def test_agenda_item_ending_before_it_starts_is_an_error_on_end(admin_client, quito_session):
    before = snapshot()
    item = quito_session.agenda_items.get(order=1)
    data = agenda_item_post(item)
    data["end_1"] = "13:59"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "An agenda item must end after it starts." in response.content.decode()
    assert main_form(response).has_error("end", code="end_before_start")
    assert list(main_form(response).errors) == ["end"]
    assert snapshot() == before


def test_session_inline_item_ending_before_it_starts_is_an_error_on_its_end(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["agenda_items-1-end_1"] = "14:05"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    assert inline_formset(response, "agenda_items").forms[1].has_error("end", code="end_before_start")
    assert snapshot() == before


def test_session_inline_items_are_checked_against_the_new_session_times(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["start_1"] = "14:30"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    assert "The agenda item must lie within its session (Wed 22 Jan 2020, 14:30–16:30)." in response.content.decode()
    forms = inline_formset(response, "agenda_items").forms
    assert forms[0].has_error("start", code="outside_session")
    assert forms[0].has_error("end", code="outside_session")
    assert not forms[CONVERSATION].errors
    assert not main_form(response).errors
    assert snapshot() == before


def test_agenda_item_after_its_session_is_an_error_on_end(admin_client, quito_session):
    before = snapshot()
    item = quito_session.agenda_items.get(order=5)
    data = agenda_item_post(item)
    data["end_1"] = "16:40"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "The agenda item must lie within its session (Wed 22 Jan 2020, 14:00–16:30)." in response.content.decode()
    assert main_form(response).has_error("end", code="outside_session")
    assert not main_form(response).has_error("start")
    assert snapshot() == before


def test_agenda_item_before_its_session_is_an_error_on_start(admin_client, quito_session):
    before = snapshot()
    item = quito_session.agenda_items.get(order=1)
    data = agenda_item_post(item)
    data["start_1"] = "13:50"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert main_form(response).has_error("start", code="outside_session")
    assert not main_form(response).has_error("end")
    assert snapshot() == before


def test_session_inline_overlapping_items_are_an_error_on_the_later_start(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["agenda_items-1-start_1"] = "14:05"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    assert (
        "This item overlaps “Introduction of session objectives and participants” (14:00–14:10)."
        in response.content.decode()
    )
    forms = inline_formset(response, "agenda_items").forms
    assert forms[1].has_error("start", code="agenda_overlap")
    assert not forms[0].errors
    assert snapshot() == before


def test_session_inline_overlap_check_ignores_items_marked_for_deletion(admin_client, quito_session):
    data = session_post(quito_session)
    data["agenda_items-0-DELETE"] = "on"
    data["agenda_items-1-start_1"] = "14:00"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    first = quito_session.agenda_items.order_by("start").first()
    assert (first.order, first.start) == (2, utc(19))
    assert quito_session.agenda_items.count() == 4


def test_agenda_item_starting_inside_a_sibling_is_an_error_on_start(admin_client, quito_session):
    before = snapshot()
    item = quito_session.agenda_items.get(order=5)
    data = agenda_item_post(item)
    data["start_1"] = "16:15"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "This item overlaps “Conversation” (14:30–16:20)." in response.content.decode()
    assert main_form(response).has_error("start", code="agenda_overlap")
    assert snapshot() == before


def test_new_agenda_item_running_into_a_sibling_is_an_error_on_end(admin_client):
    session = SessionFactory()
    AgendaItemFactory(session=session, order=2, start=quito_time(14, 30), end=quito_time(15), title="Panel")
    before = snapshot()
    data = {
        "session": str(session.pk),
        "order": "1",
        "start_0": "2020-01-22",
        "start_1": "14:00",
        "end_0": "2020-01-22",
        "end_1": "14:40",
        "title_en": "Opening",
        **management("speaker_roles", 0, 0),
    }

    response = admin_client.post(reverse("admin:sessions_app_agendaitem_add"), data)

    assert response.status_code == 200
    assert "This item overlaps “Panel” (14:30–15:00)." in response.content.decode()
    assert main_form(response).has_error("end", code="agenda_overlap")
    assert snapshot() == before


def test_speaker_booked_in_a_concurrent_session_is_an_error_on_person(admin_client, quito_session):
    other = SessionFactory(forum=quito_session.forum, start=quito_time(15), end=quito_time(16))
    item = AgendaItemFactory(session=other, order=1, start=quito_time(15), end=quito_time(15, 30))
    before = snapshot()
    data = agenda_item_post(item)
    add_speaker_role(data, order=1, role="speaker", person=garces().pk)

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert (
        "María Fernanda Garcés is already booked in the concurrent session "
        f"“{quito_session.title}”." in response.content.decode()
    )
    assert inline_formset(response, "speaker_roles").forms[0].has_error("person", code="person_clash")
    assert snapshot() == before


def test_session_moved_onto_a_speakers_other_booking_is_an_error_on_start(admin_client, quito_session):
    other = SessionFactory(forum=quito_session.forum, start=quito_time(17), end=quito_time(18))
    item = AgendaItemFactory(session=other, order=1, start=quito_time(17), end=quito_time(17, 30))
    SpeakerRoleFactory(agenda_item=item, order=1, person=garces())
    before = snapshot()
    data = session_post(other)
    data.update(
        {"start_1": "15:00", "end_1": "16:00", "agenda_items-0-start_1": "15:00", "agenda_items-0-end_1": "15:30"}
    )

    response = admin_client.post(change_url(other), data)

    assert response.status_code == 200
    assert (
        "María Fernanda Garcés is already booked in the concurrent session "
        f"“{quito_session.title}”." in response.content.decode()
    )
    assert main_form(response).has_error("start", code="person_clash")
    assert snapshot() == before


def test_session_in_a_room_already_used_at_that_time_is_an_error_on_room(admin_client, quito_session):
    room = RoomFactory(forum=quito_session.forum, name="Sala Metropolitana")
    Session.objects.filter(pk=quito_session.pk).update(room=room)
    other = SessionFactory(forum=quito_session.forum, start=quito_time(17), end=quito_time(18))
    before = snapshot()
    data = session_post(other)
    data.update({"room": str(room.pk), "start_1": "16:00", "end_1": "17:00"})

    response = admin_client.post(change_url(other), data)

    assert response.status_code == 200
    assert f"Sala Metropolitana is already used by “{quito_session.title}” at that time." in response.content.decode()
    assert main_form(response).has_error("room", code="room_clash")
    assert snapshot() == before


def test_duplicate_numbers_in_an_inline_are_a_formset_error(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["key_questions-1-order"] = "1"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    formset = inline_formset(response, "key_questions")
    assert formset.non_form_errors() == ["Please correct the duplicate data for order."]
    assert formset.forms[1].non_field_errors() == ["Please correct the duplicate values below."]
    assert snapshot() == before


def test_agenda_item_taking_a_siblings_number_is_a_form_error(admin_client, quito_session):
    before = snapshot()
    item = quito_session.agenda_items.get(order=5)
    data = agenda_item_post(item)
    data["order"] = "4"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert main_form(response).non_field_errors() == ["Agenda item with this Session and Order already exists."]
    assert snapshot() == before


def test_same_person_twice_in_one_role_is_an_error_on_person(admin_client, quito_session):
    item = quito_session.agenda_items.get(order=2)
    before = snapshot()
    data = agenda_item_post(item)
    add_speaker_role(data, order=2, role="speaker", person=Person.objects.get(slug="matilde-mordt").pk)

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "Matilde Mordt already appears as Speaker in this agenda item." in response.content.decode()
    assert inline_formset(response, "speaker_roles").forms[1].has_error("person", code="duplicate_role")
    assert snapshot() == before


def test_speaker_role_without_person_or_group_is_an_error_on_person(admin_client, quito_session):
    item = quito_session.agenda_items.get(order=2)
    before = snapshot()
    data = agenda_item_post(item)
    add_speaker_role(data, order=2, role="speaker", position="Mayor")

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "Choose a person or name a group." in response.content.decode()
    assert inline_formset(response, "speaker_roles").forms[1].has_error("person", code="no_speaker")
    assert snapshot() == before


def test_session_on_a_day_outside_the_forum_is_an_error_on_start_and_end(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["start_0"] = data["end_0"] = "2021-06-15"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    form = main_form(response)
    assert form.errors["start"] == [
        "The session starts on Tue 15 Jun 2021, outside the forum's dates (Wed 22 Jan 2020)."
    ]
    assert form.errors["end"] == ["The session ends on Tue 15 Jun 2021, outside the forum's dates (Wed 22 Jan 2020)."]
    assert snapshot() == before


def test_session_running_into_later_days_is_an_error_on_end(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data.update({"start_1": "20:00", "end_0": "2020-01-25", "end_1": "10:00"})

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    form = main_form(response)
    assert form.has_error("end", code="outside_forum")
    assert not form.has_error("start")
    assert snapshot() == before


def test_agenda_items_left_behind_name_the_day_their_session_moved_to(admin_client):
    session = SessionFactory(forum=ForumFactory(end_date=date(2020, 1, 23)))
    AgendaItemFactory(session=session, order=1, start=quito_time(14), end=quito_time(14, 10))
    before = snapshot()
    data = session_post(session)
    data["start_0"] = data["end_0"] = "2020-01-23"

    response = admin_client.post(change_url(session), data)

    assert response.status_code == 200
    item_form = inline_formset(response, "agenda_items").forms[0]
    assert item_form.errors["start"] == ["The agenda item must lie within its session (Thu 23 Jan 2020, 14:00–16:30)."]
    assert not main_form(response).errors
    assert snapshot() == before


def test_agenda_numbered_against_the_times_is_an_error_on_the_later_numbers_order(admin_client):
    session = SessionFactory(start=quito_time(18), end=quito_time(19))
    before = snapshot()
    data = session_post(session)
    add_row(data, "agenda_items", order=1, **times(quito_time(18, 30), quito_time(19)), title_en="Closing")
    add_row(data, "agenda_items", order=2, **times(quito_time(18), quito_time(18, 30)), title_en="Opening")

    response = admin_client.post(change_url(session), data)

    assert response.status_code == 200
    forms = inline_formset(response, "agenda_items").forms
    assert forms[1].errors["order"] == ["Number the agenda items in time order: item 2 starts before item 1."]
    assert forms[1].has_error("order", code="misnumbered")
    assert not forms[0].errors
    assert snapshot() == before


@pytest.mark.parametrize(("order", "start", "end"), [(2, (18, 0), (18, 30)), (0, (19, 0), (19, 15))])
def test_agenda_item_numbered_against_its_siblings_times_is_an_error_on_order(admin_client, order, start, end):
    session = SessionFactory(start=quito_time(18), end=quito_time(19, 30))
    AgendaItemFactory(session=session, order=1, start=quito_time(18, 30), end=quito_time(19), title="Closing")
    before = snapshot()
    data = {
        "session": str(session.pk),
        "order": str(order),
        **times(quito_time(*start), quito_time(*end)),
        "title_en": "Opening",
        **management("speaker_roles", 0, 0),
    }

    response = admin_client.post(reverse("admin:sessions_app_agendaitem_add"), data)

    assert response.status_code == 200
    assert main_form(response).has_error("order", code="misnumbered")
    assert list(main_form(response).errors) == ["order"]
    assert snapshot() == before


def test_agenda_item_message_names_the_item_that_starts_earlier(admin_client):
    session = SessionFactory(start=quito_time(18), end=quito_time(19))
    AgendaItemFactory(session=session, order=1, start=quito_time(18, 30), end=quito_time(19), title="Closing")
    data = {
        "session": str(session.pk),
        "order": "2",
        **times(quito_time(18), quito_time(18, 30)),
        "title_en": "Opening",
        **management("speaker_roles", 0, 0),
    }

    response = admin_client.post(reverse("admin:sessions_app_agendaitem_add"), data)

    assert main_form(response).errors["order"] == [
        "Number the agenda items in time order: item 2 starts before item 1."
    ]


# Numbers: at most 999, so that renumbering can park rows above them


@pytest.mark.parametrize(
    "field",
    ["key_questions-4-order", "references-2-number", "organizers-2-order", "agenda_items-4-order"],
)
@pytest.mark.parametrize("value", ["1000", "32767"])
def test_inline_number_above_999_is_an_error_on_that_number(admin_client, quito_session, field, value):
    before = snapshot()
    data = session_post(quito_session)
    data[field] = value

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    prefix, index, name = field.split("-")
    row = inline_formset(response, prefix).forms[int(index)]
    assert row.errors[name] == ["Use a number up to 999."]
    assert row.has_error(name, code="max_value")
    assert snapshot() == before


def test_agenda_item_and_speaker_role_numbers_above_999_are_errors_on_order(admin_client, quito_session):
    item = quito_session.agenda_items.get(order=5)
    before = snapshot()
    data = agenda_item_post(item)
    data["order"] = data["speaker_roles-0-order"] = "32767"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert main_form(response).has_error("order", code="max_value")
    assert inline_formset(response, "speaker_roles").forms[0].has_error("order", code="max_value")
    assert snapshot() == before


def test_number_stored_above_999_can_be_corrected_or_deleted(admin_client, quito_session):
    questions = quito_session.key_questions
    questions.filter(order=5).update(order=20000)
    data = session_post(quito_session)
    data["key_questions-4-order"] = "5"

    corrected = admin_client.post(change_url(quito_session), data)

    assert corrected.status_code == 302
    assert list(questions.order_by("order").values_list("order", flat=True)) == [1, 2, 3, 4, 5]

    questions.filter(order=5).update(order=32767)
    data = session_post(quito_session)
    data["key_questions-4-DELETE"] = "on"
    data["key_questions-0-order"] = "6"

    deleted = admin_client.post(change_url(quito_session), data)

    assert deleted.status_code == 302
    assert list(questions.order_by("order").values_list("order", flat=True)) == [2, 3, 4, 6]


# Stale pages: a second click on Save, or two tabs


STALE = (
    "This list changed since the page was loaded (perhaps a second click on Save or another tab). "
    "Reload the page and make your change again."
)


@pytest.mark.parametrize("prefix", ["key_questions", "references", "organizers", "agenda_items"])
def test_posting_a_new_session_inline_row_twice_is_a_formset_error(admin_client, prefix):
    session = SessionFactory()
    new_rows = {
        "key_questions": {"order": 1, "text_en": "Which partnerships are needed?"},
        "references": {"number": 1, "citation": "IOM, World Migration Report 2020."},
        "organizers": {"order": 1, "organization": OrganizationFactory().pk, "role": "organizer"},
        "agenda_items": {"order": 1, **times(quito_time(14), quito_time(14, 10)), "title_en": "Opening"},
    }
    data = session_post(session)
    add_row(data, prefix, **new_rows[prefix])

    first = admin_client.post(change_url(session), data)
    saved = snapshot()
    second = admin_client.post(change_url(session), data)

    assert first.status_code == 302
    assert second.status_code == 200
    formset = inline_formset(second, prefix)
    assert formset.non_form_errors() == [STALE]
    assert formset.non_form_errors().as_data()[0].code == "stale"
    assert STALE in second.content.decode()
    assert snapshot() == saved
    assert len(saved[3 if prefix == "key_questions" else 0]) == 1


def test_posting_a_new_speaker_role_twice_is_a_formset_error(admin_client):
    item = AgendaItemFactory()
    data = agenda_item_post(item)
    add_speaker_role(data, order=1, role="speaker", person=PersonFactory().pk)

    first = admin_client.post(change_url(item), data)
    saved = snapshot()
    second = admin_client.post(change_url(item), data)

    assert first.status_code == 302
    assert second.status_code == 200
    assert inline_formset(second, "speaker_roles").non_form_errors() == [STALE]
    assert snapshot() == saved
    assert item.speaker_roles.count() == 1


def test_two_tabs_cannot_add_overlapping_agenda_items(admin_client):
    session = SessionFactory(start=quito_time(15), end=quito_time(17))
    AgendaItemFactory(session=session, order=1, start=quito_time(15), end=quito_time(15, 10), title="Opening")
    first_tab, second_tab = session_post(session), session_post(session)
    add_row(first_tab, "agenda_items", order=2, **times(quito_time(15, 40), quito_time(15, 50)), title_en="X")
    add_row(second_tab, "agenda_items", order=3, **times(quito_time(15, 45), quito_time(15, 55)), title_en="Y")

    assert admin_client.post(change_url(session), first_tab).status_code == 302
    response = admin_client.post(change_url(session), second_tab)

    assert response.status_code == 200
    assert inline_formset(response, "agenda_items").non_form_errors() == [STALE]
    assert list(session.agenda_items.order_by("order").values_list("title", flat=True)) == ["Opening", "X"]


def test_editing_a_list_whose_row_another_tab_deleted_is_a_formset_error(admin_client, quito_session):
    first_tab, second_tab = session_post(quito_session), session_post(quito_session)
    first_tab["key_questions-4-DELETE"] = "on"
    second_tab["key_questions-0-text_en"] = "Which partnerships?"

    assert admin_client.post(change_url(quito_session), first_tab).status_code == 302
    saved = snapshot()
    response = admin_client.post(change_url(quito_session), second_tab)

    assert response.status_code == 200
    assert inline_formset(response, "key_questions").non_form_errors() == [STALE]
    assert snapshot() == saved


# Swaps: two rows exchange an organization or a person in one save


def test_swapping_two_organizers_organizations_saves_in_one_go(admin_client, quito_session):
    data = session_post(quito_session)
    first, second = data["organizers-0-organization"], data["organizers-1-organization"]
    data["organizers-0-organization"], data["organizers-1-organization"] = second, first

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    assert list(quito_session.organizers.order_by("order").values_list("order", "organization_id")) == [
        (1, int(second)),
        (2, int(first)),
        (3, int(data["organizers-2-organization"])),
    ]


def test_rotating_organizers_and_giving_a_deleted_rows_organization_away(admin_client, quito_session):
    cities_alliance, undp, icmpd = (
        Organization.objects.get(slug=slug) for slug in ("cities-alliance", "undp", "icmpd")
    )
    data = session_post(quito_session)
    data.update({"organizers-0-organization": undp.pk, "organizers-1-organization": icmpd.pk})
    data.update({"organizers-2-organization": cities_alliance.pk, "organizers-2-role": "coordinator"})

    rotated = admin_client.post(change_url(quito_session), data)

    assert rotated.status_code == 302
    assert list(quito_session.organizers.order_by("order").values_list("organization__slug", "role")) == [
        ("undp", "organizer"),
        ("icmpd", "organizer"),
        ("cities-alliance", "coordinator"),
    ]

    data = session_post(quito_session)
    data["organizers-0-DELETE"] = "on"
    data["organizers-1-organization"] = undp.pk

    given_away = admin_client.post(change_url(quito_session), data)

    assert given_away.status_code == 302
    assert list(quito_session.organizers.order_by("order").values_list("organization__slug", flat=True)) == [
        "undp",
        "cities-alliance",
    ]


def test_swapping_two_participants_of_an_agenda_item_saves_in_one_go(admin_client, quito_session):
    item = quito_session.agenda_items.get(title="Conversation")
    data = agenda_item_post(item)
    for name in ("person", "position", "affiliation", "organization"):
        data[f"speaker_roles-3-{name}"], data[f"speaker_roles-4-{name}"] = (
            data[f"speaker_roles-4-{name}"],
            data[f"speaker_roles-3-{name}"],
        )
    data["speaker_roles-4-order"], data["speaker_roles-5-order"] = "6", "5"

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 302
    assert list(item.speaker_roles.filter(order__in=[4, 5, 6]).order_by("order").values_list("person__slug")) == [
        ("claudia-pizarro",),
        ("cynthia-loria",),
        ("alfred-woeger",),
    ]
    assert item.speaker_roles.count() == 11


# Footnotes cited in the context


def test_context_citing_a_missing_footnote_is_a_footnotes_error(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["context_en"] += " More cities report new arrivals.[^9]"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    errors = inline_formset(response, "references").non_form_errors()
    assert errors == [
        "The context cites footnote 9, but no footnote below has that number. "
        "Add it here or correct the marker in the context."
    ]
    assert errors.as_data()[0].code == "missing_footnote"
    assert errors[0] in response.content.decode()
    assert snapshot() == before


def test_deleting_cited_footnotes_is_an_error_naming_them(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["references-0-DELETE"] = data["references-2-DELETE"] = "on"

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    assert inline_formset(response, "references").non_form_errors() == [
        "The context cites footnotes 1 and 3, but no footnotes below have these numbers. "
        "Add them here or correct the markers in the context."
    ]
    assert snapshot() == before


def test_context_citing_a_footnote_added_in_the_same_save_is_accepted(admin_client, quito_session):
    data = session_post(quito_session)
    data["context_en"] += " More cities report new arrivals.[^4]"
    add_row(data, "references", number=4, citation="UN-Habitat, Cities and migration, 2019.")

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 302
    assert quito_session.references.count() == 4


# Pages open, in the forum's time zone


@pytest.mark.parametrize(
    "url",
    [
        "admin:sessions_app_session_changelist",
        "admin:sessions_app_session_add",
        "admin:sessions_app_agendaitem_changelist",
        "admin:sessions_app_agendaitem_add",
        "admin:sessions_app_theme_changelist",
        "admin:sessions_app_theme_add",
    ],
)
def test_admin_pages_open(admin_client, quito_forum, url):
    assert admin_client.get(reverse(url)).status_code == 200


def test_change_forms_open(admin_client, quito_session):
    for obj in (quito_session, quito_session.agenda_items.first(), quito_session.theme):
        assert admin_client.get(change_url(obj)).status_code == 200


def test_session_changelist_shows_times_in_the_forum_zone(admin_client, quito_session):
    response = admin_client.get(reverse("admin:sessions_app_session_changelist"))

    content = response.content.decode()
    assert "14:00–16:30" in content
    assert "Wed 22 Jan 2020" in content


def test_agenda_item_changelist_shows_times_in_the_forum_zone(admin_client, quito_session):
    response = admin_client.get(reverse("admin:sessions_app_agendaitem_changelist"))

    content = response.content.decode()
    assert "14:00–14:10" in content
    assert "16:20–16:30" in content


def test_session_change_form_shows_times_in_the_forum_zone(admin_client, quito_session):
    ForumFactory(time_zone="Asia/Tokyo")

    response = admin_client.get(change_url(quito_session))

    content = response.content.decode()
    assert 'name="start_1" value="14:00:00"' in content
    assert 'name="agenda_items-4-end_1" value="16:30:00"' in content
    assert "Times in America/Guayaquil (the forum's time zone)." in content


def test_session_capacity_sits_next_to_the_room_and_says_what_blank_means(admin_client, quito_session):
    response = admin_client.get(change_url(quito_session))

    layout = {fieldset.name: [list(line.fields) for line in fieldset] for fieldset in response.context["adminform"]}
    assert layout["Time and place"] == [["start"], ["end"], ["room", "capacity"]]
    assert layout["Advanced"] == [["slug"]]
    help_text = main_form(response).fields["capacity"].help_text
    assert "blank uses the room's capacity" in help_text
    assert help_text in response.content.decode()


def test_session_change_stores_the_capacity_and_clears_it(admin_client, quito_session):
    for posted, stored in (("25", 25), ("", None)):
        data = session_post(quito_session)
        data["capacity"] = posted

        response = admin_client.post(change_url(quito_session), data)

        assert response.status_code == 302
        assert Session.objects.get(pk=quito_session.pk).capacity == stored


def test_agenda_item_change_form_shows_times_in_the_forum_zone(admin_client, quito_session):
    ForumFactory(time_zone="Asia/Tokyo")

    response = admin_client.get(change_url(quito_session.agenda_items.get(order=2)))

    assert 'name="start_1" value="14:10:00"' in response.content.decode()


def test_session_add_form_uses_the_only_forums_zone(admin_client, quito_forum):
    response = admin_client.get(reverse("admin:sessions_app_session_add"))

    assert main_form(response).fields["end"].help_text == "Times in America/Guayaquil (the forum's time zone)."


def test_session_add_form_without_a_known_forum_says_so(admin_client, quito_forum):
    ForumFactory(time_zone="Asia/Tokyo")

    response = admin_client.get(reverse("admin:sessions_app_session_add"))

    assert main_form(response).fields["start"].help_text == "Times in the chosen forum's time zone."


def test_session_day_filter_uses_the_forum_zone(admin_client):
    forum = ForumFactory(end_date=datetime(2020, 1, 23).date())
    late = SessionFactory(forum=forum, title="Late", start=quito_time(23), end=quito_time(23, 45))
    next_day = SessionFactory(forum=forum, title="Next day", start=datetime(2020, 1, 23, 9, tzinfo=QUITO))
    url = reverse("admin:sessions_app_session_changelist")

    first = admin_client.get(url, {"forum__id__exact": forum.pk, "day": "2020-01-22"})
    second = admin_client.get(url, {"forum__id__exact": forum.pk, "day": "2020-01-23"})

    assert [choice[1] for choice in first.context["cl"].filter_specs[-1].lookup_choices] == [
        "Wed 22 Jan 2020",
        "Thu 23 Jan 2020",
    ]
    assert list(first.context["cl"].result_list) == [late]
    assert list(second.context["cl"].result_list) == [next_day]


def test_agenda_item_day_filter_lists_the_forum_days(admin_client, quito_session):
    url = reverse("admin:sessions_app_agendaitem_changelist")

    response = admin_client.get(url, {"day": "2020-01-22"})

    assert response.context["cl"].result_count == 5


def test_day_filter_with_a_malformed_day_redirects_instead_of_failing(admin_client, quito_session):
    response = admin_client.get(reverse("admin:sessions_app_session_changelist"), {"day": "22/01/2020"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        ("admin:sessions_app_session_changelist", lambda forum, n: SessionFactory.create_batch(n, forum=forum)),
        (
            "admin:sessions_app_agendaitem_changelist",
            lambda forum, n: AgendaItemFactory.create_batch(n, session=SessionFactory(forum=forum)),
        ),
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, url, make_rows):
    forum = ForumFactory()
    make_rows(forum, 1)
    admin_client.get(reverse(url))
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(reverse(url))
    make_rows(ForumFactory(time_zone="Europe/Madrid"), 3)
    with CaptureQueriesContext(connection) as more_rows:
        response = admin_client.get(reverse(url))

    assert response.context["cl"].result_count > 1
    assert len(more_rows) == len(one_row)


def test_room_choices_are_the_sessions_forum_rooms(admin_client, quito_session):
    RoomFactory(forum=quito_session.forum, name="Sala Metropolitana")
    RoomFactory(name="Elsewhere")

    response = admin_client.get(change_url(quito_session))

    assert [room.name for room in main_form(response).fields["room"].queryset] == ["Sala Metropolitana"]
    assert Room.objects.count() == 2


def test_session_change_refused_by_the_database_at_save_shows_the_page_again_with_a_message(
    admin_client, quito_session, monkeypatch
):
    """A concurrent save can still take a number between validation and save: no 500, nothing saved."""
    data = session_post(quito_session)
    add_row(data, "key_questions", order=6, text_en="A sixth question?")
    data["title_en"] = "Changed title"
    before = snapshot()

    def refuse(*args, **kwargs):
        raise unique_violation()

    monkeypatch.setattr(KeyQuestion, "save", refuse)
    response = admin_client.post(change_url(quito_session), data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(change_url(quito_session), 302)]
    assert "Another save changed the same rows at the same moment" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        "/admin/forum/person/?q=Garc%00",
        "/admin/sessions_app/session/?q=%00",
        "/admin/forum/organization/?kind__exact=%00",
        "/admin/autocomplete/?term=a%00b&app_label=sessions_app&model_name=speakerrole&field_name=person",
        "/forums/quito-2020/speakers/?page=%00",
    ],
)
def test_a_nul_character_in_the_query_string_is_a_bad_request(admin_client, quito_forum, url):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert b"A NUL character" in response.content


# Generated documents: read-only list, download, regenerate.


def rendered_agenda(session, capture) -> GeneratedDocument:
    """``session``'s agenda rendered and stored (``capture``: ``django_capture_on_commit_callbacks``)."""
    with capture(execute=True):
        document = document_request(forum=session.forum, session=session)
    document.refresh_from_db()
    return document


def stored_document(session, content_hash: str, **fields) -> GeneratedDocument:
    return GeneratedDocument.objects.create(
        forum=session.forum,
        session=session,
        kind=GeneratedDocument.Kind.SESSION_AGENDA,
        content_hash=content_hash,
        **fields,
    )


def test_generated_document_list_shows_status_times_errors_and_download(
    admin_client, quito_session, django_capture_on_commit_callbacks
):
    ready = rendered_agenda(quito_session, django_capture_on_commit_callbacks)
    stored_document(quito_session, "b" * 64, status=GeneratedDocument.Status.FAILED, error="OSError: " + "x" * 200)

    response = admin_client.get(reverse("admin:sessions_app_generateddocument_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Session agenda" in html
    assert quito_session.title in html
    assert "Ready" in html and "Failed" in html
    assert f"{ready.render_seconds:.2f} s" in html
    assert "OSError: xxx" in html and "x" * 100 not in html
    download = reverse("admin:sessions_app_generateddocument_download", args=[ready.pk])
    assert f'href="{download}"' in html
    assert re.search(r"\w{3} \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2}", html)
    assert "Regenerate selected documents" in html
    assert reverse("admin:sessions_app_generateddocument_add") not in html
    file_response = admin_client.get(download)
    assert file_response.status_code == 200
    assert "María Fernanda Garcés" in pdf_text(b"".join(file_response.streaming_content))


def test_generated_document_list_filters_by_status(admin_client, quito_session):
    stored_document(quito_session, "a" * 64, status=GeneratedDocument.Status.FAILED, error="boom")
    queued = stored_document(quito_session, "b" * 64)

    response = admin_client.get(reverse("admin:sessions_app_generateddocument_changelist"), {"status__exact": "queued"})

    assert list(response.context["cl"].result_list) == [queued]


def test_generated_document_is_read_only(admin_client, quito_session):
    document = stored_document(quito_session, "a" * 64)

    assert admin_client.get(reverse("admin:sessions_app_generateddocument_add")).status_code == 403
    page = admin_client.get(reverse("admin:sessions_app_generateddocument_change", args=[document.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    not_ready = reverse("admin:sessions_app_generateddocument_download", args=[document.pk])
    assert admin_client.get(not_ready).status_code == 404


def test_generated_document_list_query_count_does_not_grow_with_rows(admin_client, quito_session):
    url = reverse("admin:sessions_app_generateddocument_changelist")
    stored_document(quito_session, "a" * 64)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(url)
    other = SessionFactory()
    stored_document(other, "b" * 64, status=GeneratedDocument.Status.FAILED, error="boom")
    stored_document(other, "c" * 64, status=GeneratedDocument.Status.RENDERING)
    GeneratedDocument.objects.create(forum=other.forum, kind=GeneratedDocument.Kind.PROGRAMME, content_hash="d" * 64)
    with CaptureQueriesContext(connection) as more_rows:
        response = admin_client.get(url)

    assert response.context["cl"].result_count == 4
    assert len(more_rows) == len(one_row)


def test_regenerate_action_renders_a_ready_document_again_into_a_new_file(
    admin_client, quito_session, django_capture_on_commit_callbacks
):
    document = rendered_agenda(quito_session, django_capture_on_commit_callbacks)
    old_file = document.file.name
    busy = stored_document(
        quito_session, "b" * 64, status=GeneratedDocument.Status.RENDERING, render_started_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:sessions_app_generateddocument_changelist"),
            {"action": "regenerate", "_selected_action": [document.pk, busy.pk]},
            follow=True,
        )

    messages = [str(message) for message in response.context["messages"]]
    assert "1 document(s) queued for rendering again." in messages
    assert "1 document(s) being rendered right now were left alone." in messages
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    assert document.file.name != old_file
    assert default_storage.exists(document.file.name)
    assert not default_storage.exists(old_file)
    assert "María Fernanda Garcés" in pdf_text(document.file.read())
    assert GeneratedDocument.objects.get(pk=busy.pk).status == GeneratedDocument.Status.RENDERING
