"""The organizers' admin for forums, organizations and people."""

import pytest
from django.urls import reverse

from forum.models import Forum, Organization, Person
from forum.tests.factories import ForumFactory, PersonFactory
from sessions_app.tests.factories import SpeakerRoleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def forum_post(forum: Forum) -> dict:
    """The forum change form as it stands in the database, with its (empty) rooms inline."""
    return {
        "edition": str(forum.edition),
        "title": forum.title,
        "theme": forum.theme,
        "part_of": forum.part_of,
        "is_published": "on" if forum.is_published else "",
        "city": forum.city,
        "country": forum.country,
        "venue": forum.venue,
        "start_date": forum.start_date.isoformat(),
        "end_date": forum.end_date.isoformat(),
        "time_zone": forum.time_zone,
        "description": forum.description,
        "host_organizations": [str(pk) for pk in forum.host_organizations.values_list("pk", flat=True)],
        "slug": forum.slug,
        "rooms-TOTAL_FORMS": "0",
        "rooms-INITIAL_FORMS": "0",
        "rooms-MIN_NUM_FORMS": "0",
        "rooms-MAX_NUM_FORMS": "1000",
    }


def stored(forum: Forum) -> tuple:
    return tuple(Forum.objects.filter(pk=forum.pk).values_list("start_date", "end_date", "time_zone", "title").get())


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
            "venue": "Centro de Convenciones Metropolitano",
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


def test_forum_time_zone_must_be_an_iana_name(admin_client, quito_forum):
    before = stored(quito_forum)
    data = forum_post(quito_forum)
    data["time_zone"] = "Quito"

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
