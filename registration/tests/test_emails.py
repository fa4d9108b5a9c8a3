"""The participants' e-mails: one per change, after commit, in their language, as text and HTML."""

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from forum.tests.factories import RoomFactory
from registration import services
from registration.models import Notification, Registration
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationSettingsFactory,
    VerifiedUserFactory,
    participant_details,
)
from sessions_app.tests.factories import SessionFactory

pytestmark = pytest.mark.integration

SITE = "https://forum.example.org"
FORUM = "6th Mayoral Forum"
SESSION = "Partnerships for inclusion"
Kind = Notification.Kind


class World:
    """An open forum (22 January 2020, Quito) with a one-seat parallel session and two people.

    ``participant`` is the person whose e-mail the tests read; ``other`` takes places
    before them. Every service call runs its on-commit callbacks, so e-mails go out.
    """

    def __init__(self, mailoutbox, capture, language: str):
        self.outbox = mailoutbox
        self.capture = capture
        self.language = language
        self.settings = RegistrationSettingsFactory(forum__title=FORUM, forum__venue="Quito Convention Center")
        self.forum = self.settings.forum
        room = RoomFactory(forum=self.forum, name="Sala Galápagos")
        self.session = SessionFactory(forum=self.forum, title=SESSION, capacity=1, room=room)
        self.participant = VerifiedUserFactory()
        self.other = VerifiedUserFactory()

    def run(self, service: Callable, **kwargs):
        """Call ``service`` in a transaction and run what it queued on commit."""
        with self.capture(execute=True):
            return service(**kwargs)

    def register(self, user) -> Registration:
        language = self.language if user == self.participant else "en"
        return self.run(services.register, forum=self.forum, user=user, details=participant_details(language=language))

    def configure(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.settings, name, value)
        self.settings.save()

    def participant_messages(self) -> list:
        return [message for message in self.outbox if message.to == [self.participant.email]]


def received(world: World) -> None:
    world.configure(requires_approval=True)
    world.register(world.participant)


def confirmed(world: World) -> None:
    world.register(world.participant)


def declined(world: World) -> None:
    world.configure(requires_approval=True)
    registration = world.register(world.participant)
    world.outbox.clear()
    world.run(services.decline_registration, registration=registration)


def waitlisted(world: World) -> None:
    world.configure(capacity=1)
    world.register(world.other)
    world.outbox.clear()
    world.register(world.participant)


def promoted(world: World) -> None:
    world.configure(capacity=1)
    first = world.register(world.other)
    world.register(world.participant)
    world.outbox.clear()
    world.run(services.cancel_registration, registration=first)


def cancelled(world: World) -> None:
    registration = world.register(world.participant)
    world.outbox.clear()
    world.run(services.cancel_registration, registration=registration)


def session_confirmed(world: World) -> None:
    registration = world.register(world.participant)
    world.outbox.clear()
    world.run(services.session_sign_up, registration=registration, session=world.session)


def session_waitlisted(world: World) -> None:
    first = world.register(world.other)
    world.run(services.session_sign_up, registration=first, session=world.session)
    registration = world.register(world.participant)
    world.outbox.clear()
    world.run(services.session_sign_up, registration=registration, session=world.session, join_waitlist=True)


def session_promoted(world: World) -> None:
    first = world.register(world.other)
    world.run(services.session_sign_up, registration=first, session=world.session)
    registration = world.register(world.participant)
    world.run(services.session_sign_up, registration=registration, session=world.session, join_waitlist=True)
    world.outbox.clear()
    world.run(services.session_leave, registration=first, session=world.session)


SCENARIOS = {
    Kind.RECEIVED: received,
    Kind.CONFIRMED: confirmed,
    Kind.DECLINED: declined,
    Kind.WAITLISTED: waitlisted,
    Kind.PROMOTED: promoted,
    Kind.CANCELLED: cancelled,
    Kind.SESSION_CONFIRMED: session_confirmed,
    Kind.SESSION_WAITLISTED: session_waitlisted,
    Kind.SESSION_PROMOTED: session_promoted,
}

EXPECTED = {
    (Kind.RECEIVED, "en"): (
        f"Registration received: {FORUM}",
        [
            f"We have received your registration for {FORUM} (Quito, 22 January 2020).",
            "We will write to you again as soon as they confirm or decline it.",
        ],
    ),
    (Kind.RECEIVED, "es"): (
        f"Inscripción recibida: {FORUM}",
        [
            f"Hemos recibido su inscripción en {FORUM} (Quito, 22 de enero de 2020).",
            "Le escribiremos de nuevo en cuanto la confirme o la rechace.",
        ],
    ),
    (Kind.CONFIRMED, "en"): (
        f"Registration confirmed: {FORUM}",
        [f"Your registration for {FORUM} (Quito, 22 January 2020) is confirmed."],
    ),
    (Kind.CONFIRMED, "es"): (
        f"Inscripción confirmada: {FORUM}",
        [f"Su inscripción en {FORUM} (Quito, 22 de enero de 2020) está confirmada."],
    ),
    (Kind.DECLINED, "en"): (
        f"Registration declined: {FORUM}",
        [f"We are sorry: the organizers could not accept your registration for {FORUM}"],
    ),
    (Kind.DECLINED, "es"): (
        f"Inscripción no aceptada: {FORUM}",
        [f"Lo sentimos: el equipo organizador no ha podido aceptar su inscripción en {FORUM}"],
    ),
    (Kind.WAITLISTED, "en"): (
        f"You are on the waitlist: {FORUM}",
        ["is full for now, so your registration is on the waitlist.", "You are number 1 on the waitlist."],
    ),
    (Kind.WAITLISTED, "es"): (
        f"Está en la lista de espera: {FORUM}",
        ["así que su inscripción está en la lista de espera.", "Ocupa el puesto 1 en la lista de espera."],
    ),
    (Kind.PROMOTED, "en"): (
        f"A place is now yours: {FORUM}",
        [f"A place has become free at {FORUM} (Quito, 22 January 2020) and it is yours.", "is confirmed"],
    ),
    (Kind.PROMOTED, "es"): (
        f"Ya tiene un lugar: {FORUM}",
        [f"Se ha liberado un lugar en {FORUM} (Quito, 22 de enero de 2020) y es para usted.", "está confirmada"],
    ),
    (Kind.CANCELLED, "en"): (
        f"Registration cancelled: {FORUM}",
        [f"Your registration for {FORUM} (Quito, 22 January 2020) is cancelled"],
    ),
    (Kind.CANCELLED, "es"): (
        f"Inscripción cancelada: {FORUM}",
        [f"Su inscripción en {FORUM} (Quito, 22 de enero de 2020) ha sido cancelada"],
    ),
    (Kind.SESSION_CONFIRMED, "en"): (
        f"Your seat is confirmed: {SESSION}",
        [f"Your seat in the parallel session “{SESSION}” at {FORUM} is confirmed."],
    ),
    (Kind.SESSION_CONFIRMED, "es"): (
        f"Su lugar está confirmado: {SESSION}",
        [f"Su lugar en la sesión paralela “{SESSION}” de {FORUM} está confirmado."],
    ),
    (Kind.SESSION_WAITLISTED, "en"): (
        f"You are on the session's waitlist: {SESSION}",
        [f"The parallel session “{SESSION}” at {FORUM} is full", "You are number 1 on the waitlist."],
    ),
    (Kind.SESSION_WAITLISTED, "es"): (
        f"Está en la lista de espera de la sesión: {SESSION}",
        [f"La sesión paralela “{SESSION}” de {FORUM} está completa", "Ocupa el puesto 1 en la lista de espera."],
    ),
    (Kind.SESSION_PROMOTED, "en"): (
        f"A seat is now yours: {SESSION}",
        [f"A seat has become free in the parallel session “{SESSION}” at {FORUM} and it is yours."],
    ),
    (Kind.SESSION_PROMOTED, "es"): (
        f"Ya tiene un lugar en la sesión: {SESSION}",
        [f"Se ha liberado un lugar en la sesión paralela “{SESSION}” de {FORUM} y es para usted."],
    ),
}

GREETING = {"en": "Dear Ana Pérez,", "es": "Hola, Ana Pérez:"}
SESSION_TIME = {
    "en": "Wednesday 22 January 2020, 14:00–16:30, Quito time",
    "es": "miércoles 22 de enero de 2020, de 14:00 a 16:30, hora de Quito",
}


@pytest.fixture
def make_world(db, settings, mailoutbox, django_capture_on_commit_callbacks) -> Callable[[str], World]:
    """Build a ``World`` whose participant reads e-mail in the given language."""
    settings.SITE_URL = SITE
    return lambda language: World(mailoutbox, django_capture_on_commit_callbacks, language)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_each_change_sends_the_participant_one_email_in_their_language(make_world, kind, language):
    world = make_world(language)

    SCENARIOS[kind](world)

    [message] = world.participant_messages()
    subject, sentences = EXPECTED[kind, language]
    [(html, mimetype)] = message.alternatives
    assert message.subject == subject
    assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["Content-Language"] == language
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    for body in (message.body, html):
        assert GREETING[language] in body
        for sentence in sentences:
            assert sentence in body
    notification = Notification.objects.get(registration__user=world.participant, kind=kind)
    assert notification.sent_at is not None


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", [Kind.SESSION_CONFIRMED, Kind.SESSION_WAITLISTED, Kind.SESSION_PROMOTED])
def test_session_emails_give_the_local_time_and_room(make_world, kind, language):
    world = make_world(language)

    SCENARIOS[kind](world)

    [message] = world.participant_messages()
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert SESSION_TIME[language] in body  # 14:00 in Quito, stored as 19:00 UTC
        assert "19:00" not in body
        assert "Sala Galápagos" in body


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("en", ["Dates: 22 January 2020", "Registration status: Confirmed", "Place: Quito Convention Center, Quito"]),
        ("es", ["Fechas: 22 de enero de 2020", "Estado de la inscripción: Confirmada", "Sede: Quito Convention"]),
    ],
)
def test_email_lists_the_forum_facts_and_links_to_the_registration_and_programme(make_world, language, facts):
    world = make_world(language)

    confirmed(world)

    [message] = world.participant_messages()
    html = message.alternatives[0].content
    slug = world.forum.slug
    my_registration = f"{SITE}/{language}/forums/{slug}/registration/"
    programme = f"{SITE}/{language}/forums/{slug}/programme/"
    for fact in facts:
        assert fact in message.body
    assert f"{my_registration}\n" in message.body
    assert f"{programme}\n" in message.body
    assert f'href="{my_registration}"' in html
    assert f'href="{programme}"' in html


def test_email_dates_of_a_forum_over_several_days(make_world):
    world = make_world("es")
    world.forum.end_date = world.forum.start_date.replace(day=24)
    world.forum.save()

    confirmed(world)

    [message] = world.participant_messages()
    assert "(Quito, del 22 de enero de 2020 al 24 de enero de 2020)" in message.body


def test_email_escapes_the_name_in_html_only(make_world):
    world = make_world("en")
    details = participant_details(printed_name="Ana <b>O'Neil</b> & Co")

    world.run(services.register, forum=world.forum, user=world.participant, details=details)

    [message] = world.participant_messages()
    assert "Dear Ana <b>O'Neil</b> & Co," in message.body
    assert "Dear Ana &lt;b&gt;O&#x27;Neil&lt;/b&gt; &amp; Co," in message.alternatives[0].content


def test_email_subject_is_one_line(make_world):
    world = make_world("en")
    world.forum.title = "6th Mayoral Forum\non Human Mobility"
    world.forum.save()

    confirmed(world)

    [message] = world.participant_messages()
    assert message.subject == "Registration confirmed: 6th Mayoral Forum on Human Mobility"


@pytest.mark.django_db(transaction=True)
def test_email_is_sent_only_when_the_transaction_commits(mailoutbox, registration_settings, participant):
    with transaction.atomic():
        services.register(forum=registration_settings.forum, user=participant, details=participant_details())
        assert mailoutbox == []
        assert Notification.objects.filter(sent_at=None).count() == 1

    [message] = mailoutbox
    assert message.to == [participant.email]
    assert Notification.objects.get().sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_sends_no_email(mailoutbox, registration_settings, participant):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.register(forum=registration_settings.forum, user=participant, details=participant_details())
        raise RuntimeError("the view failed after registering")

    assert mailoutbox == []
    assert not Registration.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("email_url", "backend"),
    [
        (None, "django.core.mail.backends.console.EmailBackend"),
        ("smtp://forum:secret@mail.example.org:587", "django.core.mail.backends.smtp.EmailBackend"),
        ("smtp+tls://forum:secret@mail.example.org:587", "django.core.mail.backends.smtp.EmailBackend"),
    ],
)
def test_settings_email_backend_follows_email_url(email_url, backend):
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_URL"}
    if email_url:
        env["EMAIL_URL"] = email_url
    env["DJANGO_SETTINGS_MODULE"] = "forum.settings"
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND, settings.EMAIL_HOST)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=django_settings.BASE_DIR
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == backend
    if email_url:
        assert result.stdout.split()[1] == "mail.example.org"


def test_a_participant_waitlisted_by_their_categorys_quota_is_told_so(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    world = World(mailoutbox, django_capture_on_commit_callbacks, "en")
    CategoryQuotaFactory(settings=world.settings, category="local_government", places=1)
    world.register(world.other)
    world.register(world.participant)
    (message,) = world.participant_messages()
    assert "The places for your category (Local government) at 6th Mayoral Forum" in message.body
    assert "is full for now" not in message.body


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("en", f"You are off the waitlist: {FORUM}", "your registration has left the waitlist"),
        ("es", f"Ha salido de la lista de espera: {FORUM}", "su inscripción ha salido de la lista de espera"),
    ],
)
def test_promotion_into_review_does_not_promise_a_place(
    db, mailoutbox, django_capture_on_commit_callbacks, language, subject, sentence
):
    world = World(mailoutbox, django_capture_on_commit_callbacks, language)
    world.configure(requires_approval=True, capacity=1)
    first = world.register(world.other)
    world.register(world.participant)
    world.outbox.clear()
    world.run(services.decline_registration, registration=first)
    (message,) = world.participant_messages()
    assert message.subject == subject
    assert sentence in message.body
    assert "it is yours" not in message.body and "es para usted" not in message.body
