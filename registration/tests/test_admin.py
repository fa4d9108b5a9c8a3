"""The organizers' admin for registration, driven through its real views as a staff superuser.

Changes of status go through the services, whose e-mails are queued when the
transaction commits: these tests run the queued callbacks
(``django_capture_on_commit_callbacks``), or commit for real (``transactional_db``)
where the organizer's message about promotions is what they check.
"""

import csv
import io
import re
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forum.tests.factories import RoomFactory, UserFactory
from registration.models import CategoryQuota, Notification, Registration, RegistrationSettings, SessionSignup
from registration.tests.factories import (
    CategoryQuotaFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    SessionSignupFactory,
)
from sessions_app.release_services import release_programme
from sessions_app.tests.factories import SessionFactory, quito_time
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = "admin:registration_registration_changelist"
WAITLISTED = Registration.Status.WAITLISTED
SUBMITTED = Registration.Status.SUBMITTED


def status_of(row):
    return type(row).objects.get(pk=row.pk).status


def kinds(registration: Registration) -> list[str]:
    return list(registration.notifications.values_list("kind", flat=True))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def act(client, action: str, registrations, **extra):
    """POST the changelist ``action`` for ``registrations`` and follow to the page shown next."""
    data = {"action": action, "_selected_action": [str(r.pk) for r in registrations], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def settings_post(settings: RegistrationSettings | None, forum=None, quotas=(), **overrides) -> dict:
    """The registration settings form with its quota rows (new rows only)."""
    data = {
        "forum": str(forum.pk if forum else settings.forum_id),
        "opens_on": (settings.opens_on if settings else date(2019, 11, 1)).isoformat(),
        "closes_on": (settings.closes_on if settings else date(2020, 1, 15)).isoformat(),
        "capacity": "" if settings is None or settings.capacity is None else str(settings.capacity),
        "requires_approval": "on" if settings and settings.requires_approval else "",
        "quotas-TOTAL_FORMS": str(len(quotas)),
        "quotas-INITIAL_FORMS": "0",
        "quotas-MIN_NUM_FORMS": "0",
        "quotas-MAX_NUM_FORMS": "1000",
    }
    for index, (category, places) in enumerate(quotas):
        data.update({f"quotas-{index}-category": category, f"quotas-{index}-places": str(places)})
    data.update(overrides)
    return data


@pytest.fixture
def forum_rows(registration_settings):
    """A function making ``n`` registrations of the open forum, half of them signed up for a session."""

    def make(n: int):
        session = SessionFactory(forum=registration_settings.forum, title="Cities and partnerships")
        for index in range(n):
            registration = RegistrationFactory(
                forum=registration_settings.forum,
                printed_name=f"Delegate {index:02d}",
                category=["local_government", "civil_society", "academia"][index % 3],
                country=["EC", "CO", "AR"][index % 3],
                status=[Registration.Status.CONFIRMED, WAITLISTED][index % 2],
            )
            if registration.status == Registration.Status.CONFIRMED:
                SessionSignupFactory(registration=registration, session=session)
        return session

    return make


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status__exact": "waitlisted"},
        {"category__exact": "academia"},
        {"country": "AR"},
        {"session": "SESSION"},
        {"forum__id__exact": "FORUM"},
        {"q": "example.org"},
    ],
)
def test_changelist_with_each_filter_runs_a_constant_number_of_queries(
    admin_client, forum_rows, open_forum, django_assert_max_num_queries, rows, query
):
    session = forum_rows(rows)
    query = {
        key: {"SESSION": str(session.pk), "FORUM": str(open_forum.pk)}.get(value, value) for key, value in query.items()
    }
    with django_assert_max_num_queries(9):  # the page's sign-ups and sessions in one of them
        response = admin_client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    "name", ["sessionsignup_changelist", "sessionsignup_attendance", "sessionsignup_attendance_csv"]
)
def test_sign_up_pages_run_a_constant_number_of_queries(
    admin_client, forum_rows, django_assert_max_num_queries, rows, name
):
    session = forum_rows(rows)
    url = reverse(f"admin:registration_{name}", args=[] if name.endswith("changelist") else [session.pk])
    with django_assert_max_num_queries(7):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert "Delegate 00" in response.content.decode()


def test_filters_and_search_select_the_right_registrations(admin_client, forum_rows, open_forum):
    session = forum_rows(6)
    RegistrationFactory(forum=open_forum, printed_name="Rosa Ortiz", city="Guayaquil", organization="Red Cross")

    def names(**query) -> set[str]:
        response = admin_client.get(reverse(CHANGELIST), query)
        assert response.status_code == 200
        return {registration.printed_name for registration in response.context["cl"].result_list}

    assert names(status__exact="waitlisted") == {"Delegate 01", "Delegate 03", "Delegate 05"}
    assert names(category__exact="academia") == {"Delegate 02", "Delegate 05"}
    assert names(country="CO") == {"Delegate 01", "Delegate 04"}
    assert names(session=str(session.pk)) == {"Delegate 00", "Delegate 02", "Delegate 04"}
    assert names(q="guayaquil") == {"Rosa Ortiz"}
    assert names(q="red cross") == {"Rosa Ortiz"}
    rosa = Registration.objects.get(printed_name="Rosa Ortiz")
    assert names(q=rosa.user.email) == {"Rosa Ortiz"}


def test_changelist_shows_the_columns_and_lists_only_parallel_sessions_in_the_filter(
    admin_client, confirmed_registration
):
    SessionFactory(forum=confirmed_registration.forum, title="Parallel on housing")
    SessionFactory(forum=confirmed_registration.forum, title="Opening plenary", kind="plenary")
    Registration.objects.update(created_at=datetime(2020, 1, 2, 14, 30, tzinfo=UTC))
    response = admin_client.get(reverse(CHANGELIST))
    page = response.text
    for text in (confirmed_registration.printed_name, confirmed_registration.user.email, "Local government", "Ecuador"):
        assert text in page
    assert "Thu 2 Jan 2020, 09:30" in page  # 14:30 UTC in Quito
    assert "Parallel on housing" in page and "Opening plenary" not in page


def test_changelist_shows_each_registrations_seats_and_waitlist_places(admin_client, open_forum):
    morning = SessionFactory(forum=open_forum, title="Housing", start=quito_time(9))
    afternoon = SessionFactory(forum=open_forum, title="Migration", start=quito_time(14))
    ana = RegistrationFactory(forum=open_forum, printed_name="Ana")
    SessionSignupFactory(registration=ana, session=afternoon, status="waitlisted")
    SessionSignupFactory(registration=ana, session=morning)
    SessionSignupFactory(session=afternoon, registration__forum=open_forum, registration__printed_name="Luis")
    RegistrationFactory(forum=open_forum, printed_name="Rosa")
    response = admin_client.get(reverse(CHANGELIST), {"session": str(afternoon.pk)})
    assert "By parallel session (seat or waitlist)" in response.text
    rows = {row.printed_name: row for row in response.context["cl"].result_list}
    column = response.context["cl"].model_admin.parallel_sessions
    assert {name: column(row) for name, row in rows.items()} == {
        "Ana": "Housing; Migration (waitlist)",
        "Luis": "Migration",
    }
    assert "Housing; Migration (waitlist)" in response.text


def test_a_malformed_session_filter_redirects_instead_of_failing(admin_client, parallel_session):
    response = admin_client.get(reverse(CHANGELIST), {"session": "abc"})
    assert response.status_code == 302 and "e=1" in response.url


def test_confirm_action_confirms_each_row_and_e_mails_its_participant(
    admin_client, registration_settings, mailoutbox, django_capture_on_commit_callbacks
):
    registration_settings.requires_approval = True
    registration_settings.save()
    forum = registration_settings.forum
    submitted = [RegistrationFactory(forum=forum, status=SUBMITTED) for _ in range(2)]
    already = RegistrationFactory(forum=forum)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "confirm_selected", [*submitted, already])
    assert [status_of(r) for r in submitted] == ["confirmed", "confirmed"]
    assert sorted(message.to[0] for message in mailoutbox) == sorted(r.user.email for r in submitted)
    assert [kinds(r) for r in submitted] == [["confirmed"], ["confirmed"]]
    assert kinds(already) == []
    assert messages_of(response) == [
        "2 registrations confirmed; each participant is notified by e-mail.",
        "1 registration was already confirmed.",
    ]


def test_confirming_when_the_forum_is_full_reports_the_refusal_and_leaves_the_row(
    admin_client, registration_settings, mailoutbox, django_capture_on_commit_callbacks
):
    registration_settings.capacity = 1
    registration_settings.save()
    RegistrationFactory(forum=registration_settings.forum)
    waiting = RegistrationFactory(forum=registration_settings.forum, status=WAITLISTED, printed_name="Luis Mora")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "confirm_selected", [waiting])
    assert status_of(waiting) == WAITLISTED
    assert mailoutbox == []
    assert messages_of(response) == [f"Not confirmed: Luis Mora ({waiting.user.email}). The forum is full."]


def test_refusals_name_each_participant_with_their_e_mail_and_the_reason(
    admin_client, registration_settings, django_capture_on_commit_callbacks
):
    registration_settings.capacity = 2
    registration_settings.save()
    CategoryQuotaFactory(settings=registration_settings, category="youth", places=0)
    forum = registration_settings.forum
    waiting = [
        RegistrationFactory(forum=forum, status=WAITLISTED, printed_name=name, user__email=email, category="youth")
        for name, email in (("Luis Mora", "luis@example.org"), ("Luis Mora", "other.luis@example.org"))
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "confirm_selected", waiting)
    assert messages_of(response) == [
        "Not confirmed: Luis Mora (luis@example.org), Luis Mora (other.luis@example.org). "
        "The places for the category “Youth” are taken."
    ]


def test_decline_asks_first_then_declines_e_mails_and_promotes_the_first_waitlisted(
    admin_client, registration_settings, mailoutbox, django_capture_on_commit_callbacks
):
    registration_settings.capacity = 1
    registration_settings.save()
    forum = registration_settings.forum
    declined = RegistrationFactory(forum=forum, printed_name="Marta Ruiz")
    first, second = (RegistrationFactory(forum=forum, status=WAITLISTED) for _ in range(2))

    page = act(admin_client, "decline_selected", [declined])
    assert page.status_code == 200
    assert "Decline this registration?" in page.text and "Marta Ruiz" in page.text
    assert "Its participant receives an e-mail" in page.text and "Declining frees 1 place," in page.text
    assert status_of(declined) == "confirmed" and mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "decline_selected", [declined], post="yes")
    assert [status_of(declined), status_of(first), status_of(second)] == ["declined", "confirmed", WAITLISTED]
    assert [(message.to[0]) for message in mailoutbox] == [declined.user.email, first.user.email]
    assert (kinds(declined), kinds(first), kinds(second)) == (["declined"], ["promoted"], [])
    assert messages_of(response) == ["1 registration declined; its participant is notified by e-mail."]


def test_decline_confirmation_counts_in_the_plural(admin_client, registration_settings):
    forum = registration_settings.forum
    holding = [RegistrationFactory(forum=forum) for _ in range(2)]
    waiting = RegistrationFactory(forum=forum, status=WAITLISTED)
    page = act(admin_client, "decline_selected", [*holding, waiting])
    assert "Decline these 3 registrations?" in page.text
    assert "Each participant receives an e-mail saying so. Declining frees 2 places," in page.text
    assert 'value="Yes, decline them"' in page.text
    page = act(admin_client, "decline_selected", [waiting])
    assert "Decline this registration?" in page.text and "Declining frees" not in page.text
    assert 'value="Yes, decline it"' in page.text


def test_change_form_shows_times_in_forum_time(admin_client, confirmed_registration, parallel_session):
    signup = SessionSignupFactory(registration=confirmed_registration, session=parallel_session)
    notification = Notification.objects.create(registration=confirmed_registration, kind=Notification.Kind.CONFIRMED)
    moment = datetime(2020, 1, 2, 14, 30, tzinfo=UTC)  # 09:30 in Quito
    Registration.objects.update(created_at=moment, consented_at=moment, updated_at=moment)
    SessionSignup.objects.filter(pk=signup.pk).update(created_at=moment)
    Notification.objects.filter(pk=notification.pk).update(created_at=moment, sent_at=moment)
    response = admin_client.get(reverse("admin:registration_registration_change", args=[confirmed_registration.pk]))
    page = response.text
    for label in ("Consent given at", "Registered", "Last changed", "Signed up at", "Written at", "Sent at"):
        assert f"{label} (forum time)" in page, label
    assert page.count("Thu 2 Jan 2020, 09:30") == 6
    assert "14:30" not in page


def test_change_form_shows_an_e_mail_given_up_after_failed_deliveries(admin_client, confirmed_registration):
    Notification.objects.create(registration=confirmed_registration, kind=Notification.Kind.CONFIRMED, attempts=5)

    page = admin_client.get(reverse("admin:registration_registration_change", args=[confirmed_registration.pk]))

    text = page_text(page.content)
    assert "Failed attempts" in text
    assert re.search(r"Registration confirmed\b.*?\b5\b", text)


def test_change_form_shows_sign_ups_and_notifications_and_keeps_the_status(
    admin_client, confirmed_registration, parallel_session
):
    SessionSignupFactory(registration=confirmed_registration, session=parallel_session)
    Notification.objects.create(registration=confirmed_registration, kind=Notification.Kind.CONFIRMED)
    url = reverse("admin:registration_registration_change", args=[confirmed_registration.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert parallel_session.title in response.text and "Registration confirmed" in response.text

    data = {
        "printed_name": "Ana María Pérez",
        "organization": "Municipality of Quito",
        "position": "Advisor",
        "country": "EC",
        "city": "Quito",
        "language": "es",
        "accessibility_needs": "",
        "status": "declined",
        "category": "youth",
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("signups", "notifications")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    stored = Registration.objects.get(pk=confirmed_registration.pk)
    assert (stored.printed_name, stored.language, stored.status, stored.category) == (
        "Ana María Pérez",
        "es",
        "confirmed",
        "youth",
    )


def change_category(admin_client, registration, category):
    """Post ``registration``'s admin change form with ``category``, the rest unchanged."""
    data = {
        **{name: getattr(registration, name) for name in ("printed_name", "organization", "position", "city")},
        "country": registration.country.code,
        "language": registration.language,
        "accessibility_needs": registration.accessibility_needs,
        "category": category,
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("signups", "notifications")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    return admin_client.post(reverse("admin:registration_registration_change", args=[registration.pk]), data)


def test_a_category_change_into_a_full_quota_is_a_form_error(admin_client, registration_settings):
    CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
    RegistrationFactory(forum=registration_settings.forum, category="youth")
    mayor = RegistrationFactory(forum=registration_settings.forum, category="local_government")

    response = change_category(admin_client, mayor, "youth")

    assert response.status_code == 200
    assert "The places for the category “Youth” are taken." in response.text
    assert Registration.objects.get(pk=mayor.pk).category == "local_government"


def test_a_category_change_that_frees_a_quota_place_promotes_the_waitlist(
    admin_client, registration_settings, django_capture_on_commit_callbacks
):
    CategoryQuotaFactory(settings=registration_settings, category="youth", places=1)
    youth = RegistrationFactory(forum=registration_settings.forum, category="youth")
    waiting = RegistrationFactory(forum=registration_settings.forum, category="youth", status=WAITLISTED)

    with django_capture_on_commit_callbacks(execute=True):
        response = change_category(admin_client, youth, "civil_society")

    assert response.status_code == 302
    assert Registration.objects.get(pk=youth.pk).category == "civil_society"
    assert status_of(waiting) == "confirmed"


def test_registrations_are_not_added_in_the_admin(admin_client, open_forum):
    assert admin_client.get(reverse("admin:registration_registration_add")).status_code == 403


def test_deleting_a_registration_gives_its_place_and_seat_to_the_waitlists(
    admin_client, registration_settings, parallel_session, django_capture_on_commit_callbacks
):
    registration_settings.capacity = 3  # the three seated participants
    registration_settings.save()
    forum = registration_settings.forum
    leaving, seated = RegistrationFactory(forum=forum), RegistrationFactory(forum=forum)
    waiting = RegistrationFactory(forum=forum, status=WAITLISTED)
    SessionSignupFactory(registration=leaving, session=parallel_session)
    SessionSignupFactory(registration=seated, session=parallel_session)
    third = SessionSignupFactory(session=parallel_session, status="waitlisted", registration__forum=forum)
    url = reverse("admin:registration_registration_delete", args=[leaving.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Registration.objects.filter(pk=leaving.pk).exists()
    assert status_of(waiting) == "confirmed" and status_of(third) == "confirmed"


class TestSettingsAdmin:
    def test_adding_settings_with_a_quota_stores_them(self, admin_client, open_forum):
        forum = RegistrationSettingsFactory.build().forum
        forum.save()
        data = settings_post(None, forum=forum, quotas=[("youth", 3)], capacity="200", requires_approval="on")
        response = admin_client.post(reverse("admin:registration_registrationsettings_add"), data)
        assert response.status_code == 302
        stored = RegistrationSettings.objects.get(forum=forum)
        assert (stored.opens_on, stored.closes_on, stored.capacity, stored.requires_approval) == (
            date(2019, 11, 1),
            date(2020, 1, 15),
            200,
            True,
        )
        assert list(stored.quotas.values_list("category", "places")) == [("youth", 3)]

    def test_settings_for_a_forum_that_has_them_are_a_form_error(self, admin_client, registration_settings):
        data = settings_post(registration_settings)
        response = admin_client.post(reverse("admin:registration_registrationsettings_add"), data)
        assert response.status_code == 200
        assert "Registration settings with this Forum already exists." in response.text

    def test_closing_before_opening_is_a_form_error(self, admin_client, registration_settings):
        url = reverse("admin:registration_registrationsettings_change", args=[registration_settings.pk])
        response = admin_client.post(url, settings_post(registration_settings, closes_on="1999-12-31"))
        assert response.status_code == 200
        assert "Registration cannot close before it opens." in response.text
        assert RegistrationSettings.objects.get(pk=registration_settings.pk).closes_on == date(2999, 12, 31)

    def test_a_closing_day_after_the_year_2999_is_a_form_error(self, admin_client, registration_settings):
        url = reverse("admin:registration_registrationsettings_change", args=[registration_settings.pk])
        response = admin_client.post(url, settings_post(registration_settings, closes_on="9999-12-31"))
        assert response.status_code == 200
        assert "Give a date before the year 3000." in response.text
        assert admin_client.get(f"/en/forums/{registration_settings.forum.slug}/").status_code == 200

    def test_two_quotas_for_one_category_are_a_form_error(self, admin_client, registration_settings):
        url = reverse("admin:registration_registrationsettings_change", args=[registration_settings.pk])
        data = settings_post(registration_settings, quotas=[("youth", 2), ("youth", 5)])
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "Please correct the duplicate data for category" in response.text
        assert not CategoryQuota.objects.exists()

    def test_a_capacity_below_the_places_held_is_saved_with_a_warning(self, admin_client, registration_settings):
        for _ in range(3):
            RegistrationFactory(forum=registration_settings.forum)
        RegistrationFactory(forum=registration_settings.forum, status=SUBMITTED)
        RegistrationFactory(forum=registration_settings.forum, status=WAITLISTED)
        url = reverse("admin:registration_registrationsettings_change", args=[registration_settings.pk])
        data = settings_post(registration_settings, capacity="3", closes_on="2020-01-20")
        response = admin_client.post(url, data, follow=True)
        assert RegistrationSettings.objects.get(pk=registration_settings.pk).capacity == 3
        warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
        assert warnings == [
            "4 places are held, more than the new capacity of 3: nobody loses a place; "
            "new registrations are waitlisted until enough cancel."
        ]

    @pytest.mark.parametrize(
        ("opens_on", "closes_on", "warning"),
        [
            ("2020-01-01", "2020-01-22", None),
            ("2020-01-01", "2020-01-23", "Registration closes after the forum ends (22 January 2020)."),
            ("2020-01-23", "2020-01-30", "Registration opens after the forum ends (22 January 2020)."),
        ],
    )
    def test_registration_days_after_the_forum_are_saved_with_a_warning(
        self, admin_client, registration_settings, opens_on, closes_on, warning
    ):
        url = reverse("admin:registration_registrationsettings_change", args=[registration_settings.pk])
        data = settings_post(registration_settings, opens_on=opens_on, closes_on=closes_on, capacity="1")
        response = admin_client.post(url, data, follow=True)
        stored = RegistrationSettings.objects.get(pk=registration_settings.pk)
        assert (stored.opens_on.isoformat(), stored.closes_on.isoformat()) == (opens_on, closes_on)
        warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
        assert warnings == ([warning] if warning else [])
        assert any("was changed successfully" in str(m) for m in response.context["messages"])

    def test_changelist_counts_places_held_and_waitlist(self, admin_client, registration_settings):
        RegistrationFactory(forum=registration_settings.forum)
        RegistrationFactory(forum=registration_settings.forum, status=WAITLISTED)
        response = admin_client.get(reverse("admin:registration_registrationsettings_changelist"))
        assert response.status_code == 200
        [row] = response.context["cl"].result_list
        assert (row.held, row.waiting) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_raising_the_capacity_promotes_waitlisted_and_says_how_many(admin_client, mailoutbox):
    settings = RegistrationSettingsFactory(capacity=1)
    CategoryQuotaFactory(settings=settings, category="youth", places=1)
    RegistrationFactory(forum=settings.forum)
    first, second, third = (RegistrationFactory(forum=settings.forum, status=WAITLISTED) for _ in range(3))
    url = reverse("admin:registration_registrationsettings_change", args=[settings.pk])
    data = settings_post(settings, capacity="3")
    data.update(
        {
            "quotas-TOTAL_FORMS": "1",
            "quotas-INITIAL_FORMS": "1",
            "quotas-0-id": str(settings.quotas.get().pk),
            "quotas-0-settings": str(settings.pk),
            "quotas-0-category": "youth",
            "quotas-0-places": "1",
        }
    )
    response = admin_client.post(url, data, follow=True)
    assert [status_of(first), status_of(second), status_of(third)] == ["confirmed", "confirmed", WAITLISTED]
    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.user.email, second.user.email])
    assert "2 waitlisted participants were promoted and notified." in messages_of(response)


def test_attendance_list_shows_seats_by_name_then_the_waitlist_in_order(admin_client, open_forum):
    session = SessionFactory(
        forum=open_forum, title="Partnerships in Latin America", room=RoomFactory(forum=open_forum)
    )
    for name in ("Zoe Zambrano", "ana Alvarez", "Mario Benítez"):
        SessionSignupFactory(session=session, registration__forum=open_forum, registration__printed_name=name)
    for name in ("First Waiting", "Second Waiting"):
        SessionSignupFactory(
            session=session, status="waitlisted", registration__forum=open_forum, registration__printed_name=name
        )
    response = admin_client.get(reverse("admin:registration_sessionsignup_attendance", args=[session.pk]))
    assert response.status_code == 200
    page = response.text
    assert "Attendance list: Partnerships in Latin America" in page
    assert "Wed 22 Jan 2020, 14:00–16:30 (America/Guayaquil)" in page
    assert session.room.name in page and "3 of 80" in page
    order = [
        page.index(name) for name in ("ana Alvarez", "Mario Benítez", "Zoe Zambrano", "First Waiting", "Second Waiting")
    ]
    assert order == sorted(order)
    assert "@example.org" not in page  # no e-mail addresses on a sheet passed around the room


def attendance_csv_rows(response) -> list[list[str]]:
    """The rows of an attendance CSV, checking that Excel reads it as UTF-8 (byte-order mark, charset)."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_attendance_csv_is_utf_8_for_excel_and_strips_control_characters(admin_client, open_forum):
    session = SessionFactory(forum=open_forum)
    SessionSignupFactory(
        session=session,
        registration__forum=open_forum,
        registration__printed_name="Ana\x01\x1b[31mRed Núñez",
        registration__organization="\x08=1+1\x07",
    )
    response = admin_client.get(reverse("admin:registration_sessionsignup_attendance_csv", args=[session.pk]))
    assert attendance_csv_rows(response)[1] == ["Seat", "1", "Ana[31mRed Núñez", "'=1+1", "Ecuador", ""]


def test_attendance_csv_parses_and_neutralizes_formulas(admin_client, open_forum):
    session = SessionFactory(forum=open_forum, capacity=1)
    SessionSignupFactory(
        session=session,
        registration__forum=open_forum,
        registration__printed_name="=1+1",
        registration__organization='=HYPERLINK("http://evil.example","x")',
    )
    SessionSignupFactory(
        session=session, status="waitlisted", registration__forum=open_forum, registration__printed_name="@SUM(A1)"
    )
    response = admin_client.get(reverse("admin:registration_sessionsignup_attendance_csv", args=[session.pk]))
    assert response.status_code == 200
    rows = attendance_csv_rows(response)
    assert rows == [
        ["List", "No.", "Name", "Organization", "Country", "Signature"],
        ["Seat", "1", "'=1+1", '\'=HYPERLINK("http://evil.example","x")', "Ecuador", ""],
        ["Waitlist", "1", "'@SUM(A1)", "Municipality of Quito", "Ecuador", ""],
    ]


def test_attendance_index_lists_parallel_sessions_with_seats_taken(admin_client, open_forum):
    session = SessionFactory(forum=open_forum, title="Migration and cities", capacity=2)
    SessionFactory(forum=open_forum, title="Opening plenary", kind="plenary")
    SessionSignupFactory(session=session, registration__forum=open_forum)
    response = admin_client.get(reverse("admin:registration_sessionsignup_attendance_index"))
    assert response.status_code == 200
    assert "Migration and cities" in response.text and "Opening plenary" not in response.text
    assert "1 / 2" in response.text
    assert reverse("admin:registration_sessionsignup_attendance", args=[session.pk]) in response.text


def test_sign_up_changelist_filters_by_session_and_links_to_the_attendance_list(admin_client, open_forum):
    session, other = SessionFactory(forum=open_forum), SessionFactory(forum=open_forum)
    mine = SessionSignupFactory(session=session, registration__forum=open_forum, registration__printed_name="Ana")
    SessionSignupFactory(session=other, registration__forum=open_forum, registration__printed_name="Luis")
    url = reverse("admin:registration_sessionsignup_changelist")
    response = admin_client.get(url, {"session": str(session.pk), "status__exact": "confirmed"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert reverse("admin:registration_sessionsignup_attendance", args=[session.pk]) in response.text
    assert reverse("admin:registration_sessionsignup_attendance_index") in response.text
    response = admin_client.get(url, {"q": "luis"})
    assert [signup.registration.printed_name for signup in response.context["cl"].result_list] == ["Luis"]


def test_sign_up_changelist_and_page_show_the_time_in_forum_time(admin_client, open_forum):
    signup = SessionSignupFactory(registration__forum=open_forum)
    SessionSignup.objects.filter(pk=signup.pk).update(created_at=datetime(2020, 1, 2, 14, 30, tzinfo=UTC))
    for url in (
        reverse("admin:registration_sessionsignup_changelist"),
        reverse("admin:registration_sessionsignup_change", args=[signup.pk]),
    ):
        page = admin_client.get(url).text
        assert "Signed up at (forum time)" in page, url
        assert "Thu 2 Jan 2020, 09:30" in page and "14:30" not in page, url


def test_deleting_a_sign_up_gives_its_seat_to_the_waitlist(
    admin_client, open_forum, mailoutbox, django_capture_on_commit_callbacks
):
    session = SessionFactory(forum=open_forum, capacity=1)
    seated = SessionSignupFactory(session=session, registration__forum=open_forum)
    waiting = SessionSignupFactory(session=session, status="waitlisted", registration__forum=open_forum)
    changelist = reverse("admin:registration_sessionsignup_changelist")
    filters = f"session={session.pk}&status__exact=confirmed"
    delete = reverse("admin:registration_sessionsignup_delete", args=[seated.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{delete}?_changelist_filters={quote(filters)}", {"post": "yes"})
    assert response.status_code == 302 and response.url == f"{changelist}?{filters}"
    assert not SessionSignup.objects.filter(pk=seated.pk).exists()
    assert status_of(waiting) == "confirmed"
    assert [message.to[0] for message in mailoutbox] == [waiting.registration.user.email]


def test_sign_ups_are_read_only(admin_client, open_forum):
    signup = SessionSignupFactory(registration__forum=open_forum)
    assert admin_client.get(reverse("admin:registration_sessionsignup_add")).status_code == 403
    url = reverse("admin:registration_sessionsignup_change", args=[signup.pk])
    response = admin_client.post(url, {"status": "waitlisted"})
    assert response.status_code == 403
    assert status_of(signup) == "confirmed"


def registration_admin_urls(registration: Registration, session) -> list[str]:
    settings = registration.forum.registration_settings
    return [
        reverse("admin:app_list", args=["registration"]),
        reverse(CHANGELIST),
        reverse("admin:registration_registration_change", args=[registration.pk]),
        reverse("admin:registration_registration_delete", args=[registration.pk]),
        reverse("admin:registration_registration_export"),
        reverse("admin:registration_registrationsettings_changelist"),
        reverse("admin:registration_registrationsettings_add"),
        reverse("admin:registration_registrationsettings_change", args=[settings.pk]),
        reverse("admin:registration_sessionsignup_changelist"),
        reverse("admin:registration_sessionsignup_attendance_index"),
        reverse("admin:registration_sessionsignup_attendance", args=[session.pk]),
        reverse("admin:registration_sessionsignup_attendance_csv", args=[session.pk]),
    ]


def test_non_staff_users_are_sent_to_the_admin_login_on_every_registration_url(client, confirmed_registration):
    session = SessionFactory(forum=confirmed_registration.forum)
    client.force_login(confirmed_registration.user)
    for url in registration_admin_urls(confirmed_registration, session):
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("admin:login")), url


def test_staff_without_permissions_cannot_open_attendance_lists(client, confirmed_registration):
    session = SessionFactory(forum=confirmed_registration.forum)
    organizer = UserFactory(is_staff=True)
    client.force_login(organizer)
    for name in ("attendance", "attendance_csv"):
        url = reverse(f"admin:registration_sessionsignup_{name}", args=[session.pk])
        assert client.get(url).status_code == 403
    organizer.user_permissions.add(Permission.objects.get(codename="view_sessionsignup"))
    assert client.get(reverse("admin:registration_sessionsignup_attendance", args=[session.pk])).status_code == 200


def test_the_session_filter_names_no_unreleased_session_to_a_desk_colleague(client, admin_client):
    released = SessionFactory(title="Released session", kind="parallel")
    release_programme(forum=released.forum)
    SessionFactory(forum=released.forum, title="Added after the release", kind="parallel")
    desk = UserFactory(is_staff=True)
    desk.user_permissions.add(Permission.objects.get(codename="view_sessionsignup"))
    client.force_login(desk)
    url = reverse("admin:registration_sessionsignup_changelist")

    seen_by_desk = client.get(url).content.decode()
    seen_by_organizer = admin_client.get(url).content.decode()

    assert "Released session" in seen_by_desk and "Added after the release" not in seen_by_desk
    assert "Released session" in seen_by_organizer and "Added after the release" in seen_by_organizer


@pytest.mark.parametrize("value", ["①", "²", "9" * 30])
@pytest.mark.parametrize(
    ("url_name", "parameter"),
    [
        ("admin:registration_registration_changelist", "session"),
        ("admin:registration_registration_changelist", "session__forum__id__exact"),
        ("admin:registration_sessionsignup_changelist", "session"),
    ],
)
def test_filters_refuse_ids_that_are_not_plain_numbers_without_an_error_page(
    admin_client, parallel_session, url_name, parameter, value
):
    response = admin_client.get(reverse(url_name), {parameter: value})
    assert response.status_code in (200, 302)
