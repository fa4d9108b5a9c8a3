"""The public sees the latest programme release while organizers keep editing (``sessions_app.published``)."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from icalendar import Calendar
from lxml import etree

from forum.models import Forum, Room
from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory
from sessions_app.models import Session
from sessions_app.release_services import release_programme
from sessions_app.services import document_request
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time
from sessions_app.tests.pdf_support import pdf_text
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.django_db


@dataclass
class Edited:
    """A forum released once, then edited: ``moved`` to 16:00 in ``other_room``,
    ``cancelled`` cancelled, ``added`` created after the release."""

    forum: Forum
    room: Room
    other_room: Room
    moved: Session
    cancelled: Session
    added: Session


@pytest.fixture
def edited() -> Edited:
    forum = ForumFactory(start_date=date(2020, 1, 22), end_date=date(2020, 1, 23))
    room, other_room = RoomFactory(forum=forum, name="Sala Quito"), RoomFactory(forum=forum, name="Sala Andes")
    moved = SessionFactory(
        forum=forum, room=room, title="Mobility pacts", slug="pacts", start=quito_time(9), end=quito_time(10)
    )
    cancelled = SessionFactory(
        forum=forum,
        room=other_room,
        title="Urban inclusion",
        slug="inclusion",
        start=quito_time(11),
        end=quito_time(12),
    )
    release_programme(forum=forum)
    moved.start, moved.end, moved.room = (
        quito_time(9) + timedelta(days=1),
        quito_time(10) + timedelta(days=1),
        other_room,
    )
    moved.save()
    cancelled.is_cancelled = True
    cancelled.save()
    added = SessionFactory(
        forum=forum, room=room, title="Late addition", slug="late", start=quito_time(15), end=quito_time(16)
    )
    return Edited(forum, room, other_room, moved, cancelled, added)


def url(name: str, forum: Forum, **kwargs) -> str:
    return reverse(name, kwargs={"forum_slug": forum.slug, **kwargs})


def staff_with(*permissions: str):
    """A staff user (not a superuser) holding ``permissions`` ("app_label.codename")."""
    staff = get_user_model().objects.create_user(email="staff@example.org", password="x", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        staff.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return staff


def test_before_any_release_the_public_sees_the_programme_as_it_stands(client):
    session = SessionFactory(title="Mobility pacts", start=quito_time(9), end=quito_time(10))
    session.start, session.end = quito_time(15), quito_time(16)
    session.save()

    text = page_text(client.get(url("sessions_app:programme", session.forum)).content)

    assert "15:00" in text and "Mobility pacts" in text
    assert "Programme version" not in text


def test_programme_page_shows_the_released_times_rooms_and_status(client, edited):
    response = client.get(url("sessions_app:programme", edited.forum))

    text = page_text(response.content)
    assert "Programme version 1, released on" in text
    assert "Mobility pacts" in text and "Urban inclusion" in text
    assert "Late addition" not in text
    assert "Thursday 23 January 2020" not in text  # the move to the second day is not released
    assert "Cancelled" not in text
    days = response.context["days"]
    assert [day.date for day in days] == [date(2020, 1, 22)]
    shown = {
        session.slug: session
        for day in days
        for slot in day.slots
        for session in [*slot.plenaries, *(session for group in slot.theme_groups for session in group.sessions)]
    }
    assert shown["pacts"].start == quito_time(9) and shown["pacts"].room == edited.room
    assert not shown["inclusion"].is_cancelled


def test_the_day_and_room_filters_use_the_released_schedule(client, edited):
    on_first_day = client.get(url("sessions_app:programme", edited.forum), {"day": "2020-01-22"})
    in_released_room = client.get(url("sessions_app:programme", edited.forum), {"room": edited.room.pk})

    assert "Mobility pacts" in page_text(on_first_day.content)
    assert "Mobility pacts" in page_text(in_released_room.content)
    assert "Urban inclusion" not in page_text(in_released_room.content)


def test_staff_who_change_sessions_see_the_working_programme_and_are_told_so(client, edited):
    client.force_login(staff_with("sessions_app.change_session"))

    text = page_text(client.get(url("sessions_app:programme", edited.forum)).content)

    assert "You are seeing the working programme" in text
    assert "The public sees version 1" in text
    assert "Late addition" in text
    assert "Thursday 23 January 2020" in text
    assert "Cancelled" in text


def test_session_page_of_an_unreleased_session_is_404_for_the_public_only(client, edited):
    page = url("sessions_app:session-detail", edited.forum, session_slug="late")

    assert client.get(page).status_code == 404
    client.force_login(staff_with("sessions_app.change_session"))
    assert client.get(page).status_code == 200


def test_a_registration_desk_sees_the_release_like_the_public(client, edited):
    """Staff with only the registration permissions the README gives a registration desk
    see the programme, session and speaker pages as released, without the preview notice."""
    item = AgendaItemFactory(session=edited.added, start=edited.added.start, end=edited.added.end)
    SpeakerRoleFactory(agenda_item=item, person=PersonFactory(name="Secret Speaker", slug="secret"))
    client.force_login(staff_with("registration.view_registration", "registration.export_registration"))

    programme = page_text(client.get(url("sessions_app:programme", edited.forum)).content)
    speakers = page_text(client.get(url("forum:speaker-list", edited.forum)).content)

    assert "Mobility pacts" in programme and "Programme version 1" in programme
    assert "Late addition" not in programme
    assert "working programme" not in programme
    assert "Secret Speaker" not in speakers
    assert client.get(url("sessions_app:session-detail", edited.forum, session_slug="late")).status_code == 404
    assert client.get(url("forum:speaker-detail", edited.forum, person_slug="secret")).status_code == 404


def test_session_page_shows_the_released_time_and_room(client, edited):
    text = page_text(client.get(url("sessions_app:session-detail", edited.forum, session_slug="pacts")).content)

    assert "Wednesday 22 January 2020" in text
    assert "Sala Quito" in text
    assert "Sala Andes" not in text


def test_calendar_feed_and_session_file_carry_the_released_schedule(client, edited):
    feed = Calendar.from_ical(client.get(url("calendars:programme-ics", edited.forum)).content)
    events = {str(event["SUMMARY"]): event for event in feed.walk("VEVENT")}

    assert set(events) == {"Mobility pacts", "Urban inclusion"}
    assert events["Mobility pacts"].decoded("DTSTART") == quito_time(9)
    assert "Sala Quito" in str(events["Mobility pacts"]["LOCATION"])
    assert str(events["Urban inclusion"]["STATUS"]) == "CONFIRMED"
    assert client.get(url("calendars:session-ics", edited.forum, session_slug="late")).status_code == 404


def test_schedule_export_carries_the_released_schedule_and_its_version(client, edited):
    schedule = json.loads(client.get(url("schedule:schedule-json", edited.forum)).content)["schedule"]

    events = [event for day in schedule["conference"]["days"] for room in day["rooms"].values() for event in room]
    assert schedule["version"] == "1"
    assert sorted(event["title"] for event in events) == ["Mobility pacts", "Urban inclusion"]
    pacts = next(event for event in events if event["title"] == "Mobility pacts")
    assert pacts["date"].startswith("2020-01-22T09:00") and pacts["room"] == "Sala Quito"


def test_now_and_next_shows_the_released_schedule(client, edited):
    text = page_text(client.get(url("sessions_app:now-next", edited.forum), {"at": "2020-01-22T09:30"}).content)

    assert "Mobility pacts" in text


def test_programme_pdf_prints_the_released_schedule(edited, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        requested = document_request(forum=edited.forum)

    requested.refresh_from_db()
    with requested.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert "Mobility pacts" in text and "Urban inclusion" in text
    assert "Late addition" not in text
    assert "Thursday 23 January" not in text


def test_the_next_release_shows_the_changes_to_the_public(client, edited):
    release_programme(forum=edited.forum)

    response = client.get(url("sessions_app:programme", edited.forum))

    text = page_text(response.content)
    assert "Programme version 2" in text
    assert "Late addition" in text
    assert "Thursday 23 January 2020" in text
    assert "Cancelled" in text
    assert client.get(url("sessions_app:session-detail", edited.forum, session_slug="late")).status_code == 200


def test_a_released_room_renamed_since_is_shown_under_its_released_name(client, edited):
    Room.objects.filter(pk=edited.room.pk).update(name="Sala Pichincha")

    text = page_text(client.get(url("sessions_app:session-detail", edited.forum, session_slug="pacts")).content)

    assert "Sala Quito" in text


def test_an_unreleased_session_takes_no_sign_up(client, edited):
    RegistrationSettingsFactory(forum=edited.forum)
    registration = RegistrationFactory(forum=edited.forum)
    client.force_login(registration.user)

    response = client.post(url("registration:session-signup", edited.forum, session_slug="late"))

    assert response.status_code == 404
    assert not registration.signups.exists()


def test_calendar_events_carry_the_release_number_as_their_sequence(client, edited):
    before = Calendar.from_ical(client.get(url("calendars:session-ics", edited.forum, session_slug="pacts")).content)
    release_programme(forum=edited.forum)
    after = Calendar.from_ical(client.get(url("calendars:session-ics", edited.forum, session_slug="pacts")).content)

    [first], [second] = before.walk("VEVENT"), after.walk("VEVENT")
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"])) == (1, 2)
    assert first["UID"] == second["UID"]
    assert second.decoded("DTSTART") == quito_time(9) + timedelta(days=1)


def test_pdfs_mark_a_cancelled_session(edited, django_capture_on_commit_callbacks):
    release_programme(forum=edited.forum)

    with django_capture_on_commit_callbacks(execute=True):
        agenda = document_request(forum=edited.forum, session=edited.cancelled)
        spanish = document_request(forum=edited.forum, session=edited.cancelled, language="es")

    for document, word, page in ((agenda, "CANCELLED", "Page 1 of 1"), (spanish, "CANCELADA", "Página 1 de 1")):
        document.refresh_from_db()
        with document.file.open("rb") as stored:
            text = pdf_text(stored.read())
        assert word in text
        assert page in text


CONTROLS = "\x01\x02\x1b\x0b\x0c\x7f\ufffe\uffff"


def test_control_characters_never_break_the_calendars_or_the_atom_feed(client, edited):
    Session.objects.filter(pk=edited.moved.pk).update(title_en=f"Mobility{CONTROLS} pacts ]]> <b>&amp;</b>")
    Forum.objects.filter(pk=edited.forum.pk).update(title_en=f"Forum{CONTROLS}", is_published=True)
    release_programme(forum=edited.forum, note=f"Release note {CONTROLS} ]]> <script>alert(1)</script>")

    ics = client.get(url("calendars:programme-ics", edited.forum))
    atom = client.get(url("releases:feed", edited.forum))

    assert ics.status_code == atom.status_code == 200
    summaries = {str(event["SUMMARY"]) for event in Calendar.from_ical(ics.content).walk("VEVENT")}
    assert "Mobility pacts ]]> <b>&amp;</b>" in summaries
    assert not any(character in ics.content.decode() for character in "\x01\x02\x1b\x0b\x0c\x7f")
    feed = etree.fromstring(atom.content)  # well-formed XML, or this raises
    text = " ".join(feed.itertext())
    assert (
        "Release note  ]]&gt;" in text and "alert(1)" not in text
    )  # HTML content escaped once, the script removed on save
    assert b"<script>" not in atom.content


def test_people_of_unreleased_sessions_are_not_listed_until_released(client, edited):
    item = AgendaItemFactory(session=edited.added, start=edited.added.start, end=edited.added.end)
    secret = SpeakerRoleFactory(agenda_item=item, person=PersonFactory(name="Secret Speaker", slug="secret")).person
    speakers = url("forum:speaker-list", edited.forum)
    page = url("forum:speaker-detail", edited.forum, person_slug="secret")

    programme = client.get(url("sessions_app:programme", edited.forum))

    assert "Secret Speaker" not in page_text(client.get(speakers).content)
    assert client.get(page).status_code == 404
    assert str(secret.pk) not in dict(programme.context["filter_form"].fields["speaker"].choices)
    release_programme(forum=edited.forum)
    assert "Secret Speaker" in page_text(client.get(speakers).content)
    assert "Late addition" in page_text(client.get(page).content)
    programme = client.get(url("sessions_app:programme", edited.forum))
    assert str(secret.pk) in dict(programme.context["filter_form"].fields["speaker"].choices)
