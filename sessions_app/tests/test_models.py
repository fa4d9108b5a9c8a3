"""The models' own validation: ``clean()`` puts each error on the field to correct."""

import pytest
from django.core.exceptions import ValidationError

from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory
from sessions_app.models import AgendaItem, Session, SpeakerRole
from sessions_app.tests.factories import (
    AgendaItemFactory,
    SessionFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def error_codes(instance) -> dict[str, list[str]]:
    """Field name -> error codes raised by ``instance.full_clean()`` ({} when valid)."""
    try:
        instance.full_clean()
    except ValidationError as error:
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {}


def test_quito_seed_passes_every_check(quito_session):
    rows = [quito_session, *quito_session.agenda_items.all()]
    rows += SpeakerRole.objects.filter(agenda_item__session=quito_session)

    assert [error_codes(row) for row in rows] == [{}] * len(rows)


def test_session_ending_before_it_starts_is_an_error_on_end_only():
    session = SessionFactory.build(forum=ForumFactory(), start=quito_time(14), end=quito_time(13))

    assert error_codes(session) == {"end": ["end_before_start"]}


def test_session_theme_and_room_of_another_forum_are_errors_on_their_fields():
    session = SessionFactory.build(forum=ForumFactory(), theme=ThemeFactory(), room=RoomFactory())

    assert error_codes(session) == {"theme": ["wrong_forum"], "room": ["wrong_forum"]}


def test_session_in_a_busy_room_is_an_error_on_room_but_back_to_back_is_fine():
    room = RoomFactory()
    SessionFactory(forum=room.forum, room=room, start=quito_time(14), end=quito_time(16))
    clashing = SessionFactory.build(forum=room.forum, room=room, start=quito_time(15), end=quito_time(17))
    after = SessionFactory.build(forum=room.forum, room=room, start=quito_time(16), end=quito_time(17))

    assert error_codes(clashing) == {"room": ["room_clash"]}
    assert error_codes(after) == {}


def test_session_moved_onto_a_speakers_other_booking_is_an_error_on_start():
    person = PersonFactory()
    booked = SpeakerRoleFactory(person=person, agenda_item__session__start=quito_time(14))
    moving = SpeakerRoleFactory(person=person, agenda_item__session__forum=booked.agenda_item.session.forum)
    session = moving.agenda_item.session
    session.start, session.end = quito_time(17), quito_time(18)
    assert error_codes(session) == {}

    session.start, session.end = quito_time(16), quito_time(17)

    assert error_codes(session) == {"start": ["person_clash"]}


def test_agenda_item_ending_before_it_starts_is_an_error_on_end():
    item = AgendaItemFactory.build(session=SessionFactory(), order=1, start=quito_time(14, 10), end=quito_time(14))

    assert error_codes(item) == {"end": ["end_before_start"]}


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ((14, 0), (16, 30), set()),
        ((13, 50), (14, 10), {"start"}),
        ((16, 20), (16, 40), {"end"}),
        ((13, 0), (17, 0), {"start", "end"}),
        ((16, 30), (16, 40), {"start", "end"}),
    ],
)
def test_agenda_item_outside_its_session_is_an_error_on_the_bound_outside(start, end, fields):
    session = SessionFactory(start=quito_time(14), end=quito_time(16, 30))
    item = AgendaItemFactory.build(session=session, order=1, start=quito_time(*start), end=quito_time(*end))

    codes = error_codes(item)

    assert set(codes) == fields
    assert all(field_codes == ["outside_session"] for field_codes in codes.values())


def test_agenda_item_outside_message_gives_the_session_times_in_the_forum_zone():
    item = AgendaItemFactory.build(session=SessionFactory(), order=1, start=quito_time(13), end=quito_time(14))

    with pytest.raises(ValidationError) as raised:
        item.full_clean()

    assert raised.value.message_dict["start"] == ["The agenda item must lie within its session (14:00–16:30)."]


def test_agenda_item_of_an_unsaved_session_without_forum_does_not_fail():
    session = Session(start=quito_time(14), end=quito_time(15))
    item = AgendaItem(session=session, order=1, title="Opening", start=quito_time(15), end=quito_time(15, 10))

    with pytest.raises(ValidationError) as raised:
        item.clean()

    assert set(raised.value.message_dict) == {"start", "end"}


def test_speaker_role_needs_a_person_or_a_group_not_both():
    item = AgendaItemFactory()
    neither = SpeakerRoleFactory.build(agenda_item=item, person=None, group_name="")
    both = SpeakerRoleFactory.build(agenda_item=item, person=PersonFactory(), group_name="Youth representatives")
    group = SpeakerRoleFactory.build(agenda_item=item, person=None, group_name="Youth representatives")

    assert error_codes(neither) == {"person": ["no_speaker"]}
    assert error_codes(both) == {"group_name": ["both"]}
    assert error_codes(group) == {}


def test_speaker_role_of_a_person_booked_in_a_concurrent_session_is_an_error_on_person():
    booked = SpeakerRoleFactory()
    forum = booked.agenda_item.session.forum
    concurrent = AgendaItemFactory(session=SessionFactory(forum=forum, start=quito_time(15), end=quito_time(16)))
    later = AgendaItemFactory(session=SessionFactory(forum=forum, start=quito_time(16, 30), end=quito_time(17)))

    assert error_codes(SpeakerRoleFactory.build(agenda_item=concurrent, person=booked.person)) == {
        "person": ["person_clash"]
    }
    assert error_codes(SpeakerRoleFactory.build(agenda_item=later, person=booked.person)) == {}
