"""The admin when the database refuses a write: a message on the page, nothing stored, no 500."""

import pytest
from django.db import IntegrityError, OperationalError
from django.urls import reverse

from forum.models import Organization
from sessions_app.tests.support import page_text

pytestmark = pytest.mark.django_db


def organization_post(name: str) -> dict[str, str]:
    """The add form of an organization, filled in as an organizer would."""
    return {"name_en": name, "name_es": "", "acronym_en": "", "acronym_es": "", "kind": "other", "slug": "new-org"}


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        # SafeChangesMixin's own answer to a constraint (two saves at once).
        (IntegrityError("duplicate key value violates unique constraint"), "so nothing was saved"),
        (OperationalError("canceling statement due to lock timeout"), "We could not save this just now"),
    ],
    ids=["constraint", "lock-timeout"],
)
def test_a_refused_admin_save_says_so_and_stores_nothing(admin_client, monkeypatch, refusal, message):
    def refuse(*args, **kwargs):
        raise refusal

    monkeypatch.setattr(Organization, "save", refuse)
    url = reverse("admin:forum_organization_add")

    response = admin_client.post(url, organization_post("Cities Alliance"))

    assert response.status_code == 302
    assert response["Location"] == url
    assert message in page_text(admin_client.get(url).content)
    assert not Organization.objects.filter(name="Cities Alliance").exists()


def test_a_refused_admin_delete_keeps_the_row(admin_client, monkeypatch):
    organization = Organization.objects.create(name="Cities Alliance", slug="cities-alliance")

    def refuse(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Organization, "delete", refuse)
    url = reverse("admin:forum_organization_delete", args=[organization.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert "We could not save this just now" in page_text(admin_client.get(url).content)
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_other_errors_are_left_to_django(admin_client, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(Organization, "save", fail)
    admin_client.raise_request_exception = True

    with pytest.raises(ValueError, match="a bug"):
        admin_client.post(reverse("admin:forum_organization_add"), organization_post("Cities Alliance"))
