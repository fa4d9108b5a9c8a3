"""The models' own validation: ``clean()`` puts each error on the field to correct."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory, RoomFactory
from sessions_app.models import AgendaItem, Session, SpeakerRole
from sessions_app.tests.factories import (
    QUITO,
    AgendaItemFactory,
    KeyQuestionFactory,
    ReferenceFactory,
    SessionFactory,
    SessionOrganizerFactory,
    SpeakerRoleFactory,
    ThemeFactory,
    quito_time,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def quito(*args: int) -> datetime:
    """An aware datetime in Quito (the factories' forum zone) from ``datetime``'s arguments."""
    return datetime(*args, tzinfo=QUITO)


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


@pytest.mark.parametrize(
    ("start", "end", "errors"),
    [
        (quito(2021, 6, 15, 10), quito(2021, 6, 15, 12), {"start": ["outside_forum"], "end": ["outside_forum"]}),
        (quito(2020, 1, 22, 20), quito(2020, 1, 25, 10), {"end": ["outside_forum"]}),
        (quito(2020, 1, 21, 23), quito(2020, 1, 22, 1), {"start": ["outside_forum"], "end": ["not_same_day"]}),
        (quito(2020, 1, 22, 22), quito(2020, 1, 22, 23, 59), {}),
        (quito(2020, 1, 22, 22), quito(2020, 1, 23, 0), {}),
    ],
    ids=["another-year", "into-later-days", "from-the-day-before", "late-evening", "until-midnight"],
)
def test_session_days_in_the_forum_zone_must_be_the_forums(start, end, errors):
    session = SessionFactory.build(forum=ForumFactory(), start=start, end=end)

    assert error_codes(session) == errors


def test_session_days_are_taken_in_the_forum_zone_not_utc():
    forum = ForumFactory()
    evening = SessionFactory.build(forum=forum, start=quito_time(20), end=quito_time(21))
    night_before = SessionFactory.build(
        forum=forum, start=datetime(2020, 1, 22, 3, tzinfo=UTC), end=datetime(2020, 1, 22, 4, tzinfo=UTC)
    )

    assert evening.end.astimezone(UTC).date() == date(2020, 1, 23)
    assert error_codes(evening) == {}
    assert error_codes(night_before) == {"start": ["outside_forum"], "end": ["outside_forum"]}


def test_session_spanning_two_days_of_a_longer_forum_must_end_on_its_first_day():
    forum = ForumFactory(end_date=date(2020, 1, 24))
    session = SessionFactory.build(forum=forum, start=quito_time(20), end=quito_time(10) + timedelta(days=1))

    with pytest.raises(ValidationError) as raised:
        session.full_clean()

    assert raised.value.message_dict == {"end": ["A session must end on the day it starts (Wed 22 Jan 2020)."]}


def test_session_outside_a_longer_forum_names_its_first_and_last_day():
    forum = ForumFactory(end_date=date(2020, 1, 24))
    day_after = quito_time(9) + timedelta(days=3)
    session = SessionFactory.build(forum=forum, start=day_after, end=day_after + timedelta(hours=1))

    with pytest.raises(ValidationError) as raised:
        session.full_clean()

    assert raised.value.message_dict["start"] == [
        "The session starts on Sat 25 Jan 2020, outside the forum's dates (Wed 22 Jan 2020 to Fri 24 Jan 2020)."
    ]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda session, number: ThemeFactory.build(forum=session.forum, order=number), "order"),
        (lambda session, number: KeyQuestionFactory.build(session=session, order=number), "order"),
        (lambda session, number: ReferenceFactory.build(session=session, number=number), "number"),
        (
            lambda session, number: SessionOrganizerFactory.build(
                session=session, organization=OrganizationFactory(), order=number
            ),
            "order",
        ),
        (
            lambda session, number: AgendaItemFactory.build(
                session=session, order=number, start=quito_time(15), end=quito_time(15, 10)
            ),
            "order",
        ),
        (
            lambda session, number: SpeakerRoleFactory.build(
                agenda_item=AgendaItemFactory(session=session), person=PersonFactory(), order=number
            ),
            "order",
        ),
    ],
    ids=["theme", "key-question", "reference", "organizer", "agenda-item", "speaker-role"],
)
def test_numbers_above_999_are_an_error_on_the_number(build, field):
    session = SessionFactory()

    assert error_codes(build(session, 999)) == {}
    assert error_codes(build(session, 1000)) == {field: ["max_value"]}


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

    assert raised.value.message_dict["start"] == [
        "The agenda item must lie within its session (Wed 22 Jan 2020, 14:00–16:30)."
    ]


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
