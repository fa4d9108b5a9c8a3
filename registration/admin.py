"""Admin for organizers: registration settings, registrations, session sign-ups, attendance lists.

Every change of a registration's status goes through ``registration.services`` (the
confirm and decline actions call it once per row, and each sends its e-mail); nothing
here counts places. Saves and deletions that may free places ask the services to give
them to the waitlist once they are committed, and say how many were promoted.

Registrations export to CSV (UTF-8 with a byte-order mark, for Excel) and XLSX
(``registration.exports``: control characters stripped, cells that could run as formulas
neutralized); only users with the ``registration.export_registration`` permission see
the export (``IMPORT_EXPORT_EXPORT_PERMISSION_CODE`` in settings).

Every date and time is shown in the forum's time zone and labelled "(forum time)".
"""

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy, pgettext
from django_countries.filters import CountryFilter
from import_export.admin import ExportActionMixin
from import_export.formats import base_formats

from forum.admin import ReadOnlyInline, SafeChangesMixin
from forum.models import Forum
from registration import services
from registration.exports import (
    ColumnLabelledExportForm,
    ExcelCSV,
    RegistrationResource,
    neutralize,
    session_titles,
    signups_in_programme_order,
)
from registration.forms import ParticipantDetailsForm
from registration.models import CategoryQuota, Notification, Registration, RegistrationSettings, SessionSignup
from sessions_app.admin import ForumTimeZoneMixin, local_day_and_times
from sessions_app.models import Session
from sessions_app.published import public_schedule, sees_working_programme

CONFIRMED_SEAT = Q(signups__status=SessionSignup.Status.CONFIRMED)
WAITLISTED_SEAT = Q(signups__status=SessionSignup.Status.WAITLISTED)


def _forum_time(moment: datetime | None, forum: Forum) -> str | None:
    """``moment`` in ``forum``'s time zone, as "Thu 2 Jan 2020, 09:30"; None (shown "-") without one."""
    if moment is None:
        return None
    local = timezone.localtime(moment, forum.tzinfo)
    return f"{date_format(local, 'SHORT_WEEKDAY_DATE_FORMAT')}, {local:%H:%M}"


def _report_promoted(request, promoted: int) -> None:
    """Tell the organizer that ``promoted`` waitlisted participants got a place (if any did)."""
    if promoted:
        message = ngettext(
            "%(count)d waitlisted participant was promoted and notified.",
            "%(count)d waitlisted participants were promoted and notified.",
            promoted,
        )
        messages.info(request, message % {"count": promoted})


def _fill_after_commit(request, forums: Iterable[Forum] = (), sessions: Iterable[Session] = ()) -> None:
    """Once the current transaction commits, give the places of ``forums`` and the seats of
    ``sessions`` that are free to their waitlists, and report how many were promoted."""

    def fill() -> None:
        promoted = sum(services.fill_places(forum=forum) for forum in forums)
        promoted += sum(services.fill_seats(session=session) for session in sessions)
        _report_promoted(request, promoted)

    transaction.on_commit(fill)


class DecisionTexts(NamedTuple):
    """What the confirm or decline action tells the organizer: ``done`` and ``unchanged`` are
    plural messages taking ``count``, ``refused`` a message taking ``names`` and ``reason``."""

    done: str
    unchanged: str
    refused: str


CONFIRMED = DecisionTexts(
    done=ngettext_lazy(
        "%(count)d registration confirmed; its participant is notified by e-mail.",
        "%(count)d registrations confirmed; each participant is notified by e-mail.",
        "count",
    ),
    unchanged=ngettext_lazy(
        "%(count)d registration was already confirmed.", "%(count)d registrations were already confirmed.", "count"
    ),
    refused=gettext_lazy("Not confirmed: %(names)s. %(reason)s"),
)
DECLINED = DecisionTexts(
    done=ngettext_lazy(
        "%(count)d registration declined; its participant is notified by e-mail.",
        "%(count)d registrations declined; each participant is notified by e-mail.",
        "count",
    ),
    unchanged=ngettext_lazy(
        "%(count)d registration was already declined.", "%(count)d registrations were already declined.", "count"
    ),
    refused=gettext_lazy("Not declined: %(names)s. %(reason)s"),
)


class ParallelSessionFilter(admin.SimpleListFilter):
    """Rows tied to one parallel session (of the forum chosen in the forum filter, if any).

    The choices are read in one query, whatever the number of sessions, plus one per
    forum (its latest release) for staff who see the programme as released
    (``published.sees_working_programme``): a session added since is not named to them.
    ``session_path``
    is the lookup from the model to the session, ``forum_parameter`` the forum filter's
    query parameter.
    """

    title = gettext_lazy("parallel session")
    parameter_name = "session"
    session_path = "session"
    forum_parameter = "session__forum__id__exact"

    def lookups(self, request, model_admin):
        sessions = Session.objects.filter(kind=Session.Kind.PARALLEL).select_related("forum")
        forum = _database_id(request.GET.get(self.forum_parameter, ""))
        if forum is not None:
            sessions = sessions.filter(forum_id=forum)
        sessions = list(sessions.order_by("-forum__start_date", "forum", "start", "title"))
        if not sees_working_programme(request.user):
            forums = {session.forum_id: session.forum for session in sessions}
            schedules = {forum_id: public_schedule(forum) for forum_id, forum in forums.items()}
            sessions = [session for session in sessions if schedules[session.forum_id].shows(session)]
        several_forums = len({session.forum_id for session in sessions}) > 1
        return [
            (
                str(session.pk),
                _("%(session)s (%(forum)s)") % {"session": session.title, "forum": session.forum.title}
                if several_forums
                else session.title,
            )
            for session in sessions
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        session = _database_id(self.value())
        if session is None:
            raise IncorrectLookupParameters(f"Unknown session “{self.value()}”.")
        return queryset.filter(**{self.session_path: session})


def _database_id(value: str) -> int | None:
    """``value`` as a primary key if it is one written in ASCII digits that a 64-bit column
    holds (``str.isdigit`` alone lets "①" and 30-digit numbers through to the database)."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


class RegistrationSessionFilter(ParallelSessionFilter):
    """Registrations with a sign-up (seat or waitlist place) in one parallel session; the
    changelist's "parallel sessions" column says which."""

    title = gettext_lazy("parallel session (seat or waitlist)")
    session_path = "signups__session"
    forum_parameter = "forum__id__exact"


class CategoryQuotaInline(admin.TabularInline):
    """The most places each participant category may hold (one row per category)."""

    model = CategoryQuota
    fields = ["category", "places"]
    extra = 0


@admin.register(RegistrationSettings)
class RegistrationSettingsAdmin(SafeChangesMixin, admin.ModelAdmin):
    """When a forum's registration opens and closes, its capacity, approval and category quotas.

    After a save, places that became free (capacity or a quota raised, a quota removed)
    go to the waitlist, first come first served, and the organizer is warned about
    settings that save but are probably unintended (``_warn_about_settings``).
    """

    list_display = ["forum", "opens_on", "closes_on", "capacity", "requires_approval", "places_held", "waitlisted"]
    list_select_related = ["forum"]
    ordering = ["-forum__start_date"]
    inlines = [CategoryQuotaInline]
    fields = ["forum", "opens_on", "closes_on", "capacity", "requires_approval"]

    def get_queryset(self, request):
        registrations = "forum__registrations__status"
        return (
            super()
            .get_queryset(request)
            .annotate(
                held=Count("forum__registrations", filter=Q(**{f"{registrations}__in": Registration.HOLDING_PLACES})),
                waiting=Count("forum__registrations", filter=Q(**{registrations: Registration.Status.WAITLISTED})),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        """The forum is chosen when the settings are added; it is their key, so it stays."""
        return ["forum"] if obj is not None else []

    @admin.display(description=gettext_lazy("places held"), ordering="held")
    def places_held(self, settings: RegistrationSettings) -> int:
        return settings.held

    @admin.display(description=gettext_lazy("waitlist"), ordering="waiting")
    def waitlisted(self, settings: RegistrationSettings) -> int:
        return settings.waiting

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _warn_about_settings(request, form.instance)
        _fill_after_commit(request, forums=[form.instance.forum])


def _warn_about_settings(request, settings: RegistrationSettings) -> None:
    """Warn the organizer about saved ``settings`` that are allowed but probably unintended:
    a capacity below the places already held, registration opening or closing after the forum ends."""
    forum = settings.forum
    if settings.capacity is not None:
        held = Registration.objects.filter(forum=forum).holding_places().count()
        if held > settings.capacity:
            message = ngettext(
                "%(held)d place is held, more than the new capacity of %(capacity)d: nobody loses a place; "
                "new registrations are waitlisted until enough cancel.",
                "%(held)d places are held, more than the new capacity of %(capacity)d: nobody loses a place; "
                "new registrations are waitlisted until enough cancel.",
                held,
            )
            messages.warning(request, message % {"held": held, "capacity": settings.capacity})
    last_day = date_format(forum.end_date)  # DATE_FORMAT: "22 January 2020", "22 de enero de 2020"
    if settings.opens_on > forum.end_date:
        messages.warning(request, _("Registration opens after the forum ends (%(day)s).") % {"day": last_day})
    elif settings.closes_on > forum.end_date:
        messages.warning(request, _("Registration closes after the forum ends (%(day)s).") % {"day": last_day})


class SessionSignupInline(ReadOnlyInline):
    """A registration's parallel sessions, read-only (participants sign up on the site)."""

    model = SessionSignup
    fields = ["session", "status", "signed_up"]
    readonly_fields = fields
    ordering = ["session__start"]

    def get_queryset(self, request):
        """Rows with what each prints (its session, its registration's forum) joined."""
        return super().get_queryset(request).select_related("session", "registration__forum")

    @admin.display(description=gettext_lazy("signed up at (forum time)"))
    def signed_up(self, signup: SessionSignup) -> str | None:
        return _forum_time(signup.created_at, signup.registration.forum)


class NotificationInline(ReadOnlyInline):
    """The e-mails owed to a participant, when each was sent and how many deliveries failed
    (``registration.services.MAX_SEND_ATTEMPTS`` of them and it is given up), read-only."""

    model = Notification
    fields = ["kind", "session", "written", "sent", "attempts"]
    readonly_fields = fields

    def get_queryset(self, request):
        """Rows with what each prints (its session, its registration's forum and user) joined."""
        return super().get_queryset(request).select_related("session", "registration__forum", "registration__user")

    @admin.display(description=gettext_lazy("written at (forum time)"))
    def written(self, notification: Notification) -> str | None:
        return _forum_time(notification.created_at, notification.registration.forum)

    @admin.display(description=gettext_lazy("sent at (forum time)"))
    def sent(self, notification: Notification) -> str | None:
        return _forum_time(notification.sent_at, notification.registration.forum)


class RegistrationChangeList(ChangeList):
    """The registrations changelist; the rows of the page come with their sign-ups and sessions
    (one more query, whatever the number of rows). Exports and actions, which read the
    changelist's queryset instead, are left as they are."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = self.result_list.prefetch_related(signups_in_programme_order())


class RegistrationAdminForm(ParticipantDetailsForm):
    """The organizers' form of a registration: the participant's checks, and a category
    change refused when the new category's quota is taken."""

    def clean_category(self) -> str:
        category = self.cleaned_data["category"]
        refusal = services.category_change_refusal(self.instance, category)
        if refusal:
            raise forms.ValidationError(refusal, code="quota_full")
        return category


@admin.register(Registration)
class RegistrationAdmin(SafeChangesMixin, ForumTimeZoneMixin, ExportActionMixin, admin.ModelAdmin):
    """Participants' registrations: filter, search, confirm or decline, export.

    The status is read-only: the actions change it through the services, which send
    the e-mails and promote the waitlist. A category change goes through
    ``services.change_category`` (refused on the form when the new category's quota is
    taken; a freed place goes to the waitlist). Details are checked like on the
    participant's form. Registrations are made by participants, never added here.
    """

    list_display = ["printed_name", "status", "email", "category", "country", "parallel_sessions", "registered"]
    list_filter = ["status", "category", ("country", CountryFilter), "forum", RegistrationSessionFilter]
    list_select_related = ["user", "forum"]
    search_fields = ["printed_name", "user__email", "organization", "city"]
    ordering = ["-created_at", "-pk"]
    actions = ["confirm_selected", "decline_selected"]
    inlines = [SessionSignupInline, NotificationInline]
    readonly_fields = ["forum", "user", "status", "consent", "consent_given", "registered", "last_changed"]
    form = RegistrationAdminForm
    fieldsets = [
        (None, {"fields": ["forum", "user", "status"]}),
        (
            gettext_lazy("Participant"),
            {"fields": list(services.DETAIL_FIELDS)},
        ),
        (gettext_lazy("Consent and history"), {"fields": ["consent", "consent_given", "registered", "last_changed"]}),
    ]
    resource_classes = [RegistrationResource]
    export_formats = [ExcelCSV, base_formats.XLSX]
    export_form_class = ColumnLabelledExportForm

    def forum_for(self, request, obj):
        return obj.forum if obj is not None else None

    def lock_target(self, request, object_id):
        """The forum's registration settings, locked before the registration (the services' lock order)."""
        forum_id = Registration.objects.filter(pk=_database_id(object_id or "")).values_list("forum_id", flat=True)
        return (RegistrationSettings, str(forum_id[0])) if forum_id else None

    def save_model(self, request, obj, form, change):
        """Save the details; a new category through ``services.change_category``."""
        category = obj.category
        if change and "category" in form.changed_data:
            obj.category = form.initial["category"]
        super().save_model(request, obj, form, change)
        if obj.category != category:
            services.change_category(registration=obj, category=category)
            obj.refresh_from_db()

    def has_add_permission(self, request):
        return False

    def get_changelist(self, request, **kwargs):
        return RegistrationChangeList

    def get_actions(self, request):
        """The confirm, decline and export actions; bulk deletion is left out (decline instead)."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=gettext_lazy("e-mail"), ordering="user__email")
    def email(self, registration: Registration) -> str:
        return registration.user.email

    @admin.display(description=gettext_lazy("parallel sessions"))
    def parallel_sessions(self, registration: Registration) -> str:
        """The registration's parallel sessions in programme order, "(waitlist)" after those it waits for."""
        return session_titles(registration.signups.all())

    @admin.display(description=gettext_lazy("registered (forum time)"), ordering="created_at")
    def registered(self, registration: Registration) -> str | None:
        return _forum_time(registration.created_at, registration.forum)

    @admin.display(description=gettext_lazy("consent given at (forum time)"))
    def consent_given(self, registration: Registration) -> str | None:
        return _forum_time(registration.consented_at, registration.forum)

    @admin.display(description=gettext_lazy("last changed (forum time)"))
    def last_changed(self, registration: Registration) -> str | None:
        return _forum_time(registration.updated_at, registration.forum)

    @admin.action(description=gettext_lazy("Confirm selected registrations"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        self._decide(request, queryset, services.confirm_registration, CONFIRMED)

    @admin.action(description=gettext_lazy("Decline selected registrations"), permissions=["change"])
    def decline_selected(self, request, queryset):
        """Ask for confirmation on an intermediate page, then decline each registration."""
        if request.POST.get("post") == "yes":
            self._decide(request, queryset, services.decline_registration, DECLINED)
            return None
        registrations = list(queryset.select_related("user"))
        count = len(registrations)
        holding = sum(r.status in Registration.HOLDING_PLACES for r in registrations)
        freed = ngettext(
            "Declining frees %(count)d place, and any seats in parallel sessions, for the waitlisted participants.",
            "Declining frees %(count)d places, and any seats in parallel sessions, for the waitlisted participants.",
            holding,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": ngettext("Decline this registration?", "Decline these %(count)d registrations?", count)
            % {"count": count},
            "notice": ngettext(
                "Its participant receives an e-mail saying so.", "Each participant receives an e-mail saying so.", count
            ),
            "freed": freed % {"count": holding} if holding else "",
            "confirm": ngettext("Yes, decline it", "Yes, decline them", count),
            "opts": self.opts,
            "registrations": registrations,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/registration/decline_confirmation.html", context)

    def _decide(self, request, queryset: QuerySet, decide: Callable[..., bool], texts: DecisionTexts) -> None:
        """Apply ``decide`` (a service) to each registration, oldest first, and report the outcome.

        The whole action is one transaction. A registration its rule refuses
        (``RegistrationError``, e.g. the forum is full) is left as it was, in its own
        savepoint, and the others are decided; a write the database refuses (a lock wait,
        a deadlock) undoes them all and reaches ``forum.middleware.AdminWriteRefusedMiddleware``.
        The e-mails are queued once it commits. The organizer is told (in ``texts``) how
        many were decided, how many already were, and which were refused (by name and
        e-mail address) and why.
        """
        done = unchanged = 0
        refused: dict[str, list[str]] = defaultdict(list)
        with transaction.atomic():
            for registration in queryset.select_related("forum", "user").order_by("created_at", "pk"):
                try:
                    changed = decide(registration=registration)
                except services.RegistrationError as error:
                    refused[error.message].append(f"{registration.printed_name} ({registration.user.email})")
                    continue
                done, unchanged = done + changed, unchanged + (not changed)
        if done:
            messages.success(request, texts.done % {"count": done})
        if unchanged:
            messages.info(request, texts.unchanged % {"count": unchanged})
        for reason, names in refused.items():
            messages.error(request, texts.refused % {"names": ", ".join(names), "reason": reason})

    def delete_model(self, request, obj):
        self.delete_queryset(request, Registration.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Delete, then give the freed places and session seats to the waitlists."""
        forums = list(Forum.objects.filter(registrations__in=queryset).distinct())
        sessions = list(Session.objects.filter(CONFIRMED_SEAT, signups__registration__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        _fill_after_commit(request, forums=forums, sessions=sessions)


@admin.register(SessionSignup)
class SessionSignupAdmin(admin.ModelAdmin):
    """Who signed up for each parallel session, read-only; links to each session's attendance list.

    Deleting a sign-up takes the participant out of the session through the services,
    so the freed seat goes to the session's waitlist; the organizer is then back on the
    list of sign-ups.
    """

    list_display = ["participant", "organization", "session", "status", "signed_up", "attendance_list"]
    list_filter = ["status", ParallelSessionFilter, "session__forum"]
    list_select_related = ["registration", "session__forum"]
    fields = ["registration", "session", "status", "signed_up"]
    readonly_fields = ["signed_up"]
    search_fields = ["registration__printed_name", "registration__user__email", "registration__organization"]
    ordering = ["session__start", "session__title", "status", "registration__printed_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("participant"), ordering="registration__printed_name")
    def participant(self, signup: SessionSignup) -> str:
        return signup.registration.printed_name

    @admin.display(description=gettext_lazy("organization"), ordering="registration__organization")
    def organization(self, signup: SessionSignup) -> str:
        return signup.registration.organization

    @admin.display(description=gettext_lazy("signed up at (forum time)"), ordering="created_at")
    def signed_up(self, signup: SessionSignup) -> str | None:
        return _forum_time(signup.created_at, signup.session.forum)

    @admin.display(description=gettext_lazy("attendance list"))
    def attendance_list(self, signup: SessionSignup) -> str:
        url = reverse("admin:registration_sessionsignup_attendance", args=[signup.session_id])
        return format_html('<a href="{}">{}</a>', url, _("Attendance list"))

    def delete_model(self, request, obj):
        services.session_leave(registration=obj.registration, session=obj.session)

    def delete_queryset(self, request, queryset):
        for signup in queryset.select_related("registration", "session"):
            services.session_leave(registration=signup.registration, session=signup.session)

    def response_delete(self, request, obj_display, obj_id):
        """Back to the list of sign-ups (with its filters) after a deletion.

        Django sends users without the change permission, which nobody has here (sign-ups
        are read-only), to the admin's index instead.
        """
        response = super().response_delete(request, obj_display, obj_id)
        if not isinstance(response, HttpResponseRedirect) or not self.has_view_permission(request):
            return response
        changelist = reverse("admin:registration_sessionsignup_changelist", current_app=self.admin_site.name)
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(add_preserved_filters(context, changelist))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("attendance/", view(self.attendance_index_view), name="registration_sessionsignup_attendance_index"),
            path(
                "attendance/<int:session_id>/",
                view(self.attendance_view),
                name="registration_sessionsignup_attendance",
            ),
            path(
                "attendance/<int:session_id>/csv/",
                view(self.attendance_csv_view),
                name="registration_sessionsignup_attendance_csv",
            ),
            *super().get_urls(),
        ]

    def attendance_index_view(self, request):
        """The parallel sessions with their seats taken, capacity and waitlist, each linking to its list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        sessions = (
            Session.objects.filter(kind=Session.Kind.PARALLEL)
            .select_related("forum", "room")
            .annotate(taken=Count("signups", filter=CONFIRMED_SEAT), waiting=Count("signups", filter=WAITLISTED_SEAT))
            .order_by("-forum__start_date", "forum", "start", "title")
        )
        capacity = services.session_capacity
        rows = [
            (session, *local_day_and_times(session.start, session.end, session.forum), capacity(session))
            for session in sessions
        ]
        context = {**self.admin_site.each_context(request), "title": _("Attendance lists"), "opts": self.opts}
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/registration/attendance_index.html", {**context, "rows": rows})

    def attendance_view(self, request, session_id: int):
        """A session's attendance sheet, ready to print: its seats, then its waitlist in order."""
        session, confirmed, waitlist = self._attendance(request, session_id)
        day, times = local_day_and_times(session.start, session.end, session.forum)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Attendance list: %(title)s") % {"title": session.title},
            "opts": self.opts,
            "session": session,
            "day": day,
            "times": times,
            "capacity": services.session_capacity(session),
            "confirmed": confirmed,
            "waitlist": waitlist,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/registration/attendance.html", context)

    def attendance_csv_view(self, request, session_id: int):
        """The attendance list as CSV for Excel (UTF-8 with a byte-order mark): one row per
        participant, each cell made safe by ``neutralize``."""
        session, confirmed, waitlist = self._attendance(request, session_id)
        response = HttpResponse(content_type=ExcelCSV.CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="attendance-{slugify(session.title)[:60]}.csv"'
        response.write("\ufeff")  # the byte-order mark, encoded as UTF-8 like the rest
        writer = csv.writer(response)
        writer.writerow(
            [
                _("List"),
                pgettext("row number", "No."),
                _("Name"),
                _("Organization"),
                _("Country"),
                _("Signature"),
            ]
        )
        seat, waitlist_label = _("Seat"), _("Waitlist")
        for number, signup in enumerate(confirmed, start=1):
            writer.writerow([seat, number, *_attendance_cells(signup), ""])
        for position, signup in enumerate(waitlist, start=1):
            writer.writerow([waitlist_label, position, *_attendance_cells(signup), ""])
        return response

    def _attendance(self, request, session_id: int) -> tuple[Session, list[SessionSignup], list[SessionSignup]]:
        """The session, its seated participants by name and its waitlist in order (two queries)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("forum", "room"), pk=session_id)
        signups = list(
            session.signups.select_related("registration").order_by(
                Lower("registration__printed_name"), "waitlisted_at", "pk"
            )
        )
        confirmed = [signup for signup in signups if signup.status == SessionSignup.Status.CONFIRMED]
        waitlist = sorted(
            (signup for signup in signups if signup.status == SessionSignup.Status.WAITLISTED),
            key=lambda signup: (signup.waitlisted_at, signup.pk),
        )
        return session, confirmed, waitlist


def _attendance_cells(signup: SessionSignup) -> list[str]:
    """Name, organization and country of ``signup``'s participant, safe for a spreadsheet."""
    registration = signup.registration
    values = (registration.printed_name, registration.organization, registration.country.name)
    return [neutralize(value) for value in values]
