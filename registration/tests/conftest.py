"""Fixtures of the registration tests: an open forum and its participants."""

import pytest

from registration.models import Registration
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory, VerifiedUserFactory
from sessions_app.tests.factories import SessionFactory


@pytest.fixture
def registration_settings(db):
    """Open registration (2000–2999) for a new forum, no capacity limit, no approval."""
    return RegistrationSettingsFactory()


@pytest.fixture
def open_forum(registration_settings):
    """A forum whose registration is open."""
    return registration_settings.forum


@pytest.fixture
def participant(db):
    """A signed-up participant with a verified e-mail address (password "correct horse battery staple")."""
    return VerifiedUserFactory()


@pytest.fixture
def confirmed_registration(open_forum, participant) -> Registration:
    """``participant``'s CONFIRMED registration for ``open_forum``."""
    return RegistrationFactory(forum=open_forum, user=participant)


@pytest.fixture
def parallel_session(open_forum):
    """A parallel session of ``open_forum`` with 2 seats, 22 January 2020 14:00–16:30 in Quito."""
    return SessionFactory(forum=open_forum, capacity=2)
