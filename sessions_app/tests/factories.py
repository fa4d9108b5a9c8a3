"""factory_boy factories for sessions and agendas.

Times default to 22 January 2020 in America/Guayaquil (UTC−5), the Quito forum's day.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from forum.tests.factories import ForumFactory, OrganizationFactory, PersonFactory
from sessions_app.models import (
    MAX_NUMBER,
    AgendaItem,
    KeyQuestion,
    Reference,
    Session,
    SessionOrganizer,
    SpeakerRole,
    Theme,
)
from sessions_app.recommendations import Recommendation, RecommendationsDocument

QUITO = ZoneInfo("America/Guayaquil")


def quito_time(hour: int, minute: int = 0) -> datetime:
    """22 January 2020 at ``hour:minute`` in Quito, as an aware datetime."""
    return datetime(2020, 1, 22, hour, minute, tzinfo=QUITO)


class ThemeFactory(DjangoModelFactory[Theme]):
    class Meta:
        model = Theme

    forum = factory.SubFactory(ForumFactory)
    title = factory.Sequence(lambda n: f"Theme {n}")
    order = factory.Sequence(lambda n: n % MAX_NUMBER + 1)


class SessionFactory(DjangoModelFactory[Session]):
    class Meta:
        model = Session

    forum = factory.SubFactory(ForumFactory)
    kind = Session.Kind.PARALLEL
    title = factory.Sequence(lambda n: f"Session {n}")
    slug = factory.Sequence(lambda n: f"session-{n}")
    start = factory.LazyFunction(lambda: quito_time(14))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2, minutes=30))
    objective = "Analyze recent trends."


class KeyQuestionFactory(DjangoModelFactory[KeyQuestion]):
    class Meta:
        model = KeyQuestion

    session = factory.SubFactory(SessionFactory)
    order = factory.Sequence(lambda n: n % MAX_NUMBER + 1)
    text = factory.Sequence(lambda n: f"Key question {n}?")


class ReferenceFactory(DjangoModelFactory[Reference]):
    class Meta:
        model = Reference

    session = factory.SubFactory(SessionFactory)
    number = factory.Sequence(lambda n: n % MAX_NUMBER + 1)
    citation = factory.Sequence(lambda n: f"Citation {n}.")


class SessionOrganizerFactory(DjangoModelFactory[SessionOrganizer]):
    class Meta:
        model = SessionOrganizer

    session = factory.SubFactory(SessionFactory)
    organization = factory.SubFactory(OrganizationFactory)


class AgendaItemFactory(DjangoModelFactory[AgendaItem]):
    class Meta:
        model = AgendaItem

    session = factory.SubFactory(SessionFactory)
    order = factory.Sequence(lambda n: n % MAX_NUMBER + 1)
    start = factory.LazyAttribute(lambda o: o.session.start)
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=10))
    title = factory.Sequence(lambda n: f"Agenda item {n}")


class SpeakerRoleFactory(DjangoModelFactory[SpeakerRole]):
    class Meta:
        model = SpeakerRole

    agenda_item = factory.SubFactory(AgendaItemFactory)
    order = factory.Sequence(lambda n: n % MAX_NUMBER + 1)
    role = SpeakerRole.Role.SPEAKER
    person = factory.SubFactory(PersonFactory)
    position = "Mayor"


class RecommendationsDocumentFactory(DjangoModelFactory[RecommendationsDocument]):
    """A DRAFT document at version 1, without history rows (``document_for`` writes those)."""

    class Meta:
        model = RecommendationsDocument

    session = factory.SubFactory(SessionFactory)
    introduction = "The session discussed partnerships between cities."
    conclusions = "Cities need predictable funding."
    contributors = "UNDP, Cities Alliance"


class RecommendationFactory(DjangoModelFactory[Recommendation]):
    class Meta:
        model = Recommendation

    document = factory.SubFactory(RecommendationsDocumentFactory)
    key_question = factory.SubFactory(KeyQuestionFactory, session=factory.SelfAttribute("..document.session"))
    order = factory.Sequence(lambda n: n % MAX_NUMBER + 1)
    text = factory.Sequence(lambda n: f"Recommendation {n}.")
    level = Recommendation.Level.LOCAL
    actors = "Mayors"
