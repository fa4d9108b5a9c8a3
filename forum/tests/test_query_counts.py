"""Every page runs as many SQL queries for a programme of 100 sessions as for one.

Two module-scoped measurements (``public_measurements`` and ``admin_measurements``, in
two xdist groups) each build a published forum with one session
(``forum.tests.programme_world``), measure their cases, grow the programme to 100
sessions with everything they carry (organizers, agendas, speakers, sign-ups,
recommendations, documents, a second release), measure their cases again, and roll
everything back. A case's measured request follows a first one (at the first size for
every case, at every size for those that write on a first visit), and the cache is
emptied just before it, so cached pages are measured uncached.

Cases cover every URL pattern outside the admin (``test_every_page_has_a_case`` walks
the resolver), each as the users who see it: an anonymous visitor, a confirmed
participant with sign-ups, a rapporteur, an organizer (superuser). In the admin: every
registered model's changelist (walking ``admin.site._registry``), the change pages of
the heaviest objects, the custom views and the actions' intermediate pages.

A failure lists the SQL statements (numbers and strings replaced by ``?``, ``IN`` lists
shortened) that ran more often with 100 sessions, so the N+1 query behind it is named.
"""

import io
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation
from PIL import Image

from forum.celery import app as celery_app
from forum.models import Person
from forum.photos import store_photo
from forum.tests.programme_world import (
    World,
    add_sessions,
    build_world,
    ready_document,
    release_and_revise,
    status_document,
)
from registration.calendar import calendar_token_of
from registration.models import Registration, SessionSignup
from sessions_app.models import AgendaItem, GeneratedDocument, Theme
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.releases import ProgrammeRelease
from sessions_app.tests.support import client_for

# ``django_db`` makes pytest-django set the test database up (the measurements open their
# own transaction). The public pages and the admin are measured in two xdist groups, so
# each is measured once, on one worker, while the other is measured on another.
pytestmark = pytest.mark.django_db
public_group = pytest.mark.xdist_group("query_counts_public")
admin_group = pytest.mark.xdist_group("query_counts_admin")

SIZES = (1, 100)
ANONYMOUS, PARTICIPANT, RAPPORTEUR, ORGANIZER = "anonymous", "participant", "rapporteur", "organizer"
Kind = GeneratedDocument.Kind


@dataclass(frozen=True)
class Case:
    """A request measured at each size: ``url(world)`` as ``role``, answering ``status``.

    ``data(world)`` makes it a POST with that form data. ``paginated`` pages may run
    fewer queries with 100 sessions (a full page), never more. ``bounded_extra`` is a
    number of queries that runs only once the programme has something the one-session
    programme lacks (a plenary), whatever how many of it there are. A ``writes`` case
    makes a row on its first request for new content (a PDF's document), so it is
    requested once before the measurement at every size; the others only at the first
    size (which fills the process's caches, e.g. content types).
    """

    id: str
    url: Callable[[World], str]
    role: str
    status: int = 200
    data: Callable[[World], dict] | None = None
    paginated: bool = False
    bounded_extra: int = 0
    writes: bool = False


@dataclass
class Measure:
    """One measured response: its status, the SQL it ran, its URL route, or the error it raised."""

    status: int | None = None
    queries: list[str] = field(default_factory=list)
    route: str = ""
    error: str = ""


def _forum(world: World) -> dict:
    return {"forum_slug": world.forum.slug}


def _session(world: World) -> dict:
    return {**_forum(world), "session_slug": world.first_session().slug}


def page(name: str, kwargs: Callable[[World], dict] | None = None, query: str = "") -> Callable[[World], str]:
    """A URL function: ``name`` reversed with ``kwargs(world)``, plus ``query``."""
    return lambda world: reverse(name, kwargs=kwargs(world) if kwargs else None) + query


def _status_page(name: str, kind: str, kwargs: Callable[[World], dict]) -> Callable[[World], str]:
    """The status page of the document of ``kind`` that ``status_document`` made."""

    def url(world: World) -> str:
        document = GeneratedDocument.objects.get(forum=world.forum, kind=kind, content_hash__startswith="status-")
        return reverse(name, kwargs={**kwargs(world), "pk": document.pk})

    return url


def _personal_feed(world: World) -> str:
    registration = Registration.objects.get(pk=world.registration.pk)
    return reverse("calendars:personal-ics", kwargs={"token": calendar_token_of(registration)})


def _admin(name: str, obj: Callable[[World], object] | None = None, query: str = "") -> Callable[[World], str]:
    """An admin URL function: ``admin:<name>``, with ``obj(world)``'s primary key as its argument."""
    return lambda world: reverse(f"admin:{name}", args=[obj(world).pk] if obj else None) + query


def _action(name: str, selected: Callable[[World], list]) -> Callable[[World], dict]:
    """The POST data of admin action ``name`` on the ``selected(world)`` rows."""
    return lambda world: {"action": name, ACTION_CHECKBOX_NAME: [str(pk) for pk in selected(world)], "index": "0"}


def _first_item(world: World) -> AgendaItem:
    return AgendaItem.objects.filter(session=world.first_session()).order_by("order").first()


def _first_document(world: World) -> RecommendationsDocument:
    return RecommendationsDocument.objects.get(session=world.first_session())


def _my_signup(world: World) -> SessionSignup:
    return SessionSignup.objects.get(registration=world.registration, session=world.first_session())


def _people(world: World) -> list[int]:
    return list(
        Person.objects.filter(speaker_roles__agenda_item__session__forum=world.forum)
        .distinct()
        .values_list("pk", flat=True)
    )


def _photographed(world: World) -> Person:
    """``world.rapporteur_person``, given a photo (``store_photo``) the first time."""
    person = Person.objects.get(pk=world.rapporteur_person.pk)
    if not person.photo:
        buffer = io.BytesIO()
        Image.new("RGB", (120, 160), "teal").save(buffer, "JPEG")
        store_photo(person, ContentFile(buffer.getvalue(), name="photo.jpg"))
        person.save()
    return person


PUBLIC_CASES = [
    *(Case(f"forum list as {role}", page("forum:forum-list"), role) for role in (ANONYMOUS, PARTICIPANT, ORGANIZER)),
    *(
        Case(f"forum home as {role}", page("forum:forum-home", _forum), role)
        for role in (ANONYMOUS, PARTICIPANT, ORGANIZER)
    ),
    *(
        Case(f"programme as {role}", page("sessions_app:programme", _forum), role)
        for role in (ANONYMOUS, PARTICIPANT, ORGANIZER)
    ),
    *(
        Case(
            f"programme searched as {role}",
            page("sessions_app:programme", _forum, "?q=session&kind=parallel&day=2020-01-22"),
            role,
        )
        for role in (ANONYMOUS, PARTICIPANT)
    ),
    *(
        Case(f"session page as {role}", page("sessions_app:session-detail", _session), role)
        for role in (ANONYMOUS, PARTICIPANT, ORGANIZER)
    ),
    Case("now and next", page("sessions_app:now-next", _forum, "?at=2020-01-22T09:30"), ANONYMOUS),
    *(
        Case(f"speakers as {role}", page("forum:speaker-list", _forum), role, paginated=True)
        for role in (ANONYMOUS, ORGANIZER)
    ),
    Case(
        "speaker page",
        lambda world: reverse(
            "forum:speaker-detail", kwargs={**_forum(world), "person_slug": world.rapporteur_person.slug}
        ),
        ANONYMOUS,
    ),
    Case(
        "speaker photo",
        lambda world: reverse(
            "forum:speaker-photo", kwargs={**_forum(world), "person_slug": _photographed(world).slug}
        ),
        ANONYMOUS,
    ),
    Case("organizations", page("forum:organization-list", _forum), ANONYMOUS),
    Case("changelog", page("releases:changelog", _forum), ANONYMOUS),
    Case("changelog feed", page("releases:feed", _forum), ANONYMOUS),
    Case("programme.ics", page("calendars:programme-ics", _forum), ANONYMOUS),
    Case("session .ics", page("calendars:session-ics", _session), ANONYMOUS),
    Case("personal calendar feed", _personal_feed, ANONYMOUS),
    Case(
        "personal calendar new link",
        page("calendars:personal-reset", _forum),
        PARTICIPANT,
        status=302,
        data=lambda world: {},
    ),
    Case("schedule.xml", page("schedule:schedule-xml", _forum), ANONYMOUS),
    Case("schedule.json", page("schedule:schedule-json", _forum), ANONYMOUS),
    Case("programme PDF", page("documents:programme-pdf", _forum), ANONYMOUS, status=302, writes=True),
    Case(
        "programme PDF status",
        _status_page("documents:document-status", Kind.PROGRAMME, _forum),
        ANONYMOUS,
    ),
    Case("agenda PDF", page("documents:session-agenda-pdf", _session), ANONYMOUS, status=302, writes=True),
    Case(
        "agenda PDF status",
        _status_page("documents:document-status", Kind.SESSION_AGENDA, _session),
        ANONYMOUS,
    ),
    Case(
        "recommendations PDF",
        page("documents:recommendations-pdf", _session),
        ANONYMOUS,
        status=302,
        writes=True,
    ),
    Case(
        "recommendations PDF status",
        _status_page("documents:recommendations-status", Kind.RECOMMENDATIONS, _session),
        ANONYMOUS,
    ),
    Case("outcome PDF", page("documents:outcome-pdf", _forum), ANONYMOUS, status=302, writes=True),
    Case("outcome PDF status", _status_page("documents:outcome-status", Kind.OUTCOME, _forum), ANONYMOUS),
    Case("register as anonymous", page("registration:register", _forum), ANONYMOUS, status=302),
    Case("register (edit) as participant", page("registration:register", _forum), PARTICIPANT),
    Case("my registration", page("registration:my-registration", _forum), PARTICIPANT),
    Case("cancel registration confirmation", page("registration:cancel", _forum), PARTICIPANT),
    Case(
        "session sign-up (already signed up)",
        page("registration:session-signup", _session),
        PARTICIPANT,
        status=302,
        data=lambda world: {},
    ),
    Case("leave session confirmation", page("registration:session-leave", _session), PARTICIPANT),
    Case("privacy notice", page("registration:privacy", _forum), ANONYMOUS),
    Case("rapporteur's sessions", page("workspace:my-sessions"), RAPPORTEUR),
    Case("rapporteur's document (published)", page("workspace:editor", _session), RAPPORTEUR),
    Case("organizer's document editor", page("workspace:editor", _session), ORGANIZER),
    Case("health check", page("healthz"), ANONYMOUS),
    Case(
        "language switch",
        page("set_language"),
        ANONYMOUS,
        status=302,
        data=lambda world: {"language": "en", "next": "/en/"},
    ),
    Case("sign in", page("account_login"), ANONYMOUS),
    Case("sign up", page("account_signup"), ANONYMOUS),
    Case("sign out confirmation", page("account_logout"), PARTICIPANT),
    Case("inactive account", page("account_inactive"), ANONYMOUS),
    Case("reauthenticate", page("account_reauthenticate"), PARTICIPANT),
    Case("reauthentication code", page("account_request_reauthentication_code"), PARTICIPANT),
    Case("reauthentication code confirmation", page("account_confirm_reauthentication_code"), PARTICIPANT, 302),
    Case("e-mail addresses", page("account_email"), PARTICIPANT),
    Case("e-mail verification sent", page("account_email_verification_sent"), ANONYMOUS),
    Case("e-mail confirmation, unknown key", page("account_confirm_email", lambda world: {"key": "x"}), ANONYMOUS),
    Case("password change", page("account_change_password"), PARTICIPANT),
    Case("password set", page("account_set_password"), PARTICIPANT, status=302),
    Case("password reset", page("account_reset_password"), ANONYMOUS),
    Case("password reset done", page("account_reset_password_done"), ANONYMOUS),
    Case(
        "password reset, unknown key",
        page("account_reset_password_from_key", lambda world: {"uidb36": "1", "key": "x"}),
        ANONYMOUS,
    ),
    Case("password reset from key done", page("account_reset_password_from_key_done"), ANONYMOUS),
    Case("sign-in code confirmation", page("account_confirm_login_code"), ANONYMOUS, status=302),
]

ADMIN_CHANGELISTS = [
    Case(
        f"admin changelist {model._meta.label}",
        _admin(f"{model._meta.app_label}_{model._meta.model_name}_changelist"),
        ORGANIZER,
    )
    for model in admin.site._registry
]

ADMIN_PAGES = [
    Case("admin index", _admin("index"), ORGANIZER),
    Case("admin app index", lambda world: reverse("admin:app_list", args=["sessions_app"]), ORGANIZER),
    Case("admin forum", _admin("forum_forum_change", lambda world: world.forum), ORGANIZER),
    Case("admin forum add", _admin("forum_forum_add"), ORGANIZER),
    Case("admin session", _admin("sessions_app_session_change", World.first_session), ORGANIZER),
    Case(
        "admin session add",
        lambda world: reverse("admin:sessions_app_session_add") + f"?forum={world.forum.pk}",
        ORGANIZER,
    ),
    Case("admin agenda item", _admin("sessions_app_agendaitem_change", _first_item), ORGANIZER),
    Case(
        "admin agenda item add",
        lambda world: reverse("admin:sessions_app_agendaitem_add") + f"?session={world.first_session().pk}",
        ORGANIZER,
    ),
    Case(
        "admin theme",
        _admin("sessions_app_theme_change", lambda world: Theme.objects.filter(forum=world.forum).first()),
        ORGANIZER,
    ),
    Case(
        "admin organization",
        _admin("forum_organization_change", lambda world: world.forum.host_organizations.first()),
        ORGANIZER,
    ),
    Case("admin person", _admin("forum_person_change", lambda world: world.rapporteur_person), ORGANIZER),
    Case("admin person photo", _admin("forum_person_photo", _photographed), ORGANIZER),
    Case("admin user", _admin("forum_user_change", lambda world: world.participant), ORGANIZER),
    Case(
        "admin release",
        _admin(
            "sessions_app_programmerelease_change",
            lambda world: ProgrammeRelease.objects.filter(forum=world.forum).latest(),
        ),
        ORGANIZER,
    ),
    Case(
        "admin recommendations document",
        _admin("sessions_app_recommendationsdocument_change", _first_document),
        ORGANIZER,
    ),
    Case(
        "admin recommendations differences",
        _admin("sessions_app_recommendationsdocument_diff", _first_document),
        ORGANIZER,
    ),
    Case(
        "admin generated document",
        _admin(
            "sessions_app_generateddocument_change",
            lambda world: GeneratedDocument.objects.filter(forum=world.forum).latest("pk"),
        ),
        ORGANIZER,
    ),
    Case(
        "admin generated document download",
        _admin(
            "sessions_app_generateddocument_download",
            lambda world: GeneratedDocument.objects.get(forum=world.forum, content_hash__startswith="ready-"),
        ),
        ORGANIZER,
    ),
    Case(
        "admin registration settings",
        _admin("registration_registrationsettings_change", lambda world: world.forum.registration_settings),
        ORGANIZER,
    ),
    Case("admin registration", _admin("registration_registration_change", lambda world: world.registration), ORGANIZER),
    Case("admin registration export", _admin("registration_registration_export"), ORGANIZER),
    Case("admin session sign-up", _admin("registration_sessionsignup_change", _my_signup), ORGANIZER),
    Case("admin attendance lists", _admin("registration_sessionsignup_attendance_index"), ORGANIZER),
    Case("admin attendance list", _admin("registration_sessionsignup_attendance", World.first_session), ORGANIZER),
    Case(
        "admin attendance list CSV",
        _admin("registration_sessionsignup_attendance_csv", World.first_session),
        ORGANIZER,
    ),
    Case("admin frab import", _admin("forum_forum_import_frab"), ORGANIZER),
    Case(
        "admin action: release the programme",
        _admin("forum_forum_changelist"),
        ORGANIZER,
        data=_action("release_programme_action", lambda world: [world.forum.pk]),
        # The changed plenaries' participants: every confirmed registration, read once.
        bounded_extra=1,
    ),
    Case(
        "admin action: decline registrations",
        _admin("registration_registration_changelist"),
        ORGANIZER,
        data=_action(
            "decline_selected",
            lambda world: Registration.objects.filter(forum=world.forum).values_list("pk", flat=True),
        ),
    ),
    Case(
        "admin action: invite rapporteurs",
        _admin("forum_person_changelist"),
        ORGANIZER,
        data=_action("invite_as_rapporteur", _people),
    ),
    Case(
        "admin action: return documents",
        _admin("sessions_app_recommendationsdocument_changelist"),
        ORGANIZER,
        data=_action(
            "return_selected",
            lambda world: RecommendationsDocument.objects.filter(session__forum=world.forum).values_list(
                "pk", flat=True
            ),
        ),
    ),
]

ADMIN_CASES = ADMIN_CHANGELISTS + ADMIN_PAGES


def _send(client: Client, url: str, data: dict | None):
    """The response to GET ``url`` (POST ``data`` to it, if given), a streamed content read through.

    The test client closes the response when its content is read (at once when it is
    not streamed), as a WSGI server does; closing it again would fire ``request_finished``
    with the connection check on, which closes the connection inside the transaction.
    """
    response = client.get(url) if data is None else client.post(url, data)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _measure_all(cases: list[Case], world: World, clients: dict[str, Client], first: bool) -> dict[str, Measure]:
    """Measure a request of each of ``cases``, with the cache emptied before it (its URL and
    data are read from the database before the measurement), after a first request at the
    ``first`` size and, for a ``writes`` case, at every size."""
    measures = {}
    for case in cases:
        client = clients[case.role]
        measure = Measure()
        try:
            if first or case.writes:
                _send(client, case.url(world), case.data(world) if case.data else None)
            url, data = case.url(world), case.data(world) if case.data else None
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = _send(client, url, data)
            measure.status = response.status_code
            measure.queries = [query["sql"] for query in captured.captured_queries]
            measure.route = resolve(urlsplit(url).path).route
        except Exception:  # noqa: BLE001 - reported by the case's test, with its traceback
            measure.error = traceback.format_exc()
        measures[case.id] = measure
    return measures


def _grow(world: World, size: int) -> None:
    """Add sessions up to ``size`` and release the programme (its titles then revised, pending)."""
    add_sessions(world, size - world.sessions)
    release_and_revise(world, note=f"{size} sessions")


def _measured(cases: list[Case], django_db_blocker, media) -> dict[str, dict[int, Measure]]:
    """``{case id: {size: Measure}}`` for each of ``cases`` at every size of ``SIZES``; the
    database is left as it was (everything happens in one transaction, rolled back)."""
    test_settings = override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=media,
    )
    eager = celery_app.conf.task_always_eager
    by_size: dict[int, dict[str, Measure]] = {}
    with test_settings, django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        celery_app.conf.task_always_eager = True
        try:
            world = build_world()
            add_sessions(world, 1)
            first = world.first_session()
            for session, kind in ((None, Kind.PROGRAMME), (None, Kind.OUTCOME), (first, Kind.SESSION_AGENDA)):
                status_document(world.forum, session, kind)
            status_document(world.forum, first, Kind.RECOMMENDATIONS)
            ready_document(world.forum, first, Kind.SESSION_AGENDA)
            clients = {
                ANONYMOUS: Client(),
                PARTICIPANT: client_for(world.participant),
                RAPPORTEUR: client_for(world.rapporteur),
                ORGANIZER: client_for(world.organizer),
            }
            for size in SIZES:
                _grow(world, size)
                by_size[size] = _measure_all(cases, world, clients, first=size == SIZES[0])
        finally:
            celery_app.conf.task_always_eager = eager
            transaction.set_rollback(True)
    return {case.id: {size: by_size[size][case.id] for size in SIZES} for case in cases}


@pytest.fixture(scope="module")
def public_measurements(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, dict[int, Measure]]:
    """``_measured`` for ``PUBLIC_CASES``."""
    return _measured(PUBLIC_CASES, django_db_blocker, tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def admin_measurements(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, dict[int, Measure]]:
    """``_measured`` for ``ADMIN_CASES``."""
    return _measured(ADMIN_CASES, django_db_blocker, tmp_path_factory.mktemp("media"))


_NUMBERS = re.compile(r"\b\d+\b")
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_LISTS = re.compile(r"IN \(\?(?:, \?)*\)")


def _shape(sql: str) -> str:
    """``sql`` with its literal numbers and strings replaced by ``?``, and its ``IN`` lists by ``IN (…)``."""
    return _LISTS.sub("IN (…)", _NUMBERS.sub("?", _STRINGS.sub("?", sql)))


def _growth_report(small: list[str], large: list[str]) -> str:
    """The statements that ran more often in ``large`` than in ``small``, with both counts."""
    before, after = Counter(map(_shape, small)), Counter(map(_shape, large))
    grown = [(sql, before[sql], count) for sql, count in after.items() if count > before[sql]]
    lines = [f"{count_small} → {count_large}: {sql}" for sql, count_small, count_large in grown]
    return "\n".join(lines) or "(no statement ran more often; others ran once each)"


def _check(case: Case, sizes: dict[int, Measure]) -> None:
    """Assert that ``case`` answered its status at every size and ran no more queries with 100 sessions."""
    small, large = (sizes[size] for size in SIZES)
    for size, measure in sizes.items():
        assert not measure.error, f"{case.id} with {size} session(s) raised:\n{measure.error}"
        assert measure.status == case.status, f"{case.id} with {size} session(s) answered {measure.status}"
    one, hundred = len(small.queries), len(large.queries)
    report = f"{one} queries with 1 session, {hundred} with 100:\n" + _growth_report(small.queries, large.queries)
    if case.paginated:
        assert hundred <= one, report
    else:
        assert one <= hundred <= one + case.bounded_extra, report


@public_group
@pytest.mark.parametrize("case", PUBLIC_CASES, ids=[case.id for case in PUBLIC_CASES])
def test_public_page_queries_do_not_grow_with_the_programme(case, public_measurements):
    _check(case, public_measurements[case.id])


@admin_group
@pytest.mark.parametrize("case", ADMIN_CASES, ids=[case.id for case in ADMIN_CASES])
def test_admin_page_queries_do_not_grow_with_the_programme(case, admin_measurements):
    _check(case, admin_measurements[case.id])


def _routes(resolver: URLResolver, prefix: str = "", admin_namespace: bool = False):
    """(route, is under the admin) of every URL pattern below ``resolver``, routes joined as
    ``ResolverMatch.route`` joins them."""
    for pattern in resolver.url_patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLPattern):
            yield route, admin_namespace
        else:
            yield from _routes(pattern, route, admin_namespace or pattern.namespace == "admin")


@public_group
def test_every_page_has_a_case(public_measurements):
    """Every URL pattern outside the admin is requested by a case (a new page cannot be forgotten)."""
    site = {route for route, in_admin in _routes(get_resolver()) if not in_admin}
    measured = {measure.route for sizes in public_measurements.values() for measure in sizes.values()}
    assert sorted(site - measured) == []
