"""The organizers' admin for forums, organizations and people."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from forum.admin import KeyCheckingAutocompleteSelect, KeyCheckingAutocompleteSelectMultiple
from forum.models import Forum, Organization, Person, Room, User
from forum.tests.factories import ForumFactory, PersonFactory, RoomFactory, UserFactory
from sessions_app.models import AgendaItem, SessionOrganizer, SpeakerRole
from sessions_app.tests.factories import SessionFactory, SpeakerRoleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def forum_post(forum: Forum) -> dict:
    """The forum change form as it stands in the database, with its rooms inline."""
    rooms = list(forum.rooms.order_by("name"))
    return {
        "edition": str(forum.edition),
        "title_en": forum.title,
        "theme_en": forum.theme,
        "part_of_en": forum.part_of,
        "is_published": "on" if forum.is_published else "",
        "city": forum.city,
        "country": forum.country,
        "venue_en": forum.venue,
        "start_date": forum.start_date.isoformat(),
        "end_date": forum.end_date.isoformat(),
        "time_zone": forum.time_zone,
        "description_en": forum.description,
        "host_organizations": [str(pk) for pk in forum.host_organizations.values_list("pk", flat=True)],
        "slug": forum.slug,
        "rooms-TOTAL_FORMS": str(len(rooms)),
        "rooms-INITIAL_FORMS": str(len(rooms)),
        "rooms-MIN_NUM_FORMS": "0",
        "rooms-MAX_NUM_FORMS": "1000",
        **{
            f"rooms-{index}-{name}": str(value)
            for index, room in enumerate(rooms)
            for name, value in (("id", room.pk), ("forum", forum.pk), ("name", room.name), ("capacity", room.capacity))
        },
    }


def add_room(data: dict, name: str) -> None:
    """Append a new room form named ``name`` to ``data`` (a forum POST)."""
    index = int(data["rooms-TOTAL_FORMS"])
    data.update({f"rooms-{index}-name": name, f"rooms-{index}-capacity": ""})
    data["rooms-TOTAL_FORMS"] = str(index + 1)


def stored(forum: Forum) -> tuple:
    return tuple(
        Forum.objects.filter(pk=forum.pk).values_list("start_date", "end_date", "time_zone", "title", "edition").get()
    )


def autocomplete(client, app_label: str, model_name: str, field_name: str, term: str) -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.mark.parametrize("model", ["forum", "organization", "person"])
def test_changelist_and_add_form_open(admin_client, quito_forum, model):
    assert admin_client.get(reverse(f"admin:forum_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:forum_{model}_add")).status_code == 200


def test_change_forms_open(admin_client, quito_forum):
    for obj in (quito_forum, Organization.objects.get(slug="icmpd"), Person.objects.get(slug="maria-fernanda-garces")):
        url = reverse(f"admin:forum_{obj._meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200


def test_forum_change_saves_a_room_and_host_organizations(admin_client, quito_forum):
    undp = Organization.objects.get(slug="undp")
    data = forum_post(quito_forum)
    data.update(
        {
            "host_organizations": [str(undp.pk)],
            "venue_en": "Centro de Convenciones Metropolitano",
            "rooms-TOTAL_FORMS": "1",
            "rooms-0-name": "Sala 1",
            "rooms-0-capacity": "80",
        }
    )

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 302
    quito_forum.refresh_from_db()
    assert quito_forum.venue == "Centro de Convenciones Metropolitano"
    assert list(quito_forum.host_organizations.all()) == [undp]
    assert list(quito_forum.rooms.values_list("name", "capacity")) == [("Sala 1", 80)]


def test_forum_ending_before_it_starts_is_an_error_on_end_date(admin_client, quito_forum):
    before = stored(quito_forum)
    data = forum_post(quito_forum)
    data["end_date"] = "2020-01-21"

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    assert "The forum cannot end before it starts." in response.content.decode()
    form = response.context["adminform"].form
    assert form.has_error("end_date", code="end_before_start")
    assert form.non_field_errors() == []
    assert stored(quito_forum) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "9999-12-31"}, "end_date", "Give a date before the year 3000."),
        ({"start_date": "0001-01-01"}, "start_date", "Give a date from the year 1900 on."),
        ({"end_date": "2020-02-22"}, "end_date", "A forum lasts at most 31 days."),
    ],
    ids=["year-9999", "year-1", "too-long"],
)
def test_forum_dates_far_off_or_too_far_apart_are_field_errors(admin_client, quito_forum, changes, field, message):
    before = stored(quito_forum)
    data = {**forum_post(quito_forum), **changes}

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field]
    assert stored(quito_forum) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"start_date": "2020-01-23", "end_date": "2020-01-24"},
            "start_date",
            "starts on Wed 22 Jan 2020",
        ),
        ({"start_date": "2020-01-20", "end_date": "2020-01-21"}, "end_date", "ends on Wed 22 Jan 2020"),
        ({"time_zone": "Asia/Tokyo"}, "end_date", "ends on Thu 23 Jan 2020"),
    ],
    ids=["later", "earlier", "other-zone"],
)
def test_forum_dates_that_would_leave_a_session_outside_are_an_error(
    admin_client, quito_session, changes, field, message
):
    forum = quito_session.forum
    before = stored(forum)
    data = forum_post(forum)
    data.update(changes)

    response = admin_client.post(reverse("admin:forum_forum_change", args=[forum.pk]), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors[field] == [
        f"The session “{quito_session.title}” {message}, outside these dates. Move or delete it first."
    ]
    assert list(form.errors) == [field]
    assert stored(forum) == before


@pytest.mark.parametrize("zone", ["Quito", "localtime", "Factory", "posixrules"])
def test_forum_time_zone_must_be_an_iana_name_of_a_place(admin_client, quito_forum, zone):
    before = stored(quito_forum)
    data = forum_post(quito_forum)
    data["time_zone"] = zone

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("time_zone", code="invalid_time_zone")
    assert stored(quito_forum) == before


def test_person_autocomplete_finds_garces_for_speaker_roles(admin_client, quito_forum):
    assert autocomplete(admin_client, "sessions_app", "speakerrole", "person", "garc") == ["María Fernanda Garcés"]


def test_organization_autocomplete_for_session_organizers_searches_acronyms(admin_client, quito_forum):
    assert autocomplete(admin_client, "sessions_app", "sessionorganizer", "organization", "icmpd") == [
        "International Center for Migration Policy Development (ICMPD)"
    ]


def test_organization_autocomplete_for_host_organizations_and_a_persons_organization(admin_client, quito_forum):
    assert autocomplete(admin_client, "forum", "forum", "host_organizations", "habitat") == ["UN-Habitat (UN-Habitat)"]
    assert autocomplete(admin_client, "forum", "person", "organization", "avina") == ["AVINA Foundation"]


def test_person_changelist_search_and_forum_filter(admin_client, quito_forum):
    SpeakerRoleFactory(person=PersonFactory(name="Someone Elsewhere"))
    url = reverse("admin:forum_person_changelist")

    searched = admin_client.get(url, {"q": "garc"})
    in_forum = admin_client.get(url, {"speaker_roles__agenda_item__session__forum__id__exact": quito_forum.pk})

    assert [person.name for person in searched.context["cl"].result_list] == ["María Fernanda Garcés"]
    assert in_forum.context["cl"].result_count == 10
    assert Person.objects.count() == 11


def test_forum_changelist_lists_forums(admin_client, quito_forum):
    ForumFactory(title="7th Mayoral Forum")

    response = admin_client.get(reverse("admin:forum_forum_changelist"))

    assert response.context["cl"].result_count == 2
    assert "America/Guayaquil" in response.content.decode()


def test_forum_edition_must_be_at_least_one(admin_client, quito_forum):
    before = stored(quito_forum)
    data = forum_post(quito_forum)
    data["edition"] = "0"

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["edition"] == ["Editions are numbered from 1."]
    assert form.has_error("edition", code="min_value")
    assert stored(quito_forum) == before


# Rooms: names unique within a forum, whatever their case


def room_forms(response):
    return next(inline.formset for inline in response.context["inline_admin_formsets"]).forms


def rooms(forum: Forum) -> list[tuple[int, str]]:
    return list(forum.rooms.order_by("pk").values_list("pk", "name"))


@pytest.mark.parametrize("new_names", [["sala metropolitana"], ["Sala 2", "SALA 2"]])
def test_room_name_used_in_the_forum_in_any_case_is_an_error_on_name(admin_client, quito_forum, new_names):
    RoomFactory(forum=quito_forum, name="Sala Metropolitana")
    before = rooms(quito_forum)
    data = forum_post(quito_forum)
    for name in new_names:
        add_room(data, name)

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    last = room_forms(response)[-1]
    assert last.errors["name"] == ["This forum already has a room with this name."]
    assert last.has_error("name", code="unique")
    assert rooms(quito_forum) == before


def test_posting_a_new_room_twice_is_an_error_on_its_name(admin_client, quito_forum):
    data = forum_post(quito_forum)
    add_room(data, "Sala 1")
    url = reverse("admin:forum_forum_change", args=[quito_forum.pk])

    assert admin_client.post(url, data).status_code == 302
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert room_forms(response)[0].has_error("name", code="unique")
    assert list(quito_forum.rooms.values_list("name", flat=True)) == ["Sala 1"]


def test_rooms_can_swap_names_or_take_a_deleted_rooms_name(admin_client, quito_forum):
    first, second = RoomFactory(forum=quito_forum, name="Sala A"), RoomFactory(forum=quito_forum, name="Sala B")
    url = reverse("admin:forum_forum_change", args=[quito_forum.pk])
    data = forum_post(quito_forum)
    data["rooms-0-name"], data["rooms-1-name"] = "sala b", "Sala A"

    assert admin_client.post(url, data).status_code == 302
    assert rooms(quito_forum) == [(first.pk, "sala b"), (second.pk, "Sala A")]

    data = forum_post(quito_forum)
    data["rooms-0-DELETE"] = "on"
    data["rooms-1-name"] = "Sala B"

    assert admin_client.post(url, data).status_code == 302
    assert rooms(quito_forum) == [(first.pk, "Sala B")]
    assert Room.objects.count() == 1


# Autocomplete fields: a value that is not a key is a form error, never a 500


def test_every_autocomplete_field_checks_its_keys(rf: RequestFactory):
    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    checked = []
    for model_admin in admin.site._registry.values():
        for owner in [model_admin, *model_admin.get_inline_instances(request)]:
            for name in owner.get_autocomplete_fields(request):
                field = owner.formfield_for_dbfield(owner.model._meta.get_field(name), request)
                checked.append((owner.model._meta.label, name, type(field.widget.widget)))

    assert sorted(checked) == [
        ("forum.Forum", "host_organizations", KeyCheckingAutocompleteSelectMultiple),
        ("forum.Person", "organization", KeyCheckingAutocompleteSelect),
        ("sessions_app.AgendaItem", "session", KeyCheckingAutocompleteSelect),
        ("sessions_app.SessionOrganizer", "organization", KeyCheckingAutocompleteSelect),
        ("sessions_app.SpeakerRole", "organization", KeyCheckingAutocompleteSelect),
        ("sessions_app.SpeakerRole", "person", KeyCheckingAutocompleteSelect),
    ]


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1"])
def test_agenda_item_add_form_with_a_session_that_is_not_a_key_opens(admin_client, quito_forum, value):
    response = admin_client.get(reverse("admin:sessions_app_agendaitem_add"), {"session": value})

    assert response.status_code == 200


def test_agenda_item_posted_with_a_session_that_is_not_a_key_is_an_error_on_session(admin_client, quito_forum):
    before = (AgendaItem.objects.count(), SpeakerRole.objects.count())
    data = {
        "session": "abc",
        "order": "1",
        "start_0": "2020-01-22",
        "start_1": "14:00",
        "end_0": "2020-01-22",
        "end_1": "14:10",
        "title_en": "Opening",
        "speaker_roles-TOTAL_FORMS": "1",
        "speaker_roles-INITIAL_FORMS": "0",
        "speaker_roles-MIN_NUM_FORMS": "0",
        "speaker_roles-MAX_NUM_FORMS": "1000",
        "speaker_roles-0-order": "1",
        "speaker_roles-0-role": "speaker",
        "speaker_roles-0-person": "abc",
        "speaker_roles-0-organization": "abc",
    }

    response = admin_client.post(reverse("admin:sessions_app_agendaitem_add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["session"] == ["Select a valid choice. That choice is not one of the available choices."]
    role_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert role_form.has_error("person", code="invalid_choice")
    assert role_form.has_error("organization", code="invalid_choice")
    assert (AgendaItem.objects.count(), SpeakerRole.objects.count()) == before


def test_session_organizer_posted_with_an_organization_that_is_not_a_key_is_an_error(admin_client, quito_forum):
    session = SessionFactory(forum=quito_forum, slug="new-session")
    data = {
        "forum": str(quito_forum.pk),
        "kind": session.kind,
        "title_en": session.title,
        "slug": session.slug,
        "start_0": "2020-01-22",
        "start_1": "09:00",
        "end_0": "2020-01-22",
        "end_1": "10:00",
        **dict.fromkeys(
            ["theme", "room", "capacity", "objective_en", "context_en", "methodology_en", "expected_result_en"], ""
        ),
        **{
            f"{prefix}-{name}": value
            for prefix in ("organizers", "references", "key_questions", "agenda_items")
            for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"))
        },
        "organizers-TOTAL_FORMS": "1",
        "organizers-0-order": "1",
        "organizers-0-organization": "abc",
        "organizers-0-role": "organizer",
    }

    response = admin_client.post(reverse("admin:sessions_app_session_change", args=[session.pk]), data)

    assert response.status_code == 200
    organizers = next(inline.formset for inline in response.context["inline_admin_formsets"])
    assert organizers.forms[0].has_error("organization", code="invalid_choice")
    assert SessionOrganizer.objects.filter(session=session).count() == 0


def test_person_posted_with_an_organization_that_is_not_a_key_is_an_error_on_organization(admin_client, quito_forum):
    person = Person.objects.get(slug="maria-fernanda-garces")
    data = {
        "name": person.name,
        "position": person.position,
        "organization": "abc",
        "country": person.country,
        "bio": person.bio,
        "slug": person.slug,
        "user": "",
    }

    response = admin_client.post(reverse("admin:forum_person_change", args=[person.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("organization", code="invalid_choice")
    person.refresh_from_db()
    assert person.organization.slug == "municipio-de-quito"


def test_forum_posted_with_a_host_organization_that_is_not_a_key_is_an_error(admin_client, quito_forum):
    data = forum_post(quito_forum)
    data["host_organizations"] = [str(Organization.objects.get(slug="undp").pk), "abc"]

    response = admin_client.post(reverse("admin:forum_forum_change", args=[quito_forum.pk]), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["host_organizations"] == ["“abc” is not a valid value."]
    assert not quito_forum.host_organizations.exists()


def test_organizers_add_an_account_by_e_mail_and_find_it(admin_client):
    response = admin_client.post(
        reverse("admin:forum_user_add"),
        {"email": "Colleague@Example.org", "password1": "a long pass phrase 42", "password2": "a long pass phrase 42"},
    )
    assert response.status_code == 302
    colleague = User.objects.get(email="colleague@example.org")
    assert colleague.check_password("a long pass phrase 42")
    listing = admin_client.get(reverse("admin:forum_user_changelist"), {"q": "colleague"})
    assert "colleague@example.org" in listing.text


def test_organizers_grant_the_export_permission_on_an_account(admin_client):
    colleague = User.objects.create_user("colleague@example.org", "a long pass phrase 42")
    export = Permission.objects.get(codename="export_registration")
    data = {
        "email": colleague.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "user_permissions": [export.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-11-29",
        "date_joined_1": "12:00:00",
    }
    response = admin_client.post(reverse("admin:forum_user_change", args=[colleague.pk]), data)
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_staff and colleague.has_perm("registration.export_registration")


def test_admin_pages_carry_the_site_icon(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    assert "Django administration" in page or "Site administration" in page
