"""Many participants at the same moment never overbook a forum or a session (PostgreSQL only).

Each thread has its own database connection and transaction, released together by a
barrier, as concurrent requests to several gunicorn workers would be. On SQLite every
write transaction takes the database lock, so there is no race to test there; these
tests run in CI's services run (``DATABASE_URL`` pointing at PostgreSQL).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from registration import services
from registration.models import Registration, SessionSignup
from registration.services import RegistrationError
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    VerifiedUserFactory,
    participant_details,
)
from sessions_app.tests.factories import SessionFactory

# One xdist worker runs them all (``--dist loadgroup``): two workers with 50 connections
# each would pass PostgreSQL's default limit of 100 clients.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("postgresql_threads")]

THREADS = 50
SEATS = 10


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (set DATABASE_URL; CI's services run does)")


def all_at_once(call, arguments):
    """Run ``call(argument)`` for every argument in its own thread, all released together.

    Returns each call's result or the exception it raised, in argument order.
    """
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        barrier.wait()
        try:
            return call(argument)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(run, arguments))


def refusal_codes(results):
    return sorted({result.code for result in results if isinstance(result, RegistrationError)})


def test_fifty_sign_ups_for_ten_seats(mailoutbox):
    settings = RegistrationSettingsFactory()
    session = SessionFactory(forum=settings.forum, capacity=SEATS)
    registrations = [RegistrationFactory(forum=settings.forum) for _ in range(THREADS)]

    results = all_at_once(
        lambda registration: services.session_sign_up(registration=registration, session=session, join_waitlist=True),
        registrations,
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = list(SessionSignup.objects.values_list("status", flat=True))
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (SEATS, THREADS - SEATS)


def test_fifty_sign_ups_without_waitlist_leave_forty_refused():
    settings = RegistrationSettingsFactory()
    session = SessionFactory(forum=settings.forum, capacity=SEATS)
    registrations = [RegistrationFactory(forum=settings.forum) for _ in range(THREADS)]

    results = all_at_once(
        lambda registration: services.session_sign_up(registration=registration, session=session), registrations
    )

    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, RegistrationError)] == []
    assert refusal_codes(results) == ["session_full"]
    assert sum(isinstance(r, RegistrationError) for r in results) == THREADS - SEATS
    assert SessionSignup.objects.filter(status="confirmed").count() == SEATS


def test_fifty_registrations_for_ten_places():
    settings = RegistrationSettingsFactory(capacity=SEATS)
    users = [VerifiedUserFactory() for _ in range(THREADS)]

    results = all_at_once(
        lambda user: services.register(forum=settings.forum, user=user, details=participant_details()), users
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = list(Registration.objects.values_list("status", flat=True))
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (SEATS, THREADS - SEATS)


def test_a_category_quota_holds_under_concurrency():
    settings = RegistrationSettingsFactory(capacity=THREADS)
    CategoryQuotaFactory(settings=settings, category="youth", places=5)
    users = [VerifiedUserFactory() for _ in range(THREADS)]

    all_at_once(
        lambda user: services.register(forum=settings.forum, user=user, details=participant_details(category="youth")),
        users,
    )

    assert Registration.objects.filter(status="confirmed").count() == 5


def test_one_participant_submitting_ten_times_at_once_gets_one_registration_and_one_sign_up():
    settings = RegistrationSettingsFactory()
    session = SessionFactory(forum=settings.forum, capacity=SEATS)
    user = VerifiedUserFactory()

    registered = all_at_once(
        lambda _: services.register(forum=settings.forum, user=user, details=participant_details()), range(10)
    )
    assert refusal_codes(registered) == ["already_registered"]
    assert Registration.objects.count() == 1

    registration = Registration.objects.get()
    all_at_once(lambda _: services.session_sign_up(registration=registration, session=session), range(10))
    assert SessionSignup.objects.count() == 1


def test_cancellations_and_sign_ups_at_once_never_overbook():
    settings = RegistrationSettingsFactory()
    session = SessionFactory(forum=settings.forum, capacity=SEATS)
    seated = [RegistrationFactory(forum=settings.forum) for _ in range(SEATS)]
    for registration in seated:
        services.session_sign_up(registration=registration, session=session)
    newcomers = [RegistrationFactory(forum=settings.forum) for _ in range(THREADS - SEATS)]

    def act(registration):
        if registration in seated[:5]:
            return services.cancel_registration(registration=registration)
        return services.session_sign_up(registration=registration, session=session, join_waitlist=True)

    results = all_at_once(act, seated[:5] + newcomers)

    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = list(SessionSignup.objects.values_list("status", flat=True))
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (SEATS, THREADS - SEATS - 5)
