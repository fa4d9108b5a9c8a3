"""The participant's pages, driven through their URLs as a browser would: what the
participant reads on the page, the status codes, and the rows stored."""

from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from forum.tests.factories import PersonFactory, RoomFactory, UserFactory
from registration.models import Category, Registration, SessionSignup
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    SessionSignupFactory,
    participant_details,
)
from sessions_app.models import Session
from sessions_app.tests.factories import AgendaItemFactory, SessionFactory, SpeakerRoleFactory, quito_time
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


def url(name: str, forum, **kwargs) -> str:
    return reverse(name, kwargs={"forum_slug": forum.slug, **kwargs})


def session_url(name: str, session) -> str:
    return url(name, session.forum, session_slug=session.slug)


def form_data(*, intent: str = "register", **overrides) -> dict:
    """What the browser posts when the participant fills in the registration form
    (``intent="edit"`` for the edit form, which has no consent checkbox)."""
    details = participant_details(**overrides)
    data = {key: value for key, value in details.items() if key != "consent"}
    if details["consent"] and intent == "register":
        data["consent"] = "on"
    return {**data, "intent": intent}


def text_after_redirect(client, response) -> str:
    """The text of the page ``response`` redirects to (where the flash message shows)."""
    assert response.status_code == 302
    return page_text(client.get(response["Location"]).content)


@pytest.fixture
def signed_in(client, participant):
    """The test client signed in as ``participant`` (verified e-mail address)."""
    client.force_login(participant)
    return client


# Registering.


def test_register_form_asks_every_detail_and_links_consent_to_the_privacy_notice(signed_in, open_forum):
    response = signed_in.get(url("registration:register", open_forum))

    assert response.status_code == 200
    text = page_text(response.content)
    html = response.content.decode()
    for label in (
        "Name as it should be printed",
        "Organization",
        "Position",
        "Participant category",
        "Country",
        "City",
        "Preferred language",
        "Accessibility needs",
    ):
        assert label in text
    assert '<option value="EC">Ecuador</option>' in html
    assert "Español" in text
    privacy = url("registration:privacy", open_forum)
    assert f'I agree to the processing of my personal data as the <a href="{privacy}">privacy notice</a>' in html
    assert 'type="checkbox" name="consent"' in html
    assert "csrfmiddlewaretoken" in html


def test_register_confirms_at_once_when_a_place_is_free(signed_in, open_forum, participant):
    response = signed_in.post(url("registration:register", open_forum), form_data(accessibility_needs="Wheelchair"))

    assert response["Location"] == url("registration:my-registration", open_forum)
    text = text_after_redirect(signed_in, response)
    assert f"Thank you for registering. Your place at {open_forum.title} is confirmed." in text
    registration = Registration.objects.get(forum=open_forum, user=participant)
    assert registration.status == CONFIRMED
    assert (registration.printed_name, registration.country.code, registration.accessibility_needs) == (
        "Ana Pérez",
        "EC",
        "Wheelchair",
    )
    assert registration.consent is True


def test_register_awaits_approval_when_the_organizers_approve_each_registration(signed_in, participant):
    forum = RegistrationSettingsFactory(requires_approval=True).forum

    response = signed_in.post(url("registration:register", forum), form_data())

    assert "is awaiting the organizers' approval" in text_after_redirect(signed_in, response)
    assert Registration.objects.get(forum=forum, user=participant).status == Registration.Status.SUBMITTED


def test_register_when_the_forum_is_full_puts_the_participant_on_the_waitlist(signed_in, participant):
    forum = RegistrationSettingsFactory(capacity=1).forum
    RegistrationFactory(forum=forum)

    response = signed_in.post(url("registration:register", forum), form_data())

    text = text_after_redirect(signed_in, response)
    assert f"All places at {forum.title} are taken: you are on the waitlist, in position 1." in text
    assert "Waitlisted — position 1 on the waitlist" in text
    assert "All places are taken. You keep your place in line" in text
    assert "category" not in text.split("Status", 1)[1].split("My details", 1)[0]
    assert Registration.objects.get(forum=forum, user=participant).status == WAITLISTED


def test_register_when_the_category_quota_is_full_puts_the_participant_on_the_waitlist(signed_in, participant):
    quota = CategoryQuotaFactory(category=Category.YOUTH, places=1)
    forum = quota.settings.forum
    RegistrationFactory(forum=forum, category=Category.YOUTH)
    RegistrationFactory(forum=forum, category=Category.YOUTH, status=WAITLISTED)

    response = signed_in.post(url("registration:register", forum), form_data(category=Category.YOUTH))

    text = text_after_redirect(signed_in, response)
    assert (
        f"Thank you for registering. The places at {forum.title} for the category “Youth” are taken: "
        "you are on the waitlist, in position 2. We will write to you when a place frees up."
    ) in text
    assert "The places for your participant category, “Youth”, are taken." in text
    assert "All places" not in text
    assert Registration.objects.get(forum=forum, user=participant).status == WAITLISTED


def test_my_registration_tells_a_participant_waiting_for_a_category_place_why(signed_in, participant):
    quota = CategoryQuotaFactory(category=Category.YOUTH, places=1, settings__capacity=10)
    forum = quota.settings.forum
    RegistrationFactory(forum=forum, category=Category.YOUTH)
    RegistrationFactory(forum=forum, user=participant, category=Category.YOUTH, status=WAITLISTED)

    text = page_text(signed_in.get(url("registration:my-registration", forum)).content)

    assert "Waitlisted — position 1 on the waitlist" in text
    assert "The places for your participant category, “Youth”, are taken." in text
    assert "All places are taken" not in text


@pytest.mark.parametrize(
    ("opens_on", "closes_on", "message"),
    [
        (date(2019, 1, 1), date(2019, 12, 31), "Registration closed on 31 December 2019."),
        (date(2999, 1, 1), date(2999, 12, 31), "Registration opens on 1 January 2999."),
    ],
)
def test_register_outside_the_registration_days_shows_why_instead_of_the_form(
    signed_in, participant, opens_on, closes_on, message
):
    forum = RegistrationSettingsFactory(opens_on=opens_on, closes_on=closes_on).forum

    response = signed_in.get(url("registration:register", forum))

    assert response.status_code == 200
    assert message in page_text(response.content)
    assert 'name="printed_name"' not in response.content.decode()


def test_register_outside_the_registration_days_keeps_what_was_typed(signed_in, participant):
    forum = RegistrationSettingsFactory(opens_on=date(2019, 1, 1), closes_on=date(2019, 12, 31)).forum

    response = signed_in.post(url("registration:register", forum), form_data(city="Cuenca"))

    assert response.status_code == 200
    assert "Registration closed on 31 December 2019." in page_text(response.content)
    html = response.content.decode()
    assert 'value="Ana Pérez"' in html and 'value="Cuenca"' in html
    assert not Registration.objects.exists()


def test_register_without_a_verified_address_is_refused_on_the_page_and_on_the_form(client, open_forum):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    message = "Confirm your e-mail address first: follow the link in the message we sent you."

    page = client.get(url("registration:register", open_forum))
    posted = client.post(url("registration:register", open_forum), form_data())

    assert message in page_text(page.content)
    assert posted.status_code == 200
    assert message in page_text(posted.content)
    assert 'value="Municipality of Quito"' in posted.content.decode()
    assert not Registration.objects.exists()


def test_register_without_consent_is_refused_on_the_form(signed_in, open_forum):
    response = signed_in.post(url("registration:register", open_forum), form_data(consent=False))

    assert response.status_code == 200
    assert "Registration needs your consent to the processing of your data." in page_text(response.content)
    assert 'value="Ana Pérez"' in response.content.decode()
    assert not Registration.objects.exists()


@pytest.mark.parametrize("value", ["no", "0", "false", "off"])
def test_register_with_a_crafted_refusal_of_consent_is_refused_on_the_form(signed_in, open_forum, value):
    response = signed_in.post(url("registration:register", open_forum), {**form_data(), "consent": value})

    assert response.status_code == 200
    assert "Registration needs your consent to the processing of your data." in page_text(response.content)
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("printed_name", "Ana\x07Pérez", "Remove the invisible control characters."),
        ("city", "Quito\x00", "Remove the invisible control characters."),
        ("accessibility_needs", "Ramp\x1b[31m", "Remove the invisible control characters."),
        ("organization", "Municipality \u202eotiuQ fo", "Remove the invisible characters that change the direction"),
        ("printed_name", "\u200b\ufeff", "This field is required."),
    ],
)
def test_register_refuses_invisible_characters_on_the_form(signed_in, open_forum, field, value, message):
    response = signed_in.post(url("registration:register", open_forum), form_data(**{field: value}))

    assert response.status_code == 200
    assert message in page_text(response.content)
    assert not Registration.objects.exists()


def test_register_keeps_names_in_every_script_as_typed(signed_in, open_forum, participant):
    name = "زهرا\u200cسادات 👩🏽‍💻"
    response = signed_in.post(
        url("registration:register", open_forum),
        form_data(printed_name=name, organization="עיריית תל אביב", accessibility_needs="Ramp\r\nLSE interpreter"),
    )

    assert response.status_code == 302
    registration = Registration.objects.get(forum=open_forum, user=participant)
    assert (registration.printed_name, registration.organization) == (name, "עיריית תל אביב")
    assert registration.accessibility_needs == "Ramp\nLSE interpreter"
    assert name in text_after_redirect(signed_in, response)


def test_register_with_too_long_accessibility_needs_shows_the_limit(signed_in, open_forum):
    response = signed_in.post(url("registration:register", open_forum), form_data(accessibility_needs="x" * 2001))

    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in page_text(response.content)
    assert not Registration.objects.exists()


def test_register_with_an_unknown_country_is_refused_on_the_form(signed_in, open_forum):
    response = signed_in.post(url("registration:register", open_forum), form_data(country="XX"))

    assert response.status_code == 200
    assert "Select a valid choice. XX is not one of the available choices." in page_text(response.content)
    assert not Registration.objects.exists()


def test_registering_with_the_e_mails_sent_on_commit_works(signed_in, open_forum, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_in.post(url("registration:register", open_forum), form_data())

    assert callbacks, "the confirmation e-mail is queued when the registration commits"
    assert "Your place at" in text_after_redirect(signed_in, response)


def test_submitting_the_form_twice_makes_one_registration(signed_in, open_forum, participant):
    register = url("registration:register", open_forum)

    first = signed_in.post(register, form_data())
    second = signed_in.post(register, form_data())

    assert first["Location"] == second["Location"] == url("registration:my-registration", open_forum)
    assert "You are already registered for this forum." in text_after_redirect(signed_in, second)
    assert Registration.objects.filter(forum=open_forum, user=participant).count() == 1


def test_register_again_after_cancelling_starts_from_the_previous_details(signed_in, open_forum, participant):
    RegistrationFactory(forum=open_forum, user=participant, city="Guayaquil", status=Registration.Status.CANCELLED)

    page = signed_in.get(url("registration:register", open_forum))
    response = signed_in.post(url("registration:register", open_forum), form_data())

    assert 'value="Guayaquil"' in page.content.decode()
    assert 'name="consent"' in page.content.decode()
    assert "Your place at" in text_after_redirect(signed_in, response)
    assert Registration.objects.get(forum=open_forum, user=participant).status == CONFIRMED


def test_a_declined_participant_is_sent_to_my_registration(signed_in, open_forum, participant):
    RegistrationFactory(forum=open_forum, user=participant, status=Registration.Status.DECLINED)

    response = signed_in.get(url("registration:register", open_forum))

    assert response["Location"] == url("registration:my-registration", open_forum)
    assert "could not offer you a place" in text_after_redirect(signed_in, response)


# Editing.


def test_edit_form_is_prefilled_and_does_not_ask_consent_again(signed_in, confirmed_registration):
    forum = confirmed_registration.forum

    response = signed_in.get(url("registration:register", forum))

    html = response.content.decode()
    assert "Edit my registration" in page_text(html)
    assert f'value="{confirmed_registration.printed_name}"' in html
    assert 'name="consent"' not in html
    assert "You consented to the processing of your personal data on" in page_text(html)


def test_edit_saves_the_details_while_registration_is_open(signed_in, confirmed_registration):
    forum = confirmed_registration.forum

    response = signed_in.post(
        url("registration:register", forum), form_data(intent="edit", city="Cuenca", language="es")
    )

    text = text_after_redirect(signed_in, response)
    assert f"Your details were saved. Your place at {forum.title} is confirmed." in text
    confirmed_registration.refresh_from_db()
    assert (confirmed_registration.city, confirmed_registration.language) == ("Cuenca", "es")
    assert Registration.objects.count() == 1


def test_edit_form_shows_the_category_locked(signed_in, confirmed_registration):
    response = signed_in.get(url("registration:register", confirmed_registration.forum))

    html = response.content.decode()
    select = html[html.index('<select name="category"') :]
    assert "disabled" in select[: select.index(">")]
    assert "Write to the organizers to change your category." in page_text(html)


def test_edit_does_not_change_the_category(signed_in, confirmed_registration):
    response = signed_in.post(
        url("registration:register", confirmed_registration.forum),
        form_data(intent="edit", category=Category.YOUTH, city="Cuenca"),
    )

    assert "Your details were saved." in text_after_redirect(signed_in, response)
    confirmed_registration.refresh_from_db()
    assert (confirmed_registration.category, confirmed_registration.city) == (Category.LOCAL_GOVERNMENT, "Cuenca")


def test_a_waitlisted_participant_cannot_jump_the_quota_by_switching_category(signed_in, participant):
    quota = CategoryQuotaFactory(category=Category.YOUTH, places=1, settings__capacity=10)
    forum = quota.settings.forum
    RegistrationFactory(forum=forum, category=Category.YOUTH)
    waiting = RegistrationFactory(forum=forum, user=participant, category=Category.YOUTH, status=WAITLISTED)

    response = signed_in.post(
        url("registration:register", forum), form_data(intent="edit", category=Category.ACADEMIA, city="Loja")
    )

    text = text_after_redirect(signed_in, response)
    assert "Your details were saved. The places at" in text and "for the category “Youth” are taken" in text
    waiting.refresh_from_db()
    assert (waiting.category, waiting.status, waiting.city) == (Category.YOUTH, WAITLISTED, "Loja")


def test_edit_is_refused_after_registration_closes(signed_in, participant):
    forum = RegistrationSettingsFactory(opens_on=date(2019, 1, 1), closes_on=date(2019, 12, 31)).forum
    registration = RegistrationFactory(forum=forum, user=participant, city="Quito")

    page = signed_in.get(url("registration:register", forum))
    posted = signed_in.post(url("registration:register", forum), form_data(intent="edit", city="Cuenca"))
    my_page = page_text(signed_in.get(url("registration:my-registration", forum)).content)

    assert "Registration closed on 31 December 2019." in page_text(page.content)
    assert 'name="city"' not in page.content.decode()
    assert posted.status_code == 200
    assert "Registration closed on 31 December 2019." in page_text(posted.content)
    assert 'value="Cuenca"' in posted.content.decode()
    registration.refresh_from_db()
    assert registration.city == "Quito"
    assert "Edit my details" not in my_page
    assert "your details can no longer be changed" in my_page


# My registration.


def test_my_registration_shows_status_details_and_sessions_in_the_forum_time_zone(signed_in, confirmed_registration):
    forum = confirmed_registration.forum
    room = RoomFactory(forum=forum, name="Sala Metropolitana")
    session = SessionFactory(forum=forum, title="Cities and partnerships", room=room, start=quito_time(14))
    SessionSignupFactory(registration=confirmed_registration, session=session)

    response = signed_in.get(url("registration:my-registration", forum))

    assert response.status_code == 200
    text = page_text(response.content)
    assert "Status Confirmed" in text
    assert confirmed_registration.printed_name in text
    assert "Municipality of Quito" in text and "Ecuador" in text and "Local government" in text
    assert "Cities and partnerships Wednesday 22 January, 14:00–16:30 Sala Metropolitana Seat confirmed Leave" in text
    assert "19:00" not in text
    html = response.content.decode()
    assert f'href="{session_url("registration:session-leave", session)}"' in html
    assert f'href="{url("registration:cancel", forum)}"' in html
    assert f'href="{url("registration:register", forum)}"' in html  # edit while open


def test_my_registration_shows_waitlist_positions(signed_in, participant, parallel_session):
    forum = parallel_session.forum
    registration = RegistrationFactory(forum=forum, user=participant)
    SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum))
    for _ in range(2):
        SessionSignupFactory(
            session=parallel_session,
            registration=RegistrationFactory(forum=forum),
            status=SessionSignup.Status.WAITLISTED,
        )
    SessionSignupFactory(session=parallel_session, registration=registration, status=SessionSignup.Status.WAITLISTED)

    text = page_text(signed_in.get(url("registration:my-registration", forum)).content)

    assert "Waitlist, position 3" in text


def test_my_registration_shows_the_forum_waitlist_position(signed_in, participant, open_forum):
    RegistrationFactory(forum=open_forum, status=WAITLISTED)
    RegistrationFactory(forum=open_forum, user=participant, status=WAITLISTED)

    text = page_text(signed_in.get(url("registration:my-registration", open_forum)).content)

    assert "Waitlisted — position 2 on the waitlist" in text
    assert "You can choose parallel sessions once your place is confirmed." in text


def test_my_registration_without_a_registration_offers_to_register(signed_in, open_forum):
    response = signed_in.get(url("registration:my-registration", open_forum))

    assert f"You are not registered for {open_forum.title}." in page_text(response.content)
    assert f'href="{url("registration:register", open_forum)}"' in response.content.decode()


# Leaving a session.


def test_leaving_a_session_asks_first_then_gives_the_seat_to_the_first_waitlisted(
    signed_in, confirmed_registration, parallel_session
):
    forum = parallel_session.forum
    SessionSignupFactory(registration=confirmed_registration, session=parallel_session)
    SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum))
    first = SessionSignupFactory(
        session=parallel_session,
        registration=RegistrationFactory(forum=forum),
        status=SessionSignup.Status.WAITLISTED,
        waitlisted_at=quito_time(9),
    )
    second = SessionSignupFactory(
        session=parallel_session,
        registration=RegistrationFactory(forum=forum),
        status=SessionSignup.Status.WAITLISTED,
        waitlisted_at=quito_time(10),
    )
    leave = session_url("registration:session-leave", parallel_session)

    page = signed_in.get(leave)

    assert page.status_code == 200
    assert f"Are you sure you want to leave “{parallel_session.title}”?" in page_text(page.content)
    assert SessionSignup.objects.filter(registration=confirmed_registration).exists()

    response = signed_in.post(leave)

    assert response["Location"] == url("registration:my-registration", forum)
    assert f"You left “{parallel_session.title}”." in text_after_redirect(signed_in, response)
    assert not SessionSignup.objects.filter(registration=confirmed_registration).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SessionSignup.Status.CONFIRMED
    assert second.status == SessionSignup.Status.WAITLISTED


def test_leaving_a_waitlist_says_it_is_the_waitlist_one_leaves(signed_in, confirmed_registration, parallel_session):
    forum = parallel_session.forum
    for _ in range(2):
        SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(
        session=parallel_session, registration=confirmed_registration, status=SessionSignup.Status.WAITLISTED
    )
    leave = session_url("registration:session-leave", parallel_session)

    text = page_text(signed_in.get(leave).content)

    assert f"Leave the waitlist of “{parallel_session.title}”" in text
    assert f"Are you sure you want to leave the waitlist of “{parallel_session.title}”?" in text
    assert "You are in position 1 on the session's waitlist" in text
    assert "Yes, leave the waitlist" in text
    assert "Leave a session" not in text and "Yes, leave the session" not in text

    signed_in.post(leave)

    assert not SessionSignup.objects.filter(registration=confirmed_registration).exists()


def test_leaving_a_seat_says_it_is_the_session_one_leaves(signed_in, confirmed_registration, parallel_session):
    SessionSignupFactory(session=parallel_session, registration=confirmed_registration)

    text = page_text(signed_in.get(session_url("registration:session-leave", parallel_session)).content)

    assert "Leave a session" in text and "Yes, leave the session" in text
    assert "waitlist of" not in text


def test_leaving_a_session_one_is_not_in_changes_nothing(signed_in, confirmed_registration, parallel_session):
    leave = session_url("registration:session-leave", parallel_session)
    message = f"You are not signed up for “{parallel_session.title}”."

    assert message in text_after_redirect(signed_in, signed_in.get(leave))
    assert message in text_after_redirect(signed_in, signed_in.post(leave))


# Cancelling.


def test_cancelling_asks_first_then_frees_the_place_and_the_seats(signed_in, participant, parallel_session):
    forum = parallel_session.forum
    forum.registration_settings.capacity = 2
    forum.registration_settings.save()
    registration = RegistrationFactory(forum=forum, user=participant)
    RegistrationFactory(forum=forum)
    waiting = RegistrationFactory(forum=forum, status=WAITLISTED)
    SessionSignupFactory(registration=registration, session=parallel_session)
    SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum, status=CONFIRMED))
    waiting_seat = SessionSignupFactory(
        session=parallel_session,
        registration=RegistrationFactory(forum=forum),
        status=SessionSignup.Status.WAITLISTED,
    )
    cancel = url("registration:cancel", forum)

    page = signed_in.get(cancel)

    assert page.status_code == 200
    page_words = page_text(page.content)
    assert f"Are you sure you want to cancel your registration for {forum.title}?" in page_words
    assert "Your place at the forum goes to the first person on the waitlist." in page_words
    assert "You leave every parallel session you chose, and your seats go to the people waiting for them." in page_words
    registration.refresh_from_db()
    assert registration.status == CONFIRMED

    response = signed_in.post(cancel)

    text = text_after_redirect(signed_in, response)
    assert f"Your registration for {forum.title} is cancelled." in text
    assert "Your place and session seats are free for others." in text
    assert "Status Cancelled" in text
    registration.refresh_from_db()
    waiting.refresh_from_db()
    waiting_seat.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert not registration.signups.exists()
    assert waiting_seat.status == SessionSignup.Status.CONFIRMED


def test_cancelling_from_the_waitlist_says_one_leaves_the_waitlist(signed_in, participant):
    forum = RegistrationSettingsFactory(capacity=1).forum
    RegistrationFactory(forum=forum)
    RegistrationFactory(forum=forum, status=WAITLISTED)
    registration = RegistrationFactory(forum=forum, user=participant, status=WAITLISTED)
    cancel = url("registration:cancel", forum)

    my_page = page_text(signed_in.get(url("registration:my-registration", forum)).content)
    page = page_text(signed_in.get(cancel).content)
    text = text_after_redirect(signed_in, signed_in.post(cancel))

    assert "Cancel your registration to leave the waitlist." in my_page
    assert "You leave the waitlist, where you are in position 2." in page
    assert "Your place at the forum goes" not in page and "seats" not in page
    assert f"Your registration for {forum.title} is cancelled. You have left the waitlist." in text
    assert "free for others" not in text
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_cancelling_a_registration_awaiting_approval_frees_only_its_place(signed_in, participant):
    forum = RegistrationSettingsFactory(requires_approval=True).forum
    RegistrationFactory(forum=forum, user=participant, status=Registration.Status.SUBMITTED)
    cancel = url("registration:cancel", forum)

    page = page_text(signed_in.get(cancel).content)
    text = text_after_redirect(signed_in, signed_in.post(cancel))

    assert "Your place at the forum goes to the first person on the waitlist." in page
    assert "seats" not in page
    assert f"Your registration for {forum.title} is cancelled. Your place is free for others." in text
    assert "session seats" not in text


def test_cancelling_with_only_session_waitlist_places_frees_no_seat(signed_in, confirmed_registration):
    forum = confirmed_registration.forum
    full = SessionFactory(forum=forum, capacity=1)
    SessionSignupFactory(session=full, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(session=full, registration=confirmed_registration, status=SessionSignup.Status.WAITLISTED)
    cancel = url("registration:cancel", forum)

    page = page_text(signed_in.get(cancel).content)
    text = text_after_redirect(signed_in, signed_in.post(cancel))

    assert "You leave the waitlists of the parallel sessions you chose." in page
    assert "your seats go" not in page
    assert f"Your registration for {forum.title} is cancelled. Your place is free for others." in text


def test_cancelling_promotes_the_first_waitlisted_registration(signed_in, participant):
    forum = RegistrationSettingsFactory(capacity=1).forum
    registration = RegistrationFactory(forum=forum, user=participant)
    waiting = RegistrationFactory(forum=forum, status=WAITLISTED)

    signed_in.post(url("registration:cancel", forum))

    registration.refresh_from_db()
    waiting.refresh_from_db()
    assert (registration.status, waiting.status) == (Registration.Status.CANCELLED, CONFIRMED)


def test_cancelling_twice_changes_nothing_more(signed_in, confirmed_registration):
    cancel = url("registration:cancel", confirmed_registration.forum)

    signed_in.post(cancel)
    response = signed_in.post(cancel)

    assert "Your registration was already cancelled." in text_after_redirect(signed_in, response)
    assert signed_in.get(cancel)["Location"] == url("registration:my-registration", confirmed_registration.forum)


# Session sign-up from the session page.


def test_session_page_offers_a_confirmed_participant_to_sign_up(signed_in, confirmed_registration, parallel_session):
    page = signed_in.get(session_url("sessions_app:session-detail", parallel_session))

    text = page_text(page.content)
    html = page.content.decode()
    assert "Places 2 of 2 places left" in text
    assert f'action="{session_url("registration:session-signup", parallel_session)}"' in html
    assert "Sign up" in text

    response = signed_in.post(
        session_url("registration:session-signup", parallel_session),
        {"next": session_url("sessions_app:session-detail", parallel_session)},
    )

    assert response["Location"] == session_url("sessions_app:session-detail", parallel_session)
    text = text_after_redirect(signed_in, response)
    assert f"You have a seat in “{parallel_session.title}”." in text
    assert "Signed up ✓ – Leave" in text
    assert "1 of 2 places left" in text
    signup = SessionSignup.objects.get(registration=confirmed_registration)
    assert (signup.session, signup.status) == (parallel_session, SessionSignup.Status.CONFIRMED)


def test_a_full_session_offers_its_waitlist(signed_in, confirmed_registration, parallel_session):
    forum = parallel_session.forum
    for _ in range(2):
        SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=forum))
    page_url = session_url("sessions_app:session-detail", parallel_session)
    signup_url = session_url("registration:session-signup", parallel_session)

    page = page_text(signed_in.get(page_url).content)
    refused = signed_in.post(signup_url, {"next": page_url})
    refused_text = text_after_redirect(signed_in, refused)
    joined = signed_in.post(signup_url, {"next": page_url, "join_waitlist": "on"})

    assert "Full — waitlist open" in page and "Join the waitlist" in page
    assert "This session is full. You can join its waitlist." in refused_text
    assert "Join the waitlist" in refused_text
    text = text_after_redirect(signed_in, joined)
    assert f"You are on the waitlist of “{parallel_session.title}”, in position 1." in text
    assert "Waitlisted (#1) – Leave" in text
    assert SessionSignup.objects.get(registration=confirmed_registration).status == SessionSignup.Status.WAITLISTED


@pytest.mark.parametrize("value", ["no", "0", "false", "yes", "off", ""])
def test_a_crafted_join_waitlist_value_other_than_yes_does_not_join(
    signed_in, confirmed_registration, parallel_session, value
):
    for _ in range(2):
        SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=parallel_session.forum))

    response = signed_in.post(session_url("registration:session-signup", parallel_session), {"join_waitlist": value})

    assert "This session is full. You can join its waitlist." in text_after_redirect(signed_in, response)
    assert not SessionSignup.objects.filter(registration=confirmed_registration).exists()


@pytest.mark.parametrize("value", ["1", "on", "true"])
def test_join_waitlist_values_meaning_yes_join(signed_in, confirmed_registration, parallel_session, value):
    for _ in range(2):
        SessionSignupFactory(session=parallel_session, registration=RegistrationFactory(forum=parallel_session.forum))

    response = signed_in.post(session_url("registration:session-signup", parallel_session), {"join_waitlist": value})

    assert "You are on the waitlist of" in text_after_redirect(signed_in, response)
    assert SessionSignup.objects.get(registration=confirmed_registration).status == SessionSignup.Status.WAITLISTED


def test_signing_up_for_an_overlapping_session_names_the_session_already_chosen(
    signed_in, confirmed_registration, parallel_session
):
    forum = parallel_session.forum
    chosen = SessionFactory(forum=forum, title="Climate and mobility", start=quito_time(15))
    SessionSignupFactory(registration=confirmed_registration, session=chosen)

    response = signed_in.post(session_url("registration:session-signup", parallel_session))

    assert response["Location"] == session_url("sessions_app:session-detail", parallel_session)
    text = text_after_redirect(signed_in, response)
    assert (
        "You have already chosen “Climate and mobility” (22 January, 15:00), at the same time as this session." in text
    )
    assert list(SessionSignup.objects.values_list("session", flat=True)) == [chosen.pk]


@pytest.mark.parametrize("status", [SessionSignup.Status.CONFIRMED, SessionSignup.Status.WAITLISTED])
def test_session_page_names_the_choice_at_the_same_time_instead_of_a_sign_up_button(
    signed_in, confirmed_registration, parallel_session, status
):
    forum = parallel_session.forum
    chosen = SessionFactory(forum=forum, title="Climate and mobility", start=quito_time(15), capacity=5)
    SessionSignupFactory(registration=confirmed_registration, session=chosen, status=status)

    response = signed_in.get(session_url("sessions_app:session-detail", parallel_session))

    text = page_text(response.content)
    html = response.content.decode()
    assert "Sign-up At the same time as your choice “Climate and mobility”. Leave it first to choose this one." in text
    assert f'href="{session_url("sessions_app:session-detail", chosen)}"' in html
    assert session_url("registration:session-signup", parallel_session) not in html
    assert "Sign up" not in text.replace("Sign-up", "")


def test_a_plenary_has_no_sign_up(signed_in, confirmed_registration):
    plenary = SessionFactory(forum=confirmed_registration.forum, kind=Session.Kind.PLENARY, capacity=10)

    page = signed_in.get(session_url("sessions_app:session-detail", plenary))
    response = signed_in.post(session_url("registration:session-signup", plenary))

    html = page.content.decode()
    assert "no sign-up is needed" in page_text(html)
    assert "places left" not in page_text(html)
    assert session_url("registration:session-signup", plenary) not in html
    assert "Plenary sessions are open to every participant; no sign-up is needed." in text_after_redirect(
        signed_in, response
    )
    assert not SessionSignup.objects.exists()


def test_signing_up_twice_makes_one_sign_up(signed_in, confirmed_registration, parallel_session):
    signup_url = session_url("registration:session-signup", parallel_session)

    signed_in.post(signup_url)
    signed_in.post(signup_url)

    assert SessionSignup.objects.filter(registration=confirmed_registration).count() == 1


def test_a_participant_awaiting_approval_cannot_sign_up_yet(signed_in, participant, parallel_session):
    RegistrationFactory(forum=parallel_session.forum, user=participant, status=Registration.Status.SUBMITTED)

    page = page_text(signed_in.get(session_url("sessions_app:session-detail", parallel_session)).content)
    response = signed_in.post(session_url("registration:session-signup", parallel_session))

    assert "You can sign up for sessions once your registration is confirmed." in page
    assert "Only confirmed participants can sign up for parallel sessions." in text_after_redirect(signed_in, response)
    assert not SessionSignup.objects.exists()


def test_signing_up_without_a_registration_asks_to_register(signed_in, parallel_session):
    page = signed_in.get(session_url("sessions_app:session-detail", parallel_session))
    response = signed_in.post(session_url("registration:session-signup", parallel_session))

    assert "Register to sign up" in page_text(page.content)
    assert "Register for the forum first" in text_after_redirect(signed_in, response)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_sign_up_goes_back_only_to_pages_of_this_site(signed_in, confirmed_registration, parallel_session, next_url):
    response = signed_in.post(session_url("registration:session-signup", parallel_session), {"next": next_url})

    assert response["Location"] == session_url("sessions_app:session-detail", parallel_session)


# Programme.


def test_programme_shows_places_and_the_participant_controls(signed_in, confirmed_registration):
    forum = confirmed_registration.forum
    small = SessionFactory(forum=forum, title="Small room", capacity=1, start=quito_time(9))
    full = SessionFactory(forum=forum, title="Full room", capacity=1, start=quito_time(9))
    SessionFactory(forum=forum, title="Open hall", start=quito_time(9))
    chosen = SessionFactory(
        forum=forum, title="Chosen", room=RoomFactory(forum=forum, capacity=40), start=quito_time(14)
    )
    SessionFactory(forum=forum, kind=Session.Kind.PLENARY, title="Closing plenary", start=quito_time(17))
    SessionSignupFactory(session=full, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(session=chosen, registration=confirmed_registration)
    programme = url("sessions_app:programme", forum)

    response = signed_in.get(programme)

    text = page_text(response.content)
    html = response.content.decode()
    assert "Small room" in text and "1 of 1 place left" in text
    assert "Full room" in text and "Full — waitlist open Join the waitlist" in text
    assert "Open hall" in text
    assert "39 of 40 places left Signed up ✓ – Leave" in text
    assert html.count('name="join_waitlist"') == 1
    assert html.count('<form method="post" action="/en/forums/') == 3  # small, full, open hall
    assert "At the same time as your choice" not in text
    assert f'value="{programme}#signup-{small.slug}"' in html
    plenary_block = html[html.index("Closing plenary") :]
    assert "Sign up" not in plenary_block and "places left" not in plenary_block


def test_programme_names_the_choice_at_the_same_time_instead_of_offering_a_sign_up(signed_in, confirmed_registration):
    forum = confirmed_registration.forum
    chosen = SessionFactory(forum=forum, title="Chosen", start=quito_time(14))
    waiting = SessionFactory(forum=forum, title="Waiting", start=quito_time(9), capacity=1)
    SessionSignupFactory(session=waiting, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(session=chosen, registration=confirmed_registration)
    SessionSignupFactory(session=waiting, registration=confirmed_registration, status=SessionSignup.Status.WAITLISTED)
    overlapping = SessionFactory(forum=forum, title="Overlapping", start=quito_time(16))
    staggered = SessionFactory(forum=forum, title="Staggered", start=quito_time(10, 30))
    after = SessionFactory(forum=forum, title="Right after", start=chosen.end)

    response = signed_in.get(url("sessions_app:programme", forum))

    text = page_text(response.content)
    html = response.content.decode()
    assert (
        "Overlapping" in text and "At the same time as your choice “Chosen”. Leave it first to choose this one." in text
    )
    assert (
        "Staggered" in text and "At the same time as your choice “Waiting”. Leave it first to choose this one." in text
    )
    assert text.count("At the same time as your choice") == 2
    for session in (overlapping, staggered):
        assert session_url("registration:session-signup", session) not in html
    assert session_url("registration:session-signup", after) in html


@pytest.mark.parametrize(
    ("status", "own_state"),
    [
        (SessionSignup.Status.CONFIRMED, "Signed up ✓ – Leave"),
        (SessionSignup.Status.WAITLISTED, "Waitlisted (#1) – Leave"),
    ],
)
def test_a_full_session_shows_its_own_seat_or_waitlist_place_without_the_full_badge(
    signed_in, confirmed_registration, status, own_state
):
    forum = confirmed_registration.forum
    full = SessionFactory(forum=forum, title="Only seat", capacity=1)
    if status == SessionSignup.Status.WAITLISTED:
        SessionSignupFactory(session=full, registration=RegistrationFactory(forum=forum))
    SessionSignupFactory(session=full, registration=confirmed_registration, status=status)
    other = RegistrationFactory(forum=forum)

    programme = page_text(signed_in.get(url("sessions_app:programme", forum)).content)
    page = page_text(signed_in.get(session_url("sessions_app:session-detail", full)).content)
    signed_in.force_login(other.user)
    others_programme = page_text(signed_in.get(url("sessions_app:programme", forum)).content)

    assert f"Only seat {own_state}" in programme
    assert f"Sign-up {own_state}" in page
    for text in (programme, page):
        assert "Full" not in text and "place left" not in text
    assert "Only seat Full — waitlist open Join the waitlist" in others_programme


def test_programme_puts_the_places_and_the_sign_up_control_in_the_session_card(signed_in, confirmed_registration):
    forum = confirmed_registration.forum
    session = SessionFactory(forum=forum, title="Small room", capacity=1)

    html = signed_in.get(url("sessions_app:programme", forum)).content.decode()

    card = html[html.index('<div class="programme-session card h-100">') :]
    card = card[: card.index(f'id="signup-{session.slug}"')]
    assert "Small room" in card
    footer = card[card.index('<div class="card-footer programme-session-signup">') :]
    assert "1 of 1 place left" in page_text(footer)
    assert "</article>" not in footer  # the footer follows the card's body, inside the card's frame


def test_programme_leaves_out_an_empty_card_footer(client):
    forum = RegistrationSettingsFactory(opens_on=date(2019, 1, 1), closes_on=date(2019, 12, 31)).forum
    SessionFactory(forum=forum, title="No limit")
    SessionFactory(forum=forum, title="Limited", capacity=5)

    html = client.get(url("sessions_app:programme", forum)).content.decode()

    assert html.count('class="programme-session card h-100"') == 2
    assert html.count("card-footer programme-session-signup") == 1
    assert "5 of 5 places left" in page_text(html)


def test_programme_invites_anonymous_visitors_to_register_while_registration_is_open(client, parallel_session):
    forum = parallel_session.forum

    response = client.get(url("sessions_app:programme", forum))

    text = page_text(response.content)
    assert "2 of 2 places left Register to sign up" in text
    assert f'href="{url("registration:register", forum)}"' in response.content.decode()
    assert session_url("registration:session-signup", parallel_session) not in response.content.decode()


def test_programme_does_not_invite_to_register_when_registration_is_closed(client):
    forum = RegistrationSettingsFactory(opens_on=date(2019, 1, 1), closes_on=date(2019, 12, 31)).forum
    SessionFactory(forum=forum, capacity=5)

    text = page_text(client.get(url("sessions_app:programme", forum)).content)

    assert "5 of 5 places left" in text
    assert "Register" not in text


def test_privacy_notice_names_the_forum_and_who_sees_the_data(client, open_forum):
    response = client.get(url("registration:privacy", open_forum))

    text = page_text(response.content)
    assert response.status_code == 200
    assert f"How the organizers of {open_forum.title} handle the personal data" in text
    for heading in ("What we collect", "Why", "Who sees it", "How long we keep it", "Your rights", "Contact"):
        assert heading in text


# Personal data stays off the public pages.


@pytest.mark.parametrize("viewer", ["anonymous", "other participant"])
def test_participants_personal_data_never_appears_on_public_pages(client, open_forum, viewer):
    user = UserFactory(email="ana.private@example.org")
    registration = RegistrationFactory(
        forum=open_forum,
        user=user,
        printed_name="Anastasia Privatova",
        organization="Secret Municipality",
        city="Hiddenville",
        accessibility_needs="Needs a sign-language interpreter",
    )
    session = SessionFactory(forum=open_forum, capacity=10)
    SessionSignupFactory(registration=registration, session=session)
    person = PersonFactory()
    SpeakerRoleFactory(agenda_item=AgendaItemFactory(session=session), person=person)
    if viewer == "other participant":
        client.force_login(RegistrationFactory(forum=open_forum).user)
    pages = [
        reverse("forum:forum-list"),
        reverse("forum:forum-home", kwargs={"forum_slug": open_forum.slug}),
        url("sessions_app:programme", open_forum),
        session_url("sessions_app:session-detail", session),
        url("forum:speaker-list", open_forum),
        url("forum:speaker-detail", open_forum, person_slug=person.slug),
        url("forum:organization-list", open_forum),
        url("registration:privacy", open_forum),
    ]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for private in (
            "Anastasia Privatova",
            "Secret Municipality",
            "Hiddenville",
            "sign-language interpreter",
            "ana.private@example.org",
        ):
            assert private not in html, (page, private)
    assert "9 of 10 places left" in page_text(client.get(session_url("sessions_app:session-detail", session)).content)


def test_times_on_the_leave_page_are_in_the_forum_time_zone(signed_in, confirmed_registration):
    session = SessionFactory(
        forum=confirmed_registration.forum, start=quito_time(14), end=quito_time(14) + timedelta(hours=1)
    )
    SessionSignupFactory(registration=confirmed_registration, session=session)

    text = page_text(signed_in.get(session_url("registration:session-leave", session)).content)

    assert "Wednesday 22 January, 14:00–15:00" in text
