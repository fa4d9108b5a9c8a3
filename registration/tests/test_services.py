"""The registration rules, through the services that enforce them (stored rows and notifications)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress

from forum.tests.factories import RoomFactory, UserFactory
from registration import services
from registration.models import Notification, Registration, SessionSignup
from registration.services import RegistrationError
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    SessionSignupFactory,
    VerifiedUserFactory,
    participant_details,
)
from sessions_app.models import Session
from sessions_app.tests.factories import SessionFactory, quito_time

pytestmark = pytest.mark.django_db

QUITO = ZoneInfo("America/Guayaquil")


def register(settings, **details):
    """Register a new verified participant for ``settings``' forum."""
    return services.register(forum=settings.forum, user=VerifiedUserFactory(), details=participant_details(**details))


def kinds(registration):
    return list(Notification.objects.filter(registration=registration).values_list("kind", flat=True))


def status_of(row):
    return type(row).objects.get(pk=row.pk).status


class TestRegister:
    def test_confirmed_at_once_without_approval(self, registration_settings):
        registration = register(registration_settings, printed_name="Ana Pérez", country="EC")
        stored = Registration.objects.get(pk=registration.pk)
        assert (stored.status, stored.printed_name, stored.country.code) == ("confirmed", "Ana Pérez", "EC")
        assert stored.consent and stored.consented_at is not None
        assert kinds(registration) == ["confirmed"]

    def test_submitted_when_organizers_approve(self, registration_settings):
        registration_settings.requires_approval = True
        registration_settings.save()
        registration = register(registration_settings)
        assert status_of(registration) == "submitted"
        assert kinds(registration) == ["received"]

    def test_waitlisted_when_the_forum_is_full(self, registration_settings):
        registration_settings.capacity = 1
        registration_settings.save()
        first, second = register(registration_settings), register(registration_settings)
        assert (status_of(first), status_of(second)) == ("confirmed", "waitlisted")
        assert kinds(second) == ["waitlisted"]

    def test_submitted_registrations_hold_places(self, registration_settings):
        registration_settings.capacity, registration_settings.requires_approval = 1, True
        registration_settings.save()
        register(registration_settings)
        assert status_of(register(registration_settings)) == "waitlisted"

    def test_full_category_quota_waitlists_even_with_room(self, registration_settings):
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        youth = register(registration_settings, category="youth")
        more_youth = register(registration_settings, category="youth")
        mayor = register(registration_settings, category="local_government")
        assert [status_of(r) for r in (youth, more_youth, mayor)] == ["confirmed", "waitlisted", "confirmed"]

    @pytest.mark.parametrize(
        ("opens_on", "closes_on", "code", "message"),
        [
            (date(2999, 1, 1), date(2999, 2, 1), "not_open_yet", "Registration opens on 1 January 2999."),
            (date(2001, 1, 1), date(2001, 2, 1), "closed", "Registration closed on 1 February 2001."),
        ],
    )
    def test_refused_outside_the_registration_days(self, opens_on, closes_on, code, message):
        settings = RegistrationSettingsFactory(opens_on=opens_on, closes_on=closes_on)
        with pytest.raises(RegistrationError) as refused:
            register(settings)
        assert (refused.value.code, refused.value.message) == (code, message)
        assert not Registration.objects.exists()

    def test_the_closing_day_is_included_in_the_forums_time_zone(self):
        settings = RegistrationSettingsFactory(opens_on=date(2020, 1, 1), closes_on=date(2020, 1, 20))
        last_minute = datetime(2020, 1, 20, 23, 59, tzinfo=QUITO)
        user = VerifiedUserFactory()
        services.register(forum=settings.forum, user=user, details=participant_details(), now=last_minute)
        with pytest.raises(RegistrationError, match="closed"):
            services.register(
                forum=settings.forum,
                user=VerifiedUserFactory(),
                details=participant_details(),
                now=last_minute + timedelta(minutes=1),
            )

    def test_a_forum_without_settings_takes_no_registrations(self, participant):
        forum = SessionFactory().forum
        with pytest.raises(RegistrationError) as refused:
            services.register(forum=forum, user=participant, details=participant_details())
        assert refused.value.code == "closed"

    def test_an_unverified_address_cannot_register(self, open_forum):
        user = UserFactory()
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
        with pytest.raises(RegistrationError) as refused:
            services.register(forum=open_forum, user=user, details=participant_details())
        assert refused.value.code == "not_verified"
        assert not Registration.objects.exists()

    def test_consent_is_required(self, open_forum, participant):
        with pytest.raises(RegistrationError) as refused:
            services.register(forum=open_forum, user=participant, details=participant_details(consent=False))
        assert refused.value.code == "consent"

    def test_registering_twice_keeps_one_row(self, open_forum, participant):
        services.register(forum=open_forum, user=participant, details=participant_details())
        with pytest.raises(RegistrationError) as refused:
            services.register(forum=open_forum, user=participant, details=participant_details(city="Lima"))
        assert refused.value.code == "already_registered"
        assert list(Registration.objects.values_list("city", flat=True)) == ["Quito"]

    def test_a_cancelled_participant_registers_again_on_the_same_row(self, open_forum, participant):
        first = services.register(forum=open_forum, user=participant, details=participant_details())
        services.cancel_registration(registration=first)
        again = services.register(forum=open_forum, user=participant, details=participant_details(city="Lima"))
        assert again.pk == first.pk
        assert (status_of(again), Registration.objects.get().city) == ("confirmed", "Lima")


class TestUpdateDetails:
    def test_edits_are_saved_while_open(self, confirmed_registration):
        services.update_details(registration=confirmed_registration, details={"city": "Cuenca", "position": "Mayor"})
        stored = Registration.objects.get()
        assert (stored.city, stored.position, stored.status) == ("Cuenca", "Mayor", "confirmed")

    def test_edits_are_refused_after_closing(self, confirmed_registration, registration_settings):
        registration_settings.opens_on, registration_settings.closes_on = date(2001, 1, 1), date(2001, 1, 2)
        registration_settings.save()
        with pytest.raises(RegistrationError, match="closed"):
            services.update_details(registration=confirmed_registration, details={"city": "Cuenca"})
        assert Registration.objects.get().city == "Quito"

    def test_participants_do_not_change_their_category(self, registration_settings):
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        register(registration_settings, category="youth")
        waiting = register(registration_settings, category="youth")
        services.update_details(registration=waiting, details={"category": "academia", "city": "Lima"})
        stored = Registration.objects.get(pk=waiting.pk)
        assert (stored.category, stored.city, stored.status) == ("youth", "Lima", "waitlisted")

    def test_a_cancelled_registration_cannot_be_edited(self, confirmed_registration):
        services.cancel_registration(registration=confirmed_registration)
        with pytest.raises(RegistrationError, match="declined or cancelled"):
            services.update_details(registration=confirmed_registration, details={"city": "Cuenca"})


class TestChangeCategory:
    def test_moving_a_place_into_a_full_category_is_refused(self, registration_settings):
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        register(registration_settings, category="youth")
        mayor = register(registration_settings, category="local_government")
        assert services.category_change_refusal(mayor, "youth") == "The places for the category “Youth” are taken."
        with pytest.raises(RegistrationError) as refused:
            services.change_category(registration=mayor, category="youth")
        assert refused.value.code == "quota_full"
        assert Registration.objects.get(pk=mayor.pk).category == "local_government"

    def test_a_waitlisted_participant_moved_to_a_category_with_room_is_promoted(self, registration_settings):
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        register(registration_settings, category="youth")
        waiting = register(registration_settings, category="youth")
        services.change_category(registration=waiting, category="academia")
        assert status_of(waiting) == "confirmed"
        assert kinds(waiting) == ["waitlisted", "promoted"]

    def test_moving_out_of_a_full_category_frees_its_place_for_the_waitlist(self, registration_settings):
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        youth = register(registration_settings, category="youth")
        waiting = register(registration_settings, category="youth")
        services.change_category(registration=youth, category="civil_society")
        assert (status_of(youth), status_of(waiting)) == ("confirmed", "confirmed")

    def test_organizers_change_categories_after_registration_closes(
        self, confirmed_registration, registration_settings
    ):
        registration_settings.opens_on, registration_settings.closes_on = date(2001, 1, 1), date(2001, 1, 2)
        registration_settings.save()
        services.change_category(registration=confirmed_registration, category="media")
        assert Registration.objects.get().category == "media"


class TestOrganizerDecisions:
    @pytest.fixture
    def approving(self, registration_settings):
        registration_settings.requires_approval, registration_settings.capacity = True, 1
        registration_settings.save()
        return registration_settings

    def test_confirm_a_submitted_registration(self, approving):
        registration = register(approving)
        assert services.confirm_registration(registration=registration) is True
        assert services.confirm_registration(registration=registration) is False
        assert status_of(registration) == "confirmed"
        assert kinds(registration) == ["received", "confirmed"]

    def test_decline_frees_the_place_for_the_first_waitlisted(self, approving):
        first, second, third = (register(approving) for _ in range(3))
        assert services.decline_registration(registration=first) is True
        assert [status_of(r) for r in (first, second, third)] == ["declined", "submitted", "waitlisted"]
        assert kinds(first) == ["received", "declined"]
        assert kinds(second) == ["waitlisted", "promoted"]

    def test_a_waitlisted_registration_is_not_confirmed_over_capacity(self, approving):
        register(approving)
        waiting = register(approving)
        with pytest.raises(RegistrationError) as refused:
            services.confirm_registration(registration=waiting)
        assert refused.value.code == "forum_full"
        assert status_of(waiting) == "waitlisted"

    def test_a_cancelled_registration_is_not_confirmed(self, approving):
        registration = register(approving)
        services.cancel_registration(registration=registration)
        with pytest.raises(RegistrationError, match="cancelled"):
            services.confirm_registration(registration=registration)

    def test_raising_capacity_fills_places_from_the_waitlist(self, registration_settings):
        registration_settings.capacity = 1
        registration_settings.save()
        register(registration_settings)
        waiting = [register(registration_settings) for _ in range(3)]
        registration_settings.capacity = 3
        registration_settings.save()
        assert services.fill_places(forum=registration_settings.forum) == 2
        assert [status_of(r) for r in waiting] == ["confirmed", "confirmed", "waitlisted"]


class TestCancel:
    def test_cancel_promotes_the_first_waitlisted_that_fits(self, registration_settings):
        registration_settings.capacity = 2
        registration_settings.save()
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        youth = register(registration_settings, category="youth")
        register(registration_settings, category="academia")
        more_youth = register(registration_settings, category="youth")
        media = register(registration_settings, category="media")
        later_media = register(registration_settings, category="media")
        services.cancel_registration(registration=youth)
        assert [status_of(r) for r in (more_youth, media, later_media)] == ["confirmed", "waitlisted", "waitlisted"]

    def test_a_quota_blocked_candidate_keeps_its_place_in_line(self, registration_settings):
        registration_settings.capacity = 2
        registration_settings.save()
        CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
        register(registration_settings, category="youth")
        academic = register(registration_settings, category="academia")
        more_youth = register(registration_settings, category="youth")
        media = register(registration_settings, category="media")
        services.cancel_registration(registration=academic)
        assert (status_of(more_youth), status_of(media)) == ("waitlisted", "confirmed")

    def test_cancel_twice_changes_nothing(self, confirmed_registration):
        assert services.cancel_registration(registration=confirmed_registration) is True
        assert services.cancel_registration(registration=confirmed_registration) is False
        assert kinds(confirmed_registration) == ["cancelled"]

    def test_cancel_frees_session_seats(self, confirmed_registration, parallel_session):
        parallel_session.capacity = 1
        parallel_session.save()
        services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        other = RegistrationFactory(forum=confirmed_registration.forum)
        waiting = services.session_sign_up(registration=other, session=parallel_session, join_waitlist=True)
        services.cancel_registration(registration=confirmed_registration)
        assert not SessionSignup.objects.filter(registration=confirmed_registration).exists()
        assert status_of(waiting) == "confirmed"
        assert kinds(other) == ["session_waitlisted", "session_promoted"]


class TestSessionSignUp:
    def test_a_seat_while_there_is_room(self, confirmed_registration, parallel_session):
        signup = services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        assert status_of(signup) == "confirmed"
        assert list(Notification.objects.values_list("kind", "session_id")) == [
            ("session_confirmed", parallel_session.pk)
        ]

    def test_full_session_refuses_unless_joining_the_waitlist(self, open_forum, parallel_session):
        for _ in range(2):
            services.session_sign_up(registration=RegistrationFactory(forum=open_forum), session=parallel_session)
        late = RegistrationFactory(forum=open_forum)
        with pytest.raises(RegistrationError) as refused:
            services.session_sign_up(registration=late, session=parallel_session)
        assert (refused.value.code, refused.value.message) == (
            "session_full",
            "This session is full. You can join its waitlist.",
        )
        waiting = services.session_sign_up(registration=late, session=parallel_session, join_waitlist=True)
        assert status_of(waiting) == "waitlisted"

    def test_capacity_comes_from_the_room_when_the_session_has_none(self, open_forum):
        session = SessionFactory(forum=open_forum, capacity=None, room=RoomFactory(forum=open_forum, capacity=1))
        services.session_sign_up(registration=RegistrationFactory(forum=open_forum), session=session)
        with pytest.raises(RegistrationError, match="full"):
            services.session_sign_up(registration=RegistrationFactory(forum=open_forum), session=session)

    def test_no_capacity_anywhere_means_no_limit(self, open_forum):
        session = SessionFactory(forum=open_forum, capacity=None, room=None)
        for _ in range(5):
            services.session_sign_up(registration=RegistrationFactory(forum=open_forum), session=session)
        assert SessionSignup.objects.filter(status="confirmed").count() == 5

    def test_one_sign_up_among_overlapping_sessions(self, confirmed_registration, parallel_session):
        overlapping = SessionFactory(
            forum=parallel_session.forum, title="Cities and climate", start=quito_time(15), end=quito_time(17)
        )
        later = SessionFactory(forum=parallel_session.forum, start=quito_time(17), end=quito_time(18))
        services.session_sign_up(registration=confirmed_registration, session=overlapping)
        with pytest.raises(RegistrationError) as refused:
            services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        assert refused.value.code == "overlap"
        assert "“Cities and climate” (22 January, 15:00)" in refused.value.message
        services.session_sign_up(registration=confirmed_registration, session=later)
        assert SessionSignup.objects.count() == 2

    def test_a_waitlist_place_counts_as_the_slots_choice(self, open_forum, parallel_session):
        parallel_session.capacity = 0
        parallel_session.save()
        registration = RegistrationFactory(forum=open_forum)
        services.session_sign_up(registration=registration, session=parallel_session, join_waitlist=True)
        overlapping = SessionFactory(forum=open_forum, start=parallel_session.start, end=parallel_session.end)
        with pytest.raises(RegistrationError, match="Leave it first"):
            services.session_sign_up(registration=registration, session=overlapping)

    def test_signing_up_twice_keeps_one_row(self, confirmed_registration, parallel_session):
        first = services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        second = services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        assert first.pk == second.pk
        assert SessionSignup.objects.count() == 1
        assert Notification.objects.count() == 1

    @pytest.mark.parametrize("status", ["submitted", "waitlisted", "cancelled", "declined"])
    def test_only_confirmed_participants_sign_up(self, open_forum, parallel_session, status):
        registration = RegistrationFactory(forum=open_forum, status=status)
        with pytest.raises(RegistrationError) as refused:
            services.session_sign_up(registration=registration, session=parallel_session)
        assert refused.value.code == "not_confirmed"

    def test_plenaries_need_no_sign_up(self, confirmed_registration):
        plenary = SessionFactory(forum=confirmed_registration.forum, kind=Session.Kind.PLENARY)
        with pytest.raises(RegistrationError) as refused:
            services.session_sign_up(registration=confirmed_registration, session=plenary)
        assert refused.value.code == "plenary"

    def test_another_forums_session_is_refused(self, confirmed_registration):
        with pytest.raises(RegistrationError) as refused:
            services.session_sign_up(registration=confirmed_registration, session=SessionFactory())
        assert refused.value.code == "wrong_forum"

    def test_a_free_seat_goes_to_the_waitlist_before_a_newcomer(self, open_forum, parallel_session):
        waiting = SessionSignupFactory(registration__forum=open_forum, session=parallel_session, status="waitlisted")
        newcomer = RegistrationFactory(forum=open_forum)
        newcomer = services.session_sign_up(registration=newcomer, session=parallel_session)
        assert (status_of(waiting), status_of(newcomer)) == ("confirmed", "confirmed")


class TestSessionLeave:
    def test_leaving_promotes_the_first_waitlisted(self, open_forum, parallel_session):
        seated = [RegistrationFactory(forum=open_forum) for _ in range(2)]
        for registration in seated:
            services.session_sign_up(registration=registration, session=parallel_session)
        waiting = [
            services.session_sign_up(
                registration=RegistrationFactory(forum=open_forum), session=parallel_session, join_waitlist=True
            )
            for _ in range(2)
        ]
        assert services.session_leave(registration=seated[0], session=parallel_session) is True
        assert [status_of(s) for s in waiting] == ["confirmed", "waitlisted"]
        assert services.session_leave(registration=seated[0], session=parallel_session) is False

    def test_leaving_the_waitlist_promotes_nobody(self, open_forum, parallel_session):
        parallel_session.capacity = 0
        parallel_session.save()
        first, second = (
            services.session_sign_up(
                registration=RegistrationFactory(forum=open_forum), session=parallel_session, join_waitlist=True
            )
            for _ in range(2)
        )
        services.session_leave(registration=first.registration, session=parallel_session)
        assert status_of(second) == "waitlisted"

    def test_raising_a_sessions_capacity_fills_its_seats(self, open_forum, parallel_session):
        parallel_session.capacity = 0
        parallel_session.save()
        for _ in range(3):
            services.session_sign_up(
                registration=RegistrationFactory(forum=open_forum), session=parallel_session, join_waitlist=True
            )
        parallel_session.capacity = 2
        parallel_session.save()
        assert services.fill_seats(session=parallel_session) == 2
        assert sorted(SessionSignup.objects.values_list("status", flat=True)) == [
            "confirmed",
            "confirmed",
            "waitlisted",
        ]


class TestCapacityChanges:
    def test_raising_a_sessions_capacity_promotes_its_waitlist_on_save(
        self, open_forum, parallel_session, django_capture_on_commit_callbacks
    ):
        parallel_session.capacity = 0
        parallel_session.save()
        waiting = [
            services.session_sign_up(
                registration=RegistrationFactory(forum=open_forum), session=parallel_session, join_waitlist=True
            )
            for _ in range(2)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            parallel_session.capacity = 1
            parallel_session.save()
        assert [status_of(s) for s in waiting] == ["confirmed", "waitlisted"]

    def test_a_bigger_room_promotes_the_waitlists_of_its_sessions(self, open_forum, django_capture_on_commit_callbacks):
        room = RoomFactory(forum=open_forum, capacity=0)
        session = SessionFactory(forum=open_forum, room=room, capacity=None)
        waiting = services.session_sign_up(
            registration=RegistrationFactory(forum=open_forum), session=session, join_waitlist=True
        )
        with django_capture_on_commit_callbacks(execute=True):
            room.capacity = 5
            room.save()
        assert status_of(waiting) == "confirmed"

    def test_deleting_a_room_lifts_its_sessions_limit_and_promotes_their_waitlists(
        self, open_forum, django_capture_on_commit_callbacks
    ):
        room = RoomFactory(forum=open_forum, capacity=0)
        session = SessionFactory(forum=open_forum, room=room, capacity=None)
        waiting = services.session_sign_up(
            registration=RegistrationFactory(forum=open_forum), session=session, join_waitlist=True
        )
        with django_capture_on_commit_callbacks(execute=True):
            room.delete()
        assert status_of(waiting) == "confirmed"

    def test_a_session_made_a_plenary_drops_its_sign_ups(
        self, confirmed_registration, parallel_session, django_capture_on_commit_callbacks
    ):
        services.session_sign_up(registration=confirmed_registration, session=parallel_session)
        with django_capture_on_commit_callbacks(execute=True):
            parallel_session.kind = Session.Kind.PLENARY
            parallel_session.save()
        assert not SessionSignup.objects.exists()
        overlapping = SessionFactory(
            forum=parallel_session.forum, start=parallel_session.start, end=parallel_session.end
        )
        assert services.session_sign_up(registration=confirmed_registration, session=overlapping).status == "confirmed"
