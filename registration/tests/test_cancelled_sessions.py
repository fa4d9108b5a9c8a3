"""Sign-ups around a cancelled session: it takes none, it blocks no other, and a later
reinstatement never leaves a participant in two sessions at once."""

import pytest
from django.urls import reverse

from forum.tests.factories import RoomFactory
from registration.models import SessionSignup
from registration.services import RegistrationError, session_sign_up
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory
from sessions_app.models import Session
from sessions_app.tests.factories import SessionFactory, quito_time
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_at_once():
    """A confirmed registration and two parallel sessions at the same time, in two rooms."""
    first = SessionFactory(title="Housing", slug="housing", start=quito_time(14), end=quito_time(16))
    second = SessionFactory(
        forum=first.forum, title="Jobs", slug="jobs", start=quito_time(14), end=quito_time(16), room=None
    )
    first.room = RoomFactory(forum=first.forum)
    first.save()
    RegistrationSettingsFactory(forum=first.forum)
    return RegistrationFactory(forum=first.forum), first, second


def test_choosing_another_session_gives_up_the_cancelled_one_so_a_reinstatement_cannot_double_book(two_at_once):
    registration, first, second = two_at_once
    session_sign_up(registration=registration, session=first)
    Session.objects.filter(pk=first.pk).update(is_cancelled=True)

    session_sign_up(registration=registration, session=second)
    Session.objects.filter(pk=first.pk).update(is_cancelled=False)

    assert list(SessionSignup.objects.filter(registration=registration).values_list("session__slug", flat=True)) == [
        "jobs"
    ]


def test_a_cancelled_session_takes_no_sign_up(two_at_once):
    registration, first, _second = two_at_once
    Session.objects.filter(pk=first.pk).update(is_cancelled=True)
    first.refresh_from_db()

    with pytest.raises(RegistrationError) as refused:
        session_sign_up(registration=registration, session=first)

    assert refused.value.code == "cancelled"
    assert not SessionSignup.objects.exists()


def test_a_cancelled_sessions_page_offers_no_sign_up(client, two_at_once):
    registration, first, _second = two_at_once
    Session.objects.filter(pk=first.pk).update(is_cancelled=True)
    client.force_login(registration.user)

    response = client.get(
        reverse("sessions_app:session-detail", kwargs={"forum_slug": first.forum.slug, "session_slug": "housing"})
    )

    assert "This session is cancelled, so it takes no sign-ups." in page_text(response.content)
    assert 'name="join_waitlist"' not in response.content.decode()
    assert (
        reverse("registration:session-signup", kwargs={"forum_slug": first.forum.slug, "session_slug": "housing"})
        not in response.content.decode()
    )
