"""The organizers' admin for sessions and agendas, driven through its real add and change views.

Times are posted as an organizer types them, in the forum's zone (America/Guayaquil,
UTC−5): 14:00 posted is 19:00 UTC stored.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.models import Person, Room
from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory
from sessions_app.models import AgendaItem, KeyQuestion, Session, SessionOrganizer, SpeakerRole
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time

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
        "title": session.title,
        "slug": session.slug,
        **split("start", session.start),
        **split("end", session.end),
        "room": str(session.room_id or ""),
        "capacity": str(session.capacity or ""),
        "objective": session.objective,
        "context": session.context,
        "methodology": session.methodology,
        "expected_result": session.expected_result,
    }
    organizers = list(session.organizers.order_by("order"))
    data.update(management("organizers", len(organizers), len(organizers)))
    for i, row in enumerate(organizers):
        data.update(
            {
                f"organizers-{i}-id": str(row.pk),
                f"organizers-{i}-session": str(session.pk),
                f"organizers-{i}-order": str(row.order),
                f"organizers-{i}-organization": str(row.organization_id),
                f"organizers-{i}-role": row.role,
            }
        )
    references = list(session.references.order_by("number"))
    data.update(management("references", len(references), len(references)))
    for i, row in enumerate(references):
        data.update(
            {
                f"references-{i}-id": str(row.pk),
                f"references-{i}-session": str(session.pk),
                f"references-{i}-number": str(row.number),
                f"references-{i}-citation": row.citation,
            }
        )
    questions = list(session.key_questions.order_by("order"))
    data.update(management("key_questions", len(questions), len(questions)))
    for i, row in enumerate(questions):
        data.update(
            {
                f"key_questions-{i}-id": str(row.pk),
                f"key_questions-{i}-session": str(session.pk),
                f"key_questions-{i}-order": str(row.order),
                f"key_questions-{i}-text": row.text,
            }
        )
    items = list(session.agenda_items.order_by("order"))
    data.update(management("agenda_items", len(items), len(items)))
    for i, row in enumerate(items):
        data.update(
            {
                f"agenda_items-{i}-id": str(row.pk),
                f"agenda_items-{i}-session": str(session.pk),
                f"agenda_items-{i}-order": str(row.order),
                **split(f"agenda_items-{i}-start", row.start),
                **split(f"agenda_items-{i}-end", row.end),
                f"agenda_items-{i}-title": row.title,
            }
        )
    return data


def agenda_item_post(item: AgendaItem) -> dict[str, str]:
    """The agenda item change form as it stands in the database, with its speaker roles."""
    data = {
        "session": str(item.session_id),
        "order": str(item.order),
        **split("start", item.start),
        **split("end", item.end),
        "title": item.title,
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
        list(Session.objects.order_by("pk").values_list("pk", "start", "end", "room_id", "title")),
        list(AgendaItem.objects.order_by("pk").values_list("pk", "session_id", "order", "start", "end", "title")),
        list(SpeakerRole.objects.order_by("pk").values_list("pk", "agenda_item_id", "order", "role", "person_id")),
        list(KeyQuestion.objects.order_by("pk").values_list("pk", "order", "text")),
        list(SessionOrganizer.objects.order_by("pk").values_list("pk", "order", "organization_id")),
    )


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
        "title": "Introduction of session objectives and participants",
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
    data["agenda_items-0-title"] = "Welcome and introduction"
    data[f"agenda_items-{CONVERSATION}-end_1"] = "16:10"
    data.update(
        {
            "agenda_items-5-session": str(quito_session.pk),
            "agenda_items-5-order": "6",
            "agenda_items-5-start_0": "2020-01-22",
            "agenda_items-5-start_1": "16:10",
            "agenda_items-5-end_0": "2020-01-22",
            "agenda_items-5-end_1": "16:20",
            "agenda_items-5-title": "Coffee break",
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
        (6, "Coffee break", utc(21, 10), utc(21, 20)),
        (5, "Conclusions and recommendations for public policies", utc(21, 20), utc(21, 30)),
    ]
    assert SpeakerRole.objects.filter(agenda_item__session=quito_session).count() == 15


def test_session_change_swaps_agenda_item_numbers(admin_client, quito_session):
    data = session_post(quito_session)
    data["agenda_items-3-order"], data["agenda_items-4-order"] = "5", "4"

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
        (1, data["key_questions-0-text"]),
        (2, data["key_questions-1-text"]),
        (3, data["key_questions-2-text"]),
        (5, "How to better incorporate migration dynamics in local urban and housing policies?"),
    ]


def test_session_add_reads_times_in_the_posted_forums_zone(admin_client, quito_forum):
    ForumFactory(time_zone="Asia/Tokyo")
    data = {
        "forum": str(quito_forum.pk),
        "kind": "plenary",
        "title": "Opening plenary",
        "slug": "opening-plenary",
        "start_0": "2020-01-22",
        "start_1": "09:00",
        "end_0": "2020-01-22",
        "end_1": "10:00",
        **dict.fromkeys(["theme", "room", "capacity", "objective", "context", "methodology", "expected_result"], ""),
        **management("organizers", 0, 0),
        **management("references", 0, 0),
        **management("key_questions", 0, 0),
        **management("agenda_items", 1, 0),
        "agenda_items-0-order": "1",
        "agenda_items-0-start_0": "2020-01-22",
        "agenda_items-0-start_1": "09:00",
        "agenda_items-0-end_0": "2020-01-22",
        "agenda_items-0-end_1": "09:15",
        "agenda_items-0-title": "Welcome",
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
    assert "The agenda item must lie within its session (14:30–16:30)." in response.content.decode()
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
    assert "The agenda item must lie within its session (14:00–16:30)." in response.content.decode()
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
        "title": "Opening",
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


def test_swapping_two_organizers_organizations_asks_for_two_saves(admin_client, quito_session):
    before = snapshot()
    data = session_post(quito_session)
    data["organizers-0-organization"], data["organizers-1-organization"] = (
        data["organizers-1-organization"],
        data["organizers-0-organization"],
    )

    response = admin_client.post(change_url(quito_session), data)

    assert response.status_code == 200
    forms = inline_formset(response, "organizers").forms
    assert forms[0].has_error("organization", code="handover")
    assert not forms[1].errors
    assert snapshot() == before


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
