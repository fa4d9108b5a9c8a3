"""``manage.py load_quito_forum``: load the 6th Mayoral Forum (Quito 2020) concept note."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from forum import caching
from forum.models import Forum, Organization, Person
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SessionOrganizer, SpeakerRole, Theme
from sessions_app.seeds import quito_2020 as seed


class Command(BaseCommand):
    help = (
        "Load the Quito 2020 Mayoral Forum from its concept note. If the forum is already "
        "there (same slug, or same title and start date), nothing is changed, so organizers' "
        "edits survive; delete the forum in the admin to load the original again. "
        "Organizations (same slug or name) and people (same slug) that already exist are "
        "used as they are."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        forum_fields = dict(seed.FORUM)
        slug = forum_fields.pop("slug")
        same_forum = Q(slug=slug) | Q(title=forum_fields["title"], start_date=forum_fields["start_date"])
        loaded = Forum.objects.filter(same_forum).first()
        if loaded is not None:
            self.stdout.write(f"The forum “{loaded.slug}” is already loaded; nothing was changed.")
            return
        organizations = {
            org_slug: Organization.objects.filter(Q(slug=org_slug) | Q(name=fields["name"])).first()
            or Organization.objects.create(slug=org_slug, **fields)
            for org_slug, fields in seed.ORGANIZATIONS.items()
        }
        people = {
            person_slug: Person.objects.get_or_create(
                slug=person_slug,
                defaults={
                    "name": name,
                    "position": position,
                    "organization": organizations.get(org_slug),
                    "country": country,
                },
            )[0]
            for person_slug, (name, position, org_slug, country) in seed.PEOPLE.items()
        }
        forum_fields["start_date"] = date.fromisoformat(forum_fields["start_date"])
        forum_fields["end_date"] = date.fromisoformat(forum_fields["end_date"])
        forum = Forum.objects.create(slug=slug, **forum_fields)
        themes = {
            title: Theme.objects.create(forum=forum, title=title, order=order)
            for order, title in enumerate(seed.THEMES, start=1)
        }
        session = self._load_session(forum, themes, organizations, people, seed.SESSION)
        caching.bump()  # bulk_create sends no model signals
        self.stdout.write(
            self.style.SUCCESS(f"Loaded “{forum.title}” ({forum.slug}) with the session “{session.title}”.")
        )

    def _load_session(self, forum, themes, organizations, people, data) -> Session:
        day = date.fromisoformat(data["date"])

        def at(hhmm: str) -> datetime:
            return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=forum.tzinfo)

        session = Session.objects.create(
            forum=forum,
            slug=data["slug"],
            kind=data["kind"],
            theme=themes[data["theme"]],
            title=data["title"],
            start=at(data["start"]),
            end=at(data["end"]),
            objective=data["objective"],
            context=data["context"],
            methodology=data["methodology"],
            expected_result=data["expected_result"],
        )
        SessionOrganizer.objects.bulk_create(
            SessionOrganizer(session=session, organization=organizations[org_slug], order=order)
            for order, org_slug in enumerate(data["organizers"], start=1)
        )
        Reference.objects.bulk_create(
            Reference(session=session, number=number, citation=citation)
            for number, citation in enumerate(data["references"], start=1)
        )
        KeyQuestion.objects.bulk_create(
            KeyQuestion(session=session, order=order, text=text)
            for order, text in enumerate(data["key_questions"], start=1)
        )
        for order, (start, end, title, roles) in enumerate(data["agenda"], start=1):
            item = AgendaItem.objects.create(session=session, order=order, start=at(start), end=at(end), title=title)
            SpeakerRole.objects.bulk_create(
                SpeakerRole(
                    agenda_item=item,
                    order=role_order,
                    role=role,
                    person=people.get(person_slug),
                    group_name=group,
                    position=position,
                    affiliation=affiliation,
                    organization=organizations.get(org_slug),
                )
                for role_order, (role, person_slug, group, position, affiliation, org_slug) in enumerate(roles, start=1)
            )
        return session
