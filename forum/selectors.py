"""Reads of the event core for the public site: forums, their speakers and organizations.

Every function returns a queryset with the related rows its page prints already loaded,
so a page runs the same number of queries however large the forum's programme is.
Only published forums are visible to the public.
"""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from forum.models import Forum, Organization, Person
from sessions_app.models import SessionOrganizer, SpeakerRole
from sessions_app.published import PublicSchedule


def forum_list_published() -> QuerySet[Forum]:
    """Published forums, latest first, each annotated with ``session_count``."""
    return (
        Forum.objects.filter(is_published=True)
        .annotate(session_count=Count("sessions", distinct=True))
        .order_by("-start_date", "title")
    )


def forum_published() -> QuerySet[Forum]:
    """Published forums, to look one up by slug (``get_object_or_404``); no relation loaded."""
    return Forum.objects.filter(is_published=True)


def forum_for_home() -> QuerySet[Forum]:
    """Published forums with ``host_organization_list`` (by name) and ``session_count``."""
    return (
        forum_published()
        .annotate(session_count=Count("sessions", distinct=True))
        .prefetch_related(
            Prefetch(
                "host_organizations",
                queryset=Organization.objects.order_by("name"),
                to_attr="host_organization_list",
            )
        )
    )


def appearances_in(forum: Forum, schedule: PublicSchedule | None = None) -> QuerySet[SpeakerRole]:
    """Speaker roles on ``forum``'s agendas, in the sessions ``schedule`` shows (all without one)."""
    shown = schedule.sessions_shown("agenda_item__session__") if schedule else Q()
    return SpeakerRole.objects.filter(shown, agenda_item__session__forum=forum)


def speaker_list(*, forum: Forum, schedule: PublicSchedule | None = None) -> QuerySet[Person]:
    """People named in ``forum``'s agendas, alphabetically (case-insensitive); with
    ``schedule`` (``sessions_app.published``), only in the sessions it shows.

    Each person has ``organization`` loaded and ``session_count``, the number of the
    forum's sessions in which they appear. Named groups are not people and are left out.
    """
    shown = schedule.sessions_shown("speaker_roles__agenda_item__session__") if schedule else Q()
    return (
        Person.objects.filter(Exists(appearances_in(forum, schedule).filter(person=OuterRef("pk"))))
        .select_related("organization")
        .annotate(
            session_count=Count(
                "speaker_roles__agenda_item__session",
                filter=Q(speaker_roles__agenda_item__session__forum=forum) & shown,
                distinct=True,
            )
        )
        .order_by(Lower("name"), "pk")
    )


def speaker_detail(*, forum: Forum, schedule: PublicSchedule | None = None) -> QuerySet[Person]:
    """People named in ``forum``'s agendas, to look one up by slug for their speaker page;
    with ``schedule`` (``sessions_app.published``), only in the sessions it shows.

    Each person has ``organization`` loaded and ``appearance_list``: their speaker roles in
    this forum in time order, each with its agenda item, session, theme and room.
    """
    appearances = (
        appearances_in(forum, schedule)
        .select_related("agenda_item__session__theme", "agenda_item__session__room", "organization")
        .order_by("agenda_item__start", "agenda_item__order", "order")
    )
    return (
        Person.objects.filter(Exists(appearances_in(forum, schedule).filter(person=OuterRef("pk"))))
        .select_related("organization")
        .prefetch_related(Prefetch("speaker_roles", queryset=appearances, to_attr="appearance_list"))
    )


def _kind_order() -> Case:
    """Sort key following the order in which ``Organization.Kind`` lists the kinds."""
    return Case(
        *(When(kind=kind, then=Value(position)) for position, kind in enumerate(Organization.Kind.values)),
        default=Value(len(Organization.Kind.values)),
        output_field=IntegerField(),
    )


def organization_list(*, forum: Forum) -> QuerySet[Organization]:
    """Organizations that host ``forum``, organize one of its sessions or are linked to an
    appearance on its agendas, ordered by kind (as ``Organization.Kind`` lists them), then name.

    Each organization carries ``is_host`` (bool), ``session_organizer_list`` (its
    ``SessionOrganizer`` rows in this forum with ``session`` loaded, in time order) and
    ``appearance_list`` (its people's speaker roles in this forum with ``person`` loaded,
    ordered by person name, so a template can print each person once with ``ifchanged``).
    """
    hosts = Forum.host_organizations.through.objects.filter(forum=forum, organization=OuterRef("pk"))
    organizes = SessionOrganizer.objects.filter(session__forum=forum, organization=OuterRef("pk"))
    appears = appearances_in(forum).filter(organization=OuterRef("pk"))
    return (
        Organization.objects.annotate(is_host=Exists(hosts), kind_order=_kind_order())
        .filter(Q(is_host=True) | Exists(organizes) | Exists(appears))
        .prefetch_related(
            Prefetch(
                "organized_sessions",
                queryset=SessionOrganizer.objects.filter(session__forum=forum)
                .select_related("session")
                .order_by("session__start", "session__title"),
                to_attr="session_organizer_list",
            ),
            Prefetch(
                "speaker_roles",
                queryset=appearances_in(forum)
                .filter(person__isnull=False)
                .select_related("person")
                .order_by(Lower("person__name"), "person_id", "agenda_item__start"),
                to_attr="appearance_list",
            ),
        )
        .order_by("kind_order", Lower("name"))
    )
