"""The organizers' admin in Spanish: app, model and field names, fieldset titles, columns,
filters, actions, messages, constraint errors and intermediate pages of the forum, session,
registration and release admins are translated.

The admin has no language prefix: ``LocaleMiddleware`` takes the language from the
language cookie, as the language switch sets it.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from forum.tests.factories import ForumFactory
from registration.models import Registration, RegistrationSettings
from registration.tests.factories import RegistrationFactory
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def spanish_admin(admin_client):
    """A superuser's client whose requests ask for Spanish (the language cookie)."""
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return admin_client


def test_session_change_page_in_spanish(spanish_admin):
    session = SessionFactory()

    response = spanish_admin.get(reverse("admin:sessions_app_session_change", args=[session.pk]))

    assert response.status_code == 200
    text = page_text(response.content)
    for spanish in (
        "Horario y lugar",  # fieldset titles
        "Nota conceptual",
        "Avanzado",
        "Notas al pie",  # the footnotes inline
        "Horarios en America/Guayaquil (la zona horaria del foro).",  # help texts
        "Lugares para participantes de una sesión paralela; en blanco se usa el aforo de la sala",
    ):
        assert spanish in text
    for english in ("Time and place", "Concept note", "Advanced", "Footnotes", "the forum's time zone"):
        assert english not in text


def test_registration_changelist_and_actions_in_spanish(spanish_admin):
    registration = RegistrationFactory(printed_name="Ana Pérez")
    SessionFactory(forum=registration.forum)  # a parallel session, for the session filter
    changelist = reverse("admin:registration_registration_changelist")

    response = spanish_admin.get(changelist)

    assert response.status_code == 200
    text = page_text(response.content)
    for spanish in (
        "Confirmar las inscripciones seleccionadas",  # actions
        "Rechazar las inscripciones seleccionadas",
        "Sesiones paralelas",  # columns
        "Inscrito el (hora del foro)",
        "sesión paralela (lugar o lista de espera)",  # a filter's title
    ):
        assert spanish in text
    assert "Confirm selected registrations" not in text

    confirmed = spanish_admin.post(
        changelist, {"action": "confirm_selected", "_selected_action": [registration.pk]}, follow=True
    )
    assert "1 inscripción ya estaba confirmada." in page_text(confirmed.content)

    page = spanish_admin.post(changelist, {"action": "decline_selected", "_selected_action": [registration.pk]})
    assert "¿Rechazar esta inscripción?" in page_text(page.content)
    declined = spanish_admin.post(
        changelist, {"action": "decline_selected", "_selected_action": [registration.pk], "post": "yes"}, follow=True
    )
    assert "1 inscripción rechazada; se avisa por correo a su participante." in page_text(declined.content)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.DECLINED


def test_release_confirmation_page_in_spanish(spanish_admin):
    forum = SessionFactory(title="Cities and climate").forum
    forums = reverse("admin:forum_forum_changelist")

    listing = page_text(spanish_admin.get(forums).content)
    assert "Publicar el programa" in listing  # the action
    assert "Importar un programa de frab" in listing

    page = spanish_admin.post(forums, {"action": "release_programme_action", "_selected_action": [str(forum.pk)]})

    assert page.status_code == 200
    text = page_text(page.content)
    for spanish in (
        f"Publicar el programa de {forum.title}",  # the page's title
        "Nota para el registro de cambios",  # the form's label and help text
        "Opcional: de qué trata esta versión; se muestra encima de sus cambios.",
        "Cities and climate",
    ):
        assert spanish in text
    assert 'value="Publicar la versión 1"' in page.content.decode()  # the confirm button
    assert "Note for the changelog" not in text


def test_app_model_and_field_names_in_spanish(spanish_admin):
    session = SessionFactory()

    index = page_text(spanish_admin.get(reverse("admin:index")).content)
    for spanish in (
        "Foro",  # app names
        "Sesiones y agendas",
        "Inscripción",
        "Foros",  # model names
        "Organizaciones",
        "Personas",
        "Sesiones",
        "Puntos de la agenda",
        "Versiones del programa",
        "Documentos generados",
        "Inscripciones",
        "Inscripciones en sesiones",
        "Configuración de inscripciones",
    ):
        assert spanish in index
    for english in ("Sessions and agendas", "Agenda items", "Programme releases", "Generated documents"):
        assert english not in index

    change = page_text(spanish_admin.get(reverse("admin:sessions_app_session_change", args=[session.pk])).content)
    for spanish in (
        "Título [en]:",  # a translated field's label, per language (modeltranslation)
        "Título [es]:",
        "Tipo:",
        "Inicio:",
        "Fin:",
        "Sala:",
        "Aforo:",
        "Metodología [en]:",
        "Resultado esperado [es]:",
        "Entidades organizadoras de la sesión",  # inlines and their columns
        "Puntos de la agenda",
        "Cita",
    ):
        assert spanish in change
    for english in ("Title [en]", "Kind:", "Room:", "Expected result", "Session organizers", "Agenda items"):
        assert english not in change


def test_registration_settings_constraint_message_in_spanish(spanish_admin):
    forum = ForumFactory()

    response = spanish_admin.post(
        reverse("admin:registration_registrationsettings_add"),
        {
            "forum": forum.pk,
            "opens_on": "2019-12-20",
            "closes_on": "2019-12-10",
            "quotas-TOTAL_FORMS": "0",
            "quotas-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    text = page_text(response.content)
    assert "Las inscripciones no pueden cerrarse antes de abrirse." in text
    assert "Registration cannot close before it opens." not in text
    assert not RegistrationSettings.objects.filter(forum=forum).exists()
