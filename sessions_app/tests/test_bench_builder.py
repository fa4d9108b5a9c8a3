"""The benchmark's synthetic forum (``bench.builder``) has the shape it is asked for, at a tiny scale.

The benchmark itself (``python -m bench``) is not run by the tests.
"""

from datetime import time

import pytest
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from bench.builder import Scale, build_forum
from forum.models import Person
from registration.models import Registration, SessionSignup
from sessions_app.models import Session, SpeakerRole
from sessions_app.releases import ProgrammeRelease

pytestmark = pytest.mark.integration

TINY = Scale(days=2, rooms=2, sessions=10, plenaries_per_day=2, speakers=12, registrations=30, participants=4)


@pytest.fixture
def built(db):
    return build_forum(TINY)


def test_the_forum_has_the_days_rooms_sessions_and_speakers_asked_for(built):
    forum = built.forum
    assert (forum.end_date - forum.start_date).days == 1
    assert forum.rooms.count() == 2
    assert forum.sessions.count() == 10
    assert forum.sessions.filter(kind=Session.Kind.PLENARY).count() == 4
    speakers = Person.objects.filter(speaker_roles__agenda_item__session__forum=forum).distinct()
    assert speakers.count() == 12
    assert not speakers.filter(organization__isnull=True).exists()
    roles = forum.sessions.annotate(roles=Count("agenda_items__speaker_roles")).values_list("roles", flat=True)
    assert list(roles) == [5] * 10


def test_each_day_opens_and_closes_with_a_plenary_and_parallel_slots_fill_the_rooms(built):
    forum = built.forum
    days = {}
    for session in forum.sessions.order_by("start"):
        start, end = session.start.astimezone(forum.tzinfo), session.end.astimezone(forum.tzinfo)
        assert end.date() == start.date()
        days.setdefault(start.date(), []).append(session)
    assert [[s.kind == Session.Kind.PLENARY for s in day] for day in days.values()] == [
        [True, False, False, False, False, True],
        [True, False, False, True],
    ]
    assert all(day[0].start.astimezone(forum.tzinfo).time() == time(8, 0) for day in days.values())
    assert [len(slot) for slot in built.parallel_slots] == [2, 2, 2]
    for slot in built.parallel_slots:
        assert len({(s.start, s.end) for s in slot}) == 1
        assert len({s.room_id for s in slot}) == 2


def test_nobody_speaks_in_two_sessions_at_once(built):
    appearances = SpeakerRole.objects.filter(agenda_item__session__forum=built.forum).values(
        "person", "agenda_item__session__start"
    )
    assert not appearances.annotate(sessions=Count("agenda_item__session", distinct=True)).filter(sessions__gt=1)


def test_registrations_hold_sign_ups_within_capacity_and_the_participants_none(built):
    forum = built.forum
    assert forum.registrations.count() == 30
    assert len(built.participants) == 4
    assert all(r.status == Registration.Status.CONFIRMED for r in built.participants)
    assert not SessionSignup.objects.filter(registration__in=built.participants).exists()
    signups = SessionSignup.objects.filter(session__forum=forum)
    assert signups.exists()
    assert not signups.exclude(registration__status=Registration.Status.CONFIRMED).exists()
    assert not signups.filter(session__kind=Session.Kind.PLENARY).exists()
    overbooked = forum.sessions.annotate(
        seats=Count("signups", filter=Q(signups__status=SessionSignup.Status.CONFIRMED)),
        capacity_or_room=Coalesce("capacity", "room__capacity"),
    ).filter(seats__gt=F("capacity_or_room"))
    assert not overbooked.exists()


def test_the_programme_is_released_and_public(built, client):
    forum = built.forum
    assert ProgrammeRelease.objects.filter(forum=forum, number=1).exists()
    response = client.get(reverse("sessions_app:programme", kwargs={"forum_slug": forum.slug}))
    assert response.status_code == 200
    for session in forum.sessions.all():
        assert session.title in response.text


def test_a_shape_that_cannot_be_built_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="no parallel session"):
        Scale(days=1, sessions=3, plenaries_per_day=3)
    with pytest.raises(ValueError, match="nobody is double-booked"):
        Scale(days=1, rooms=10, sessions=20, speakers=20)
