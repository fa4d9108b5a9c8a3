"""factory_boy factories for registration: open settings, verified participants, registrations."""

from datetime import date

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from forum.tests.factories import ForumFactory, UserFactory
from registration.models import Category, CategoryQuota, Registration, RegistrationSettings, SessionSignup
from sessions_app.tests.factories import SessionFactory


class RegistrationSettingsFactory(DjangoModelFactory[RegistrationSettings]):
    """Registration open from 2000 to 2999, so it is open whenever the tests run."""

    class Meta:
        model = RegistrationSettings

    forum = factory.SubFactory(ForumFactory)
    opens_on = date(2000, 1, 1)
    closes_on = date(2999, 12, 31)
    capacity = None
    requires_approval = False


class CategoryQuotaFactory(DjangoModelFactory[CategoryQuota]):
    class Meta:
        model = CategoryQuota

    settings = factory.SubFactory(RegistrationSettingsFactory)
    category = Category.YOUTH
    places = 2


class VerifiedUserFactory(UserFactory):
    """A participant account whose e-mail address allauth has verified."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.update_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class RegistrationFactory(DjangoModelFactory[Registration]):
    """A CONFIRMED registration, written directly (services are what tests exercise)."""

    class Meta:
        model = Registration

    forum = factory.SubFactory(ForumFactory)
    user = factory.SubFactory(VerifiedUserFactory)
    printed_name = factory.Sequence(lambda n: f"Participant {n}")
    organization = "Municipality of Quito"
    position = "Advisor"
    category = Category.LOCAL_GOVERNMENT
    country = "EC"
    city = "Quito"
    language = "en"
    consent = True
    consented_at = factory.LazyFunction(timezone.now)
    status = Registration.Status.CONFIRMED
    waitlisted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Registration.Status.WAITLISTED else None
    )


class SessionSignupFactory(DjangoModelFactory[SessionSignup]):
    class Meta:
        model = SessionSignup

    registration = factory.SubFactory(RegistrationFactory)
    session = factory.SubFactory(SessionFactory, forum=factory.SelfAttribute("..registration.forum"))
    status = SessionSignup.Status.CONFIRMED
    waitlisted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == SessionSignup.Status.WAITLISTED else None
    )


def participant_details(**overrides) -> dict:
    """What a participant types into the registration form, as cleaned data."""
    details = {
        "printed_name": "Ana Pérez",
        "organization": "Municipality of Quito",
        "position": "Director of Human Mobility",
        "category": Category.LOCAL_GOVERNMENT,
        "country": "EC",
        "city": "Quito",
        "language": "en",
        "accessibility_needs": "",
        "consent": True,
    }
    details.update(overrides)
    return details
