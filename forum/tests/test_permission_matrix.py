# ruff: noqa: E501 - the tables below keep one row a line, aligned in columns.
"""Who reaches what: every URL of the site as an anonymous visitor, a participant, a
rapporteur, an organizer and a registration desk, against one table of expected outcomes.

The site (``build_site``) is the forum of ``forum.tests.programme_world`` with six
sessions, released, and a seventh added after the release (hidden from the public until
the next release), plus an unpublished forum. The roles:

- anonymous: no account;
- participant: ``World.participant``, a confirmed registration, signed up for the first
  session, not staff;
- rapporteur: ``World.rapporteur``, rapporteur of one session only (``Site.mine``, its
  recommendations a draft), not staff;
- organizer: ``World.organizer``, a staff superuser with a verified address, as
  ``manage.py create_organizer`` makes every organizer (the project has no narrower
  organizer role, so there is no admin page an organizer must not reach);
- desk: ``Site.desk``, a registration desk: staff with a verified address and only the
  permissions the README tells organizers to give such a colleague, "Can view
  registration" and "Can export registrations". In the admin they reach the
  registrations (read-only) and their export, and get 403 on every other model's pages
  (and the index lists no other model); on the site they see what the public sees of the
  programme (``sessions_app.published.sees_working_programme``) and no draft.

``GET_TABLE`` gives, for each URL, the outcome each role must get: ``OK`` (200),
``REDIRECT`` (302 elsewhere than a sign-in page), ``LOGIN`` (302 to the site's sign-in
page in the page's language), ``ADMIN_LOGIN`` (302 to the admin's sign-in page),
``FORBIDDEN`` (403), ``NOT_FOUND`` (404) or ``NOT_ALLOWED`` (405, a GET to a POST-only
view). Each URL under a language prefix is requested in English and in Spanish. The admin
part of the table is ``ADMIN_MODELS``: one line per registered model, the organizer's
and the desk's outcomes on its changelist, add, change, delete and history pages
(everyone else is sent to the admin's sign-in page). ``test_every_route_has_a_row``
walks the URL resolver: a route without a row fails, named, so a new page cannot be left
out.

``POST_TABLE`` sends the requests that change something as the roles that may not make
them, and asserts that nothing stored changed (every row of every table the project
writes, compared before and after). Each role's test reports every wrong cell at once.

The site is built once for the module, in a transaction rolled back at its end; each test
runs in a savepoint of it (``django_db``), and each POST in a savepoint of its own.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation
from PIL import Image

from forum import photos
from forum.celery import app as celery_app
from forum.models import Forum, Organization, Person, User
from forum.tests.factories import ForumFactory, UserFactory
from forum.tests.programme_world import World, add_sessions, build_world, ready_document, status_document
from registration.calendar import calendar_token_of
from registration.models import Registration, RegistrationSettings, SessionSignup
from sessions_app.models import AgendaItem, GeneratedDocument, Session, SpeakerRole, Theme
from sessions_app.recommendations import RecommendationsDocument
from sessions_app.release_services import release_programme
from sessions_app.releases import ProgrammeRelease
from sessions_app.tests.factories import SessionFactory
from sessions_app.tests.support import client_for

# One xdist group: the site is built once, on one worker.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("permission_matrix")]

OK, REDIRECT, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = "200", "302", "403", "404", "405"
LOGIN, ADMIN_LOGIN = "login", "admin login"
SKIP = None
"""A POST cell not sent: the role may make the change (the feature's own tests cover it)."""

ROLES = ("anonymous", "participant", "rapporteur", "organizer", "desk")
LANGUAGES = ("en", "es")
Kind = GeneratedDocument.Kind
UNRELEASED_TITLE = "Roundtable added after the release"
UNRELEASED_SPEAKER = "Speaker Added-Later"
OWN_NAME, OTHER_NAME = "Alba Own-Registration", "Bruno Someone-Else"
DESK_PERMISSIONS = ("view_registration", "export_registration")
"""The registration desk's permissions (on ``Registration``), as the README gives them."""


@dataclass
class Site:
    """The world measured (see the module docstring) and the objects the URLs name."""

    world: World
    published: Session
    """Session 0: parallel, the participant signed up, its recommendations published."""
    submitted: Session
    """Session 1: recommendations submitted for review (not the rapporteur's)."""
    mine: Session
    """Session 2 ("A"): the rapporteur's only session, recommendations a draft."""
    other: Session
    """Session 5 ("B"): a plenary, recommendations a draft, not the rapporteur's."""
    unreleased: Session
    """Session 6: added after the release, titled ``UNRELEASED_TITLE``."""
    unreleased_speaker: Person
    """A speaker of ``unreleased`` only, named ``UNRELEASED_SPEAKER``."""
    hidden_forum: Forum
    """An unpublished forum, with ``hidden_session``."""
    hidden_session: Session
    other_registration: Registration
    """Another participant's confirmed registration (printed name ``OTHER_NAME``; the
    participant's own is ``OWN_NAME``)."""
    group: Group
    desk: User
    """The registration desk: staff, verified, ``DESK_PERMISSIONS`` only, no registration."""
    documents: dict[str, GeneratedDocument]
    """Status pages' documents by kind ("programme", "outcome", "agenda", "recommendations"),
    and the "ready" agenda PDF of ``published`` for the admin's download."""

    @property
    def forum(self) -> Forum:
        return self.world.forum

    def token(self) -> str:
        """The participant's personal calendar key, as stored now."""
        return Registration.objects.get(pk=self.world.registration.pk).calendar_token


def build_site() -> Site:
    """The site of the module docstring."""
    world = build_world()
    add_sessions(world, 6)
    release_programme(forum=world.forum, user=world.organizer, note="First release")
    add_sessions(world, 1)
    sessions = list(Session.objects.filter(forum=world.forum).order_by("pk"))
    published, submitted, mine, other, unreleased = (sessions[n] for n in (0, 1, 2, 5, 6))
    SpeakerRole.objects.filter(person=world.rapporteur_person).exclude(agenda_item__session=mine).delete()
    Session.objects.filter(pk=unreleased.pk).update(title_en=UNRELEASED_TITLE)
    unreleased_speaker = Person.objects.filter(speaker_roles__agenda_item__session=unreleased).first()
    Person.objects.filter(pk=unreleased_speaker.pk).update(name=UNRELEASED_SPEAKER)
    for person in (world.rapporteur_person, unreleased_speaker):
        _give_photo(person)
    EmailAddress.objects.create(user=world.organizer, email=world.organizer.email, verified=True, primary=True)
    other_registration = (
        Registration.objects.filter(forum=world.forum).exclude(user=world.participant).order_by("pk").first()
    )
    Registration.objects.filter(pk=world.registration.pk).update(printed_name=OWN_NAME)
    Registration.objects.filter(pk=other_registration.pk).update(printed_name=OTHER_NAME)
    for registration in (world.registration, other_registration):
        calendar_token_of(registration)
    hidden_forum = ForumFactory(is_published=False)
    desk = UserFactory(is_staff=True)
    EmailAddress.objects.create(user=desk, email=desk.email, verified=True, primary=True)
    desk.user_permissions.set(
        Permission.objects.filter(content_type__app_label="registration", codename__in=DESK_PERMISSIONS)
    )
    documents = {
        "programme": status_document(world.forum, None, Kind.PROGRAMME),
        "outcome": status_document(world.forum, None, Kind.OUTCOME),
        "agenda": status_document(world.forum, published, Kind.SESSION_AGENDA),
        "recommendations": status_document(world.forum, mine, Kind.RECOMMENDATIONS),
        "ready": ready_document(world.forum, published, Kind.SESSION_AGENDA),
    }
    return Site(
        world=world,
        published=published,
        submitted=submitted,
        mine=mine,
        other=other,
        unreleased=unreleased,
        unreleased_speaker=unreleased_speaker,
        hidden_forum=hidden_forum,
        hidden_session=SessionFactory(forum=hidden_forum),
        other_registration=other_registration,
        group=Group.objects.create(name="Registration desk"),
        desk=desk,
        documents=documents,
    )


def _give_photo(person: Person) -> None:
    """Store a small PNG as ``person``'s photo (``forum.photos.store_photo``)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    person.refresh_from_db()
    photos.store_photo(person, SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png"))
    person.save(update_fields=["photo"])


# URL functions: each takes the ``Site`` and answers a path (reversed in the active language).
Url = Callable[[Site], str]


def page(name: str, kwargs: Callable[[Site], dict] | None = None, query: str = "") -> Url:
    """``name`` reversed with ``kwargs(site)``, plus ``query``."""
    return lambda site: reverse(name, kwargs=kwargs(site) if kwargs else None) + query


def _forum(site: Site) -> dict:
    return {"forum_slug": site.forum.slug}


def _hidden_forum(site: Site) -> dict:
    return {"forum_slug": site.hidden_forum.slug}


def _session(attribute: str) -> Callable[[Site], dict]:
    """The URL arguments of the site's session ``attribute`` (``"mine"``, ``"published"``…)."""

    def kwargs(site: Site) -> dict:
        session = getattr(site, attribute)
        return {"forum_slug": session.forum.slug, "session_slug": session.slug}

    return kwargs


def _speaker(attribute: str) -> Callable[[Site], dict]:
    """The URL arguments of the speaker page of the person at ``attribute`` (a dotted path
    from the ``Site``)."""

    def kwargs(site: Site) -> dict:
        return {**_forum(site), "person_slug": attrgetter(attribute)(site).slug}

    return kwargs


def _status(name: str, kind: str, kwargs: Callable[[Site], dict]) -> Url:
    """The status page ``name`` of the site's document of ``kind``."""
    return lambda site: reverse(name, kwargs={**kwargs(site), "pk": site.documents[kind].pk})


def _personal_feed(site: Site) -> str:
    return reverse("calendars:personal-ics", kwargs={"token": site.token()})


def _personal_feed_altered(site: Site) -> str:
    """The participant's feed with the last character of its key changed."""
    token = site.token()
    return reverse("calendars:personal-ics", kwargs={"token": token[:-1] + ("B" if token[-1] == "A" else "A")})


def _admin(name: str, obj: Callable[[Site], object] | None = None, query: str = "") -> Url:
    """``admin:<name>``, with ``obj(site)``'s primary key as its argument."""
    return lambda site: reverse(f"admin:{name}", args=[obj(site).pk] if obj else None) + query


def _draft_a(site: Site) -> RecommendationsDocument:
    """The recommendations document of the rapporteur's session (a draft)."""
    return RecommendationsDocument.objects.get(session=site.mine)


def _view_on_site(site: Site) -> str:
    content_type = ContentType.objects.get_for_model(Session)
    return reverse("admin:view_on_site", args=[content_type.pk, site.published.pk])


@dataclass(frozen=True)
class Row:
    """A URL (``url(site)``) and the outcome of a GET to it for each role."""

    name: str
    url: Url
    anonymous: str
    participant: str
    rapporteur: str
    organizer: str
    desk: str

    def expected(self, role: str) -> str:
        return getattr(self, role)


# fmt: off
PUBLIC_ROWS = [
    #   what                                     URL                                                                                 anonymous   participant  rapporteur   organizer    desk
    Row("forum list",                            page("forum:forum-list"),                                                           OK,         OK,          OK,          OK,          OK),
    Row("forum home",                            page("forum:forum-home", _forum),                                                   OK,         OK,          OK,          OK,          OK),
    Row("unpublished forum's home",              page("forum:forum-home", _hidden_forum),                                            NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("speakers",                              page("forum:speaker-list", _forum),                                                 OK,         OK,          OK,          OK,          OK),
    Row("speaker page",                          page("forum:speaker-detail", _speaker("world.rapporteur_person")),                 OK,         OK,          OK,          OK,          OK),
    Row("speaker page, unreleased session only", page("forum:speaker-detail", _speaker("unreleased_speaker")),                      NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND),
    Row("speaker photo",                         page("forum:speaker-photo", _speaker("world.rapporteur_person")),                  OK,         OK,          OK,          OK,          OK),
    Row("speaker photo, unreleased session only", page("forum:speaker-photo", _speaker("unreleased_speaker")),                      NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND),
    Row("speaker photo, unpublished forum",      page("forum:speaker-photo", lambda s: {**_hidden_forum(s), "person_slug": s.world.rapporteur_person.slug}),
                                                                                                                                     NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("organizations",                         page("forum:organization-list", _forum),                                            OK,         OK,          OK,          OK,          OK),
    Row("programme",                             page("sessions_app:programme", _forum),                                             OK,         OK,          OK,          OK,          OK),
    Row("unpublished forum's programme",         page("sessions_app:programme", _hidden_forum),                                      NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("session page",                          page("sessions_app:session-detail", _session("published")),                         OK,         OK,          OK,          OK,          OK),
    Row("session page, unreleased session",      page("sessions_app:session-detail", _session("unreleased")),                        NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND),
    Row("session page, unpublished forum",       page("sessions_app:session-detail", _session("hidden_session")),                    NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("now and next",                          page("sessions_app:now-next", _forum, "?at=2020-01-22T09:30"),                      OK,         OK,          OK,          OK,          OK),
    Row("programme PDF",                         page("documents:programme-pdf", _forum),                                            REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("programme PDF, unpublished forum",      page("documents:programme-pdf", _hidden_forum),                                     NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("programme PDF status",                  _status("documents:document-status", "programme", _forum),                          OK,         OK,          OK,          OK,          OK),
    Row("outcome PDF",                           page("documents:outcome-pdf", _forum),                                              REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("outcome PDF status",                    _status("documents:outcome-status", "outcome", _forum),                             OK,         OK,          OK,          OK,          OK),
    Row("agenda PDF",                            page("documents:session-agenda-pdf", _session("published")),                        REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("agenda PDF, unreleased session",        page("documents:session-agenda-pdf", _session("unreleased")),                       NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   REDIRECT,    NOT_FOUND),
    Row("agenda PDF status",                     _status("documents:document-status", "agenda", _session("published")),             OK,         OK,          OK,          OK,          OK),
    Row("recommendations PDF, published",        page("documents:recommendations-pdf", _session("published")),                       REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("recommendations PDF, submitted",        page("documents:recommendations-pdf", _session("submitted")),                       NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   REDIRECT,    NOT_FOUND),
    Row("recommendations PDF, draft A (own)",    page("documents:recommendations-pdf", _session("mine")),                            NOT_FOUND,  NOT_FOUND,   REDIRECT,    REDIRECT,    NOT_FOUND),
    Row("recommendations PDF, draft B",          page("documents:recommendations-pdf", _session("other")),                           NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   REDIRECT,    NOT_FOUND),
    Row("recommendations PDF, unreleased",       page("documents:recommendations-pdf", _session("unreleased")),                      NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   REDIRECT,    NOT_FOUND),
    Row("recommendations PDF status, draft A",   _status("documents:recommendations-status", "recommendations", _session("mine")),   NOT_FOUND,  NOT_FOUND,   OK,          OK,          NOT_FOUND),
    Row("programme calendar",                    page("calendars:programme-ics", _forum),                                            OK,         OK,          OK,          OK,          OK),
    Row("session calendar",                      page("calendars:session-ics", _session("published")),                               OK,         OK,          OK,          OK,          OK),
    Row("session calendar, unreleased session",  page("calendars:session-ics", _session("unreleased")),                              NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("personal calendar",                     _personal_feed,                                                                     OK,         OK,          OK,          OK,          OK),
    Row("personal calendar, key altered",        _personal_feed_altered,                                                             NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("personal calendar new link",            page("calendars:personal-reset", _forum),                                           LOGIN,      NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    Row("schedule.xml",                          page("schedule:schedule-xml", _forum),                                              OK,         OK,          OK,          OK,          OK),
    Row("schedule.json",                         page("schedule:schedule-json", _forum),                                             OK,         OK,          OK,          OK,          OK),
    Row("schedule.json, unpublished forum",      page("schedule:schedule-json", _hidden_forum),                                      NOT_FOUND,  NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("changelog",                             page("releases:changelog", _forum),                                                 OK,         OK,          OK,          OK,          OK),
    Row("changelog feed",                        page("releases:feed", _forum),                                                      OK,         OK,          OK,          OK,          OK),
    Row("register",                              page("registration:register", _forum),                                              LOGIN,      OK,          OK,          OK,          OK),
    Row("my registration",                       page("registration:my-registration", _forum),                                       LOGIN,      OK,          OK,          OK,          OK),
    Row("cancel registration",                   page("registration:cancel", _forum),                                                LOGIN,      OK,          REDIRECT,    REDIRECT,    REDIRECT),
    Row("session sign-up",                       page("registration:session-signup", _session("submitted")),                         LOGIN,      NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    Row("leave session",                         page("registration:session-leave", _session("published")),                          LOGIN,      OK,          REDIRECT,    REDIRECT,    REDIRECT),
    Row("leave session, unreleased session",     page("registration:session-leave", _session("unreleased")),                         LOGIN,      NOT_FOUND,   NOT_FOUND,   REDIRECT,    NOT_FOUND),
    Row("privacy notice",                        page("registration:privacy", _forum),                                               OK,         OK,          OK,          OK,          OK),
    Row("rapporteur's sessions",                 page("workspace:my-sessions"),                                                      LOGIN,      OK,          OK,          OK,          OK),
    Row("recommendations editor, A (own draft)", page("workspace:editor", _session("mine")),                                         LOGIN,      NOT_FOUND,   OK,          OK,          NOT_FOUND),
    Row("recommendations editor, B",             page("workspace:editor", _session("other")),                                        LOGIN,      NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND),
    Row("recommendations editor, published",     page("workspace:editor", _session("published")),                                    LOGIN,      NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND),
    Row("recommendations editor, hidden forum",  page("workspace:editor", _session("hidden_session")),                               LOGIN,      NOT_FOUND,   NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    Row("health check",                          page("healthz"),                                                                    OK,         OK,          OK,          OK,          OK),
    Row("language switch (GET)",                 page("set_language", query="?next=/en/"),                                           REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("sign in",                               page("account_login"),                                                              OK,         REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("sign up",                               page("account_signup"),                                                             OK,         REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("sign out",                              page("account_logout"),                                                             REDIRECT,   OK,          OK,          OK,          OK),
    Row("inactive account",                      page("account_inactive"),                                                           OK,         OK,          OK,          OK,          OK),
    Row("reauthenticate",                        page("account_reauthenticate"),                                                     LOGIN,      OK,          OK,          OK,          OK),
    Row("reauthentication code",                 page("account_request_reauthentication_code"),                                      LOGIN,      OK,          OK,          OK,          OK),
    Row("reauthentication code confirmation",    page("account_confirm_reauthentication_code"),                                      LOGIN,      REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("e-mail addresses",                      page("account_email"),                                                              LOGIN,      OK,          OK,          OK,          OK),
    Row("e-mail verification sent",              page("account_email_verification_sent"),                                            OK,         OK,          OK,          OK,          OK),
    Row("e-mail confirmation, unknown key",      page("account_confirm_email", lambda s: {"key": "x"}),                              OK,         OK,          OK,          OK,          OK),
    Row("password change",                       page("account_change_password"),                                                    LOGIN,      OK,          OK,          OK,          OK),
    Row("password set",                          page("account_set_password"),                                                       LOGIN,      REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    Row("password reset",                        page("account_reset_password"),                                                     OK,         OK,          OK,          OK,          OK),
    Row("password reset done",                   page("account_reset_password_done"),                                                OK,         OK,          OK,          OK,          OK),
    Row("password reset, unknown key",           page("account_reset_password_from_key", lambda s: {"uidb36": "1", "key": "x"}),     OK,         OK,          OK,          OK,          OK),
    Row("password reset from key done",          page("account_reset_password_from_key_done"),                                       OK,         OK,          OK,          OK,          OK),
    Row("sign-in code confirmation",             page("account_confirm_login_code"),                                                 LOGIN,      REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
]

ADMIN_ROWS = [
    #   what                                     URL                                                                                 anonymous    participant  rapporteur   organizer    desk
    Row("admin index",                           _admin("index"),                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK),
    Row("admin app index",                       lambda s: reverse("admin:app_list", args=["forum"]),                                ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          NOT_FOUND),
    Row("admin sign-in",                         _admin("login"),                                                                    OK,          OK,          OK,          REDIRECT,    REDIRECT),
    Row("admin sign-out (GET)",                  _admin("logout"),                                                                   REDIRECT,    REDIRECT,    REDIRECT,    NOT_ALLOWED, NOT_ALLOWED),
    Row("admin password change",                 _admin("password_change"),                                                          ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK),
    Row("admin password change done",            _admin("password_change_done"),                                                     ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK),
    Row("admin autocomplete",                    _admin("autocomplete", query="?app_label=sessions_app&model_name=agendaitem&field_name=session&term=a"),
                                                                                                                                     ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin JavaScript catalog",              _admin("jsi18n"),                                                                   ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK),
    Row("admin view on site",                    _view_on_site,                                                                      ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND,   NOT_FOUND),
    Row("admin unknown page",                    lambda s: "/admin/no-such-page/",                                                   ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND,   NOT_FOUND),
    Row("admin user's password",                 _admin("auth_user_password_change", lambda s: s.world.participant),                 ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin person's photo",                  _admin("forum_person_photo", lambda s: s.world.rapporteur_person),                  ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin frab import",                     _admin("forum_forum_import_frab"),                                                  ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin generated document download",     _admin("sessions_app_generateddocument_download", lambda s: s.documents["ready"]),  ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin generated document, no PDF",      _admin("sessions_app_generateddocument_download", lambda s: s.documents["agenda"]), ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND,   FORBIDDEN),
    Row("admin recommendations differences",     _admin("sessions_app_recommendationsdocument_diff", _draft_a),
                                                                                                                                     ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin registration export",             _admin("registration_registration_export"),                                         ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK),
    Row("admin attendance lists",                _admin("registration_sessionsignup_attendance_index"),                              ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin attendance list",                 _admin("registration_sessionsignup_attendance", lambda s: s.published),             ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
    Row("admin attendance list CSV",             _admin("registration_sessionsignup_attendance_csv", lambda s: s.published),         ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          FORBIDDEN),
]


@dataclass(frozen=True)
class AdminModel:
    """A registered model, the object whose pages are requested, the organizer's outcome
    on each of its pages and the desk's (``desk``: changelist, add, change, delete and
    history); anyone else is sent to the admin's sign-in page."""

    model: type
    obj: Callable[[Site], object]
    changelist: str
    add: str
    change: str
    delete: str
    history: str
    desk: tuple[str, str, str, str, str] = (FORBIDDEN,) * 5


ADMIN_MODELS = [
    #          model                    object                                                changelist  add        change  delete     history
    #          (the desk: 403 on every page unless ``desk`` says otherwise)
    AdminModel(Group,                   lambda s: s.group,                                    OK,         OK,        OK,     OK,        OK),
    AdminModel(EmailAddress,            lambda s: s.world.participant.emailaddress_set.get(), OK,         OK,        OK,     OK,        OK),
    AdminModel(Forum,                   lambda s: s.forum,                                    OK,         OK,        OK,     OK,        OK),
    AdminModel(Organization,            lambda s: s.forum.host_organizations.first(),         OK,         OK,        OK,     OK,        OK),
    AdminModel(Person,                  lambda s: s.world.rapporteur_person,                  OK,         OK,        OK,     OK,        OK),
    AdminModel(User,                    lambda s: s.world.participant,                        OK,         OK,        OK,     OK,        OK),
    AdminModel(Theme,                   lambda s: s.published.theme,                          OK,         OK,        OK,     OK,        OK),
    AdminModel(Session,                 lambda s: s.published,                                OK,         OK,        OK,     OK,        OK),
    AdminModel(AgendaItem,              lambda s: s.published.agenda_items.first(),           OK,         OK,        OK,     OK,        OK),
    AdminModel(GeneratedDocument,       lambda s: s.documents["ready"],                       OK,         FORBIDDEN, OK,     FORBIDDEN, OK),
    AdminModel(RecommendationsDocument, _draft_a,                                             OK,         FORBIDDEN, OK,     FORBIDDEN, OK),
    AdminModel(ProgrammeRelease,        lambda s: ProgrammeRelease.objects.get(forum=s.forum), OK,        FORBIDDEN, OK,     FORBIDDEN, OK),
    AdminModel(RegistrationSettings,    lambda s: s.forum.registration_settings,              OK,         OK,        OK,     OK,        OK),
    AdminModel(Registration,            lambda s: s.world.registration,                       OK,         FORBIDDEN, OK,     OK,        OK,
               desk=(OK, FORBIDDEN, OK, FORBIDDEN, OK)),
    AdminModel(SessionSignup,           lambda s: s.world.registration.signups.first(),       OK,         FORBIDDEN, OK,     OK,        OK),
]
# fmt: on


def _admin_model_rows(entry: AdminModel) -> list[Row]:
    """``entry``'s pages as rows: its changelist, add, change, delete and history pages, and
    the bare object URL that redirects to the change page."""
    opts = entry.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}"
    denied = (ADMIN_LOGIN,) * 3

    def object_url(site: Site) -> str:
        return reverse(f"admin:{prefix}_change", args=[entry.obj(site).pk]).removesuffix("change/")

    changelist, add, change, delete, history = entry.desk
    return [
        Row(f"admin {opts.label} changelist", _admin(f"{prefix}_changelist"), *denied, entry.changelist, changelist),
        Row(f"admin {opts.label} add", _admin(f"{prefix}_add"), *denied, entry.add, add),
        Row(f"admin {opts.label} change", _admin(f"{prefix}_change", entry.obj), *denied, entry.change, change),
        Row(f"admin {opts.label} delete", _admin(f"{prefix}_delete", entry.obj), *denied, entry.delete, delete),
        Row(f"admin {opts.label} history", _admin(f"{prefix}_history", entry.obj), *denied, entry.history, history),
        Row(f"admin {opts.label} object", object_url, *denied, REDIRECT, REDIRECT),
    ]


GET_TABLE = PUBLIC_ROWS + ADMIN_ROWS + [row for entry in ADMIN_MODELS for row in _admin_model_rows(entry)]


def _editor_data(action: str) -> dict:
    """A POST of the recommendations editor that would store a new text (and submit it)."""
    return {
        "action": action,
        "expected_version": 2,
        "introduction": "Written by someone who may not.",
        "conclusions": "",
        "contributors": "",
        "recommendations-TOTAL_FORMS": 0,
        "recommendations-INITIAL_FORMS": 0,
        "recommendations-MIN_NUM_FORMS": 0,
        "recommendations-MAX_NUM_FORMS": 1000,
    }


def _action(model: type, name: str, selected: Callable[[Site], list]) -> tuple[Url, Callable[[Site], dict]]:
    """The changelist of ``model`` and the POST data of its admin action ``name`` on ``selected(site)``."""
    opts = model._meta
    url = _admin(f"{opts.app_label}_{opts.model_name}_changelist")
    return url, lambda site: {"action": name, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in selected(site)], "index": 0}


def _frab_upload(site: Site) -> dict:
    return {"file": SimpleUploadedFile("schedule.json", b'{"schedule": {}}'), "dry_run": ""}


@dataclass(frozen=True)
class PostRow:
    """A POST (``data(site)`` to ``url(site)``) that changes something when allowed, and the
    outcome for each role; ``SKIP`` where the role may make it."""

    name: str
    url: Url
    data: Callable[[Site], dict]
    anonymous: str | None
    participant: str | None
    rapporteur: str | None
    organizer: str | None
    desk: str | None

    def expected(self, role: str) -> str | None:
        return getattr(self, role)


_release = _action(Forum, "release_programme_action", lambda s: [s.forum])
_decline = _action(Registration, "decline_selected", lambda s: [s.world.registration, s.other_registration])
_invite = _action(Person, "invite_as_rapporteur", lambda s: [s.world.rapporteur_person])
_publish = _action(RecommendationsDocument, "publish_selected", lambda s: [_draft_a(s)])
_regenerate = _action(GeneratedDocument, "regenerate", lambda s: [s.documents["agenda"]])

# fmt: off
POST_TABLE = [
    #       what                                  URL                                                             data                                                          anonymous    participant  rapporteur   organizer    desk
    PostRow("register",                           page("registration:register", _forum),                          lambda s: {"intent": "register", "printed_name": "Intruder"}, LOGIN,       SKIP,        SKIP,        SKIP,        SKIP),
    PostRow("cancel registration",                page("registration:cancel", _forum),                            lambda s: {},                                                 LOGIN,       SKIP,        REDIRECT,    REDIRECT,    REDIRECT),
    PostRow("session sign-up",                    page("registration:session-signup", _session("submitted")),     lambda s: {},                                                 LOGIN,       SKIP,        REDIRECT,    REDIRECT,    REDIRECT),
    PostRow("session sign-up, unreleased",        page("registration:session-signup", _session("unreleased")),    lambda s: {},                                                 LOGIN,       NOT_FOUND,   NOT_FOUND,   SKIP,        NOT_FOUND),
    PostRow("leave session",                      page("registration:session-leave", _session("published")),      lambda s: {},                                                 LOGIN,       SKIP,        REDIRECT,    REDIRECT,    REDIRECT),
    PostRow("personal calendar new link",         page("calendars:personal-reset", _forum),                       lambda s: {},                                                 LOGIN,       SKIP,        NOT_FOUND,   NOT_FOUND,   NOT_FOUND),
    PostRow("editor save, A (own draft)",         page("workspace:editor", _session("mine")),                     lambda s: _editor_data("save"),                               LOGIN,       NOT_FOUND,   SKIP,        SKIP,        NOT_FOUND),
    PostRow("editor submit, A (own draft)",       page("workspace:editor", _session("mine")),                     lambda s: _editor_data("submit"),                             LOGIN,       NOT_FOUND,   SKIP,        SKIP,        NOT_FOUND),
    PostRow("editor save, B",                     page("workspace:editor", _session("other")),                    lambda s: _editor_data("save"),                               LOGIN,       NOT_FOUND,   NOT_FOUND,   SKIP,        NOT_FOUND),
    PostRow("editor submit, B",                   page("workspace:editor", _session("other")),                    lambda s: _editor_data("submit"),                             LOGIN,       NOT_FOUND,   NOT_FOUND,   SKIP,        NOT_FOUND),
    PostRow("recommendations PDF retry, draft A", page("documents:recommendations-pdf", _session("mine")),        lambda s: {},                                                 NOT_FOUND,   NOT_FOUND,   SKIP,        SKIP,        NOT_FOUND),
    PostRow("language switch",                    page("set_language"),                                           lambda s: {"language": "es", "next": "/en/"},                 REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
    PostRow("health check",                       page("healthz"),                                                lambda s: {},                                                 NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    PostRow("add an e-mail address",              page("account_email"),                                          lambda s: {"action_add": "", "email": "new@example.org"},     LOGIN,       SKIP,        SKIP,        SKIP,        SKIP),
    PostRow("change password",                    page("account_change_password"),                                lambda s: {"oldpassword": "x", "password1": "Xy7!long-enough", "password2": "Xy7!long-enough"},
                                                                                                                                                                                    LOGIN,       SKIP,        SKIP,        SKIP,        SKIP),
    PostRow("admin: add a forum",                 _admin("forum_forum_add"),                                      lambda s: {"title_en": "Intruders' forum", "slug": "intruders"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: delete the forum",            _admin("forum_forum_delete", lambda s: s.forum),                lambda s: {"post": "yes"},                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: make a user superuser",       _admin("forum_user_change", lambda s: s.world.participant),     lambda s: {"email": s.world.participant.email, "is_active": "on", "is_staff": "on", "is_superuser": "on"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: set a user's password",       _admin("auth_user_password_change", lambda s: s.world.organizer), lambda s: {"password1": "Xy7!long-enough", "password2": "Xy7!long-enough"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: release the programme",       _release[0],                                                    lambda s: {**_release[1](s), "post": "yes"},                  ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: change a registration",       _admin("registration_registration_change", lambda s: s.world.registration), lambda s: {"printed_name": "Changed at the desk"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: delete a registration",       _admin("registration_registration_delete", lambda s: s.world.registration), lambda s: {"post": "yes"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: delete a session sign-up",    _admin("registration_sessionsignup_delete", lambda s: s.world.registration.signups.first()), lambda s: {"post": "yes"},
                                                                                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    # The desk's changelist refuses an action it does not offer: "No action selected", back to the list.
    PostRow("admin: decline registrations",       *_decline,                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        REDIRECT),
    PostRow("admin: invite a rapporteur",         *_invite,                                                                                                                     ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: publish recommendations",     *_publish,                                                                                                                    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: regenerate a PDF",            *_regenerate,                                                                                                                 ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
    PostRow("admin: import a frab schedule",      _admin("forum_forum_import_frab"),                              _frab_upload,                                                 ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, SKIP,        FORBIDDEN),
]
# fmt: on


def _outcome(response, language: str) -> str:
    """The outcome class of ``response`` (see the module docstring); a redirect elsewhere is
    ``REDIRECT``, a 301 is reported as such."""
    if response.status_code != 302:
        return str(response.status_code)
    target = urlsplit(response["Location"]).path
    if target == reverse("admin:login"):
        return ADMIN_LOGIN
    with translation.override(language):
        if target == reverse("account_login"):
            return LOGIN
    return REDIRECT


def _send(client: Client, url: str, data: dict | None = None):
    """GET ``url`` (POST ``data`` to it, if given), a streamed content read through so the file is closed."""
    response = client.get(url) if data is None else client.post(url, data)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _requests(url: Url, site: Site) -> Iterator[tuple[str, str]]:
    """(language, path) of each request of a row: in English and Spanish for a path under a
    language prefix, else once."""
    with translation.override("en"):
        path = url(site)
    yield "en", path
    if path.startswith("/en/"):
        with translation.override("es"):
            yield "es", url(site)


@dataclass
class Cell:
    """What one request answered."""

    row: str
    role: str
    path: str
    route: str
    expected: str
    actual: str
    location: str = ""

    def report(self) -> str:
        target = f" → {self.location}" if self.location else ""
        return f"{self.row} [{self.path}]: expected {self.expected}, got {self.actual}{target}"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Site]:
    """``build_site``, kept for the module in a transaction rolled back at its end (each test
    runs in a savepoint of it)."""
    test_settings = override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    eager = celery_app.conf.task_always_eager
    with test_settings, django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        celery_app.conf.task_always_eager = True
        try:
            yield build_site()
        finally:
            celery_app.conf.task_always_eager = eager
            transaction.set_rollback(True)


def _clients(site: Site) -> dict[str, Client]:
    """A client per role, the signed-in ones signed in."""
    users = {"participant": site.world.participant, "rapporteur": site.world.rapporteur}
    users["organizer"], users["desk"] = site.world.organizer, site.desk
    clients = {"anonymous": Client()}
    clients.update((role, client_for(user)) for role, user in users.items())
    return clients


@pytest.fixture(scope="module")
def get_cells(site) -> list[Cell]:
    """Every cell of ``GET_TABLE``: each row's URL requested as each role (in each language)."""
    cells = []
    for role, client in _clients(site).items():
        for row in GET_TABLE:
            for language, path in _requests(row.url, site):
                response = _send(client, path)
                with translation.override(language):
                    route = resolve(urlsplit(path).path).route
                actual = _outcome(response, language)
                location = response.get("Location", "") if actual == REDIRECT else ""
                cells.append(Cell(row.name, role, path, route, row.expected(role), actual, location))
    return cells


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(role, get_cells):
    """Every URL answers ``role`` as ``GET_TABLE`` says (every wrong cell listed at once)."""
    wrong = [cell.report() for cell in get_cells if cell.role == role and cell.actual != cell.expected]
    assert not wrong, f"{len(wrong)} wrong cell(s) for the {role}:\n" + "\n".join(wrong)


def _routes(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    """The route of every URL pattern below ``resolver``, joined as ``ResolverMatch.route`` joins them."""
    for pattern in resolver.url_patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLPattern):
            yield route
        else:
            yield from _routes(pattern, route)


def test_every_route_has_a_row(get_cells):
    """Every URL pattern of the site, in both languages, is requested by a row of the table."""
    site_routes = set()
    for language in LANGUAGES:
        with translation.override(language):
            site_routes |= set(_routes(get_resolver()))
    requested = {cell.route for cell in get_cells}
    missing = sorted(site_routes - requested)
    assert not missing, "Routes without a row in GET_TABLE (add one):\n" + "\n".join(missing)


def test_every_admin_model_has_a_line():
    """Every model registered in the admin has its line in ``ADMIN_MODELS``."""
    listed = {entry.model for entry in ADMIN_MODELS}
    assert sorted(model._meta.label for model in admin.site._registry if model not in listed) == []


def _stored() -> dict[str, list[tuple]]:
    """Every row of every table of the project's apps and of the accounts (users, groups,
    permissions, e-mail addresses, admin log), by model."""
    labels = ("forum", "sessions_app", "registration", "auth", "account", "admin")
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for label in labels
        for model in apps.get_app_config(label).get_models()
    }


def _changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The models whose rows differ between ``before`` and ``after``, with their row counts."""
    return [
        f"{label} ({len(before[label])} → {len(after[label])} rows)"
        for label in before
        if before[label] != after[label]
    ]


@pytest.mark.parametrize("role", ROLES)
def test_refused_posts_change_nothing(role, site):
    """Each POST of ``POST_TABLE`` that ``role`` may not make answers as the table says and
    leaves every stored row as it was (each POST in a savepoint rolled back after it, so
    all are compared with the rows stored before the first; in English only)."""
    client = _clients(site)[role]
    before = _stored()
    wrong = []
    for row in POST_TABLE:
        expected = row.expected(role)
        if expected is SKIP:
            continue
        with translation.override("en"):  # a request without a language prefix may leave another active
            path = row.url(site)
        with transaction.atomic():
            actual = _outcome(_send(client, path, row.data(site)), "en")
            changes = _changes(before, _stored())
            transaction.set_rollback(True)
        if actual != expected:
            wrong.append(f"{row.name} [{path}]: expected {expected}, got {actual}")
        if changes:
            wrong.append(f"{row.name} [{path}] changed: {', '.join(changes)}")
    assert not wrong, f"{len(wrong)} wrong POST cell(s) for the {role}:\n" + "\n".join(wrong)


def _text(client: Client, url: str) -> str:
    response = _send(client, url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.content.decode() if not response.streaming else ""


# (page, what it would show of the unreleased session, whether staff see the working programme there)
UNRELEASED_CHECKS = [
    (page("sessions_app:programme", _forum), UNRELEASED_TITLE, True),
    (page("forum:speaker-list", _forum), UNRELEASED_SPEAKER, True),
    (page("schedule:schedule-json", _forum), UNRELEASED_TITLE, False),
    (page("schedule:schedule-xml", _forum), UNRELEASED_TITLE, False),
    (page("calendars:programme-ics", _forum), UNRELEASED_TITLE, False),
    (page("sessions_app:now-next", _forum, "?at=2020-01-22T10:30"), UNRELEASED_TITLE, False),
]


@pytest.mark.parametrize("role", ROLES)
def test_unreleased_session_is_shown_to_staff_only(role, site):
    """The session added since the release (and its speaker) is on the programme and the
    speakers' list for the organizer only (the working programme, for staff who may change
    sessions; not for the registration desk), and on no export, calendar or "now and
    next" screen for anyone."""
    client = _clients(site)[role]
    wrong = []
    for url, hidden, working in UNRELEASED_CHECKS:
        shown = role == "organizer" and working
        if (hidden in _text(client, url(site))) != shown:
            wrong.append(f"{hidden!r} {'missing from' if shown else 'shown on'} {url(site)}")
    assert not wrong, "\n".join(wrong)


def test_registration_desk_admin_shows_registrations_only(site):
    """The desk's admin index links to the registrations' list and to no other model's, and
    the list offers the export (the only action the desk may run) but no confirm or decline."""
    client = client_for(site.desk)
    index = _text(client, reverse("admin:index"))
    changelists = {
        model._meta.label: reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    }
    linked = sorted(label for label, url in changelists.items() if f'href="{url}"' in index)
    assert linked == ["registration.Registration"]
    changelist = _text(client, changelists["registration.Registration"])
    assert OWN_NAME in changelist and OTHER_NAME in changelist
    assert 'value="export_admin_action"' in changelist
    assert 'value="confirm_selected"' not in changelist
    assert 'value="decline_selected"' not in changelist


def test_participants_see_only_their_own_registration(site):
    """Each participant's registration pages show their own name and calendar key, never
    another participant's (everything is looked up through the signed-in user)."""
    own, other = site.world.registration, site.other_registration
    for registration, theirs in ((own, other), (other, own)):
        registration.refresh_from_db()
        theirs.refresh_from_db()
        client = client_for(registration.user)
        for url in (page("registration:my-registration", _forum), page("registration:register", _forum)):
            text = _text(client, url(site))
            assert registration.printed_name in text
            assert theirs.printed_name not in text
            assert theirs.calendar_token not in text


def test_new_calendar_link_revokes_the_old_address(site):
    """A new link makes the participant's old feed address answer 404 and leaves the other
    participant's feed working; the new address answers."""
    old = site.token()
    response = client_for(site.world.participant).post(page("calendars:personal-reset", _forum)(site))
    assert response.status_code == 302
    new = site.token()
    other = Registration.objects.get(pk=site.other_registration.pk).calendar_token
    anonymous = Client()
    assert new != old
    assert anonymous.get(reverse("calendars:personal-ics", kwargs={"token": old})).status_code == 404
    assert anonymous.get(reverse("calendars:personal-ics", kwargs={"token": new})).status_code == 200
    assert anonymous.get(reverse("calendars:personal-ics", kwargs={"token": other})).status_code == 200
