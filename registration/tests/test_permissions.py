"""Who may reach the participant's pages: anonymous visitors, another participant, an
organizer; unknown forums and sessions answer 404. Everything is looked up through the
signed-in user, so nobody sees or changes another participant's registration."""

import pytest
from django.urls import reverse

from registration.models import Registration, SessionSignup
from registration.tests.factories import RegistrationFactory, SessionSignupFactory, VerifiedUserFactory
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

FORUM_PAGES = ["registration:register", "registration:my-registration", "registration:cancel"]
SESSION_PAGES = ["registration:session-signup", "registration:session-leave"]
CHANGES = ["registration:register", "registration:cancel", *SESSION_PAGES]  # answered by POST


def url_of(name: str, session, *, forum_slug: str | None = None, session_slug: str | None = None) -> str:
    kwargs = {"forum_slug": forum_slug or session.forum.slug}
    if name in SESSION_PAGES:
        kwargs["session_slug"] = session_slug or session.slug
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def someone_signed_up(confirmed_registration, parallel_session) -> SessionSignup:
    """``participant`` (confirmed) holding a seat in ``parallel_session``."""
    return SessionSignupFactory(registration=confirmed_registration, session=parallel_session)


# Anonymous visitors.


@pytest.mark.parametrize("name", FORUM_PAGES + SESSION_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, parallel_session, name):
    url = url_of(name, parallel_session)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("name", CHANGES)
def test_anonymous_posts_change_nothing(client, someone_signed_up, name):
    response = client.post(url_of(name, someone_signed_up.session), {"printed_name": "Intruder"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.printed_name != "Intruder"
    assert SessionSignup.objects.count() == 1


def test_the_privacy_notice_is_public(client, open_forum):
    response = client.get(reverse("registration:privacy", kwargs={"forum_slug": open_forum.slug}))

    assert response.status_code == 200


def test_session_sign_up_answers_only_post(client, participant, parallel_session):
    client.force_login(participant)

    response = client.get(url_of("registration:session-signup", parallel_session))

    assert response.status_code == 405


# Another participant.


def test_another_participant_sees_only_their_own_registration(client, someone_signed_up):
    forum = someone_signed_up.session.forum
    other = RegistrationFactory(forum=forum, printed_name="Bruno Other", city="Cuenca")
    client.force_login(other.user)

    my_page = page_text(client.get(url_of("registration:my-registration", someone_signed_up.session)).content)
    edit_form = client.get(url_of("registration:register", someone_signed_up.session)).content.decode()

    owner = someone_signed_up.registration
    assert "Bruno Other" in my_page and "Cuenca" in my_page
    assert owner.printed_name not in my_page
    assert someone_signed_up.session.title not in my_page
    assert 'value="Bruno Other"' in edit_form
    assert owner.printed_name not in edit_form


def test_another_participant_cannot_cancel_someone_elses_registration(client, someone_signed_up):
    forum = someone_signed_up.session.forum
    other = RegistrationFactory(forum=forum)
    client.force_login(other.user)

    client.post(url_of("registration:cancel", someone_signed_up.session))

    other.refresh_from_db()
    someone_signed_up.registration.refresh_from_db()
    assert other.status == Registration.Status.CANCELLED  # their own
    assert someone_signed_up.registration.status == Registration.Status.CONFIRMED
    assert SessionSignup.objects.filter(pk=someone_signed_up.pk).exists()


def test_another_participant_cannot_take_someone_out_of_a_session(client, someone_signed_up):
    other = RegistrationFactory(forum=someone_signed_up.session.forum)
    client.force_login(other.user)
    leave = url_of("registration:session-leave", someone_signed_up.session)

    page = client.get(leave)
    client.post(leave)

    assert page["Location"] == url_of("registration:my-registration", someone_signed_up.session)
    assert SessionSignup.objects.filter(pk=someone_signed_up.pk).exists()


# An organizer without a registration.


def test_an_organizer_without_a_registration_gets_the_empty_state_everywhere(client, someone_signed_up):
    session = someone_signed_up.session
    organizer = VerifiedUserFactory(is_staff=True, is_superuser=True)
    client.force_login(organizer)
    my_registration = url_of("registration:my-registration", session)

    my_page = page_text(client.get(my_registration).content)
    register = client.get(url_of("registration:register", session))
    cancel = client.get(url_of("registration:cancel", session))
    leave = client.get(url_of("registration:session-leave", session))
    signup = client.post(url_of("registration:session-signup", session))
    client.post(url_of("registration:cancel", session))
    client.post(url_of("registration:session-leave", session))

    assert f"You are not registered for {session.forum.title}." in my_page
    assert someone_signed_up.registration.printed_name not in my_page
    assert register.status_code == 200
    assert 'name="printed_name"' in register.content.decode()
    assert someone_signed_up.registration.printed_name not in register.content.decode()
    assert cancel["Location"] == leave["Location"] == my_registration
    assert "Register for the forum first" in page_text(client.get(signup["Location"]).content)
    assert not Registration.objects.filter(user=organizer).exists()
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    assert SessionSignup.objects.count() == 1


# Unknown forums and sessions.


def answers(client, name: str, url: str) -> set[int]:
    """The status codes of a GET (unless the page answers only POST) and a POST (if it takes one) of ``url``."""
    codes = set()
    if name != "registration:session-signup":
        codes.add(client.get(url).status_code)
    if name in CHANGES:
        codes.add(client.post(url).status_code)
    return codes


@pytest.mark.parametrize("name", FORUM_PAGES + SESSION_PAGES + ["registration:privacy"])
def test_an_unknown_forum_is_404(client, participant, parallel_session, name):
    client.force_login(participant)

    assert answers(client, name, url_of(name, parallel_session, forum_slug="no-such-forum")) == {404}


@pytest.mark.parametrize("name", FORUM_PAGES + SESSION_PAGES + ["registration:privacy"])
def test_an_unpublished_forum_is_404(client, confirmed_registration, parallel_session, name):
    client.force_login(confirmed_registration.user)
    parallel_session.forum.is_published = False
    parallel_session.forum.save()

    assert answers(client, name, url_of(name, parallel_session)) == {404}
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_an_unknown_session_or_another_forums_session_is_404(client, confirmed_registration, parallel_session, name):
    client.force_login(confirmed_registration.user)
    elsewhere = SessionFactory(slug="elsewhere")

    assert answers(client, name, url_of(name, parallel_session, session_slug="no-such-session")) == {404}
    assert answers(client, name, url_of(name, parallel_session, session_slug=elsewhere.slug)) == {404}
    assert not SessionSignup.objects.exists()
