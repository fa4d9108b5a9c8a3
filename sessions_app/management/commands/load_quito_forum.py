"""``manage.py load_quito_forum``: load the 6th Mayoral Forum (Quito 2020) concept note."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand
from django.db import transaction

from forum.models import Forum, Organization, Person
from sessions_app.models import AgendaItem, KeyQuestion, Reference, Session, SessionOrganizer, SpeakerRole, Theme
from sessions_app.seeds import quito_2020 as seed


class Command(BaseCommand):
    help = "Load (or refresh) the Quito 2020 Mayoral Forum from its concept note. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        organizations = {
            slug: Organization.objects.update_or_create(slug=slug, defaults=fields)[0]
            for slug, fields in seed.ORGANIZATIONS.items()
        }
        people = {
            slug: Person.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "position": position,
                    "organization": organizations.get(org_slug),
                    "country": country,
                },
            )[0]
            for slug, (name, position, org_slug, country) in seed.PEOPLE.items()
        }
        forum_fields = dict(seed.FORUM)
        forum_fields["start_date"] = date.fromisoformat(forum_fields["start_date"])
        forum_fields["end_date"] = date.fromisoformat(forum_fields["end_date"])
        forum, _ = Forum.objects.update_or_create(slug=forum_fields.pop("slug"), defaults=forum_fields)
        themes = {
            title: Theme.objects.update_or_create(forum=forum, title=title, defaults={"order": order})[0]
            for order, title in enumerate(seed.THEMES, start=1)
        }
        session = self._load_session(forum, themes, organizations, people, seed.SESSION)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded “{forum.title}” ({forum.slug}) with the session “{session.title}”.")
        )

    def _load_session(self, forum, themes, organizations, people, data) -> Session:
        day = date.fromisoformat(data["date"])

        def at(hhmm: str) -> datetime:
            return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=forum.tzinfo)

        session, _ = Session.objects.update_or_create(
            forum=forum,
            slug=data["slug"],
            defaults={
                "kind": data["kind"],
                "theme": themes[data["theme"]],
                "title": data["title"],
                "start": at(data["start"]),
                "end": at(data["end"]),
                "objective": data["objective"],
                "context": data["context"],
                "methodology": data["methodology"],
                "expected_result": data["expected_result"],
            },
        )
        for order, org_slug in enumerate(data["organizers"], start=1):
            SessionOrganizer.objects.update_or_create(
                session=session, organization=organizations[org_slug], defaults={"order": order}
            )
        for number, citation in enumerate(data["references"], start=1):
            Reference.objects.update_or_create(session=session, number=number, defaults={"citation": citation})
        for order, text in enumerate(data["key_questions"], start=1):
            KeyQuestion.objects.update_or_create(session=session, order=order, defaults={"text": text})
        for order, (start, end, title, roles) in enumerate(data["agenda"], start=1):
            item, _ = AgendaItem.objects.update_or_create(
                session=session, order=order, defaults={"start": at(start), "end": at(end), "title": title}
            )
            for role_order, (role, person_slug, group, position, affiliation, org_slug) in enumerate(roles, start=1):
                SpeakerRole.objects.update_or_create(
                    agenda_item=item,
                    order=role_order,
                    defaults={
                        "role": role,
                        "person": people.get(person_slug),
                        "group_name": group,
                        "position": position,
                        "affiliation": affiliation,
                        "organization": organizations.get(org_slug),
                    },
                )
        return session
