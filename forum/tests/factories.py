"""factory_boy factories for the event core."""

from datetime import date

import factory
from factory.django import DjangoModelFactory

from forum.models import Forum, Organization, Person, Room, User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    kind = Organization.Kind.CIVIL_SOCIETY


class PersonFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.Sequence(lambda n: f"person-{n}")
    position = "Mayor"
    organization = factory.SubFactory(OrganizationFactory)


class ForumFactory(DjangoModelFactory[Forum]):
    class Meta:
        model = Forum

    edition = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Mayoral Forum {n}")
    theme = "Cities as first responders"
    slug = factory.Sequence(lambda n: f"forum-{n}")
    city = "Quito"
    country = "Ecuador"
    start_date = date(2020, 1, 22)
    end_date = date(2020, 1, 22)
    time_zone = "America/Guayaquil"


class RoomFactory(DjangoModelFactory[Room]):
    class Meta:
        model = Room

    forum = factory.SubFactory(ForumFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 80
