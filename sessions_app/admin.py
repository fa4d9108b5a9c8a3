"""Admin for organizers: themes, sessions with their concept-note sections, agendas.

Times are stored in UTC and shown and entered in the forum's own time zone: the change
forms of sessions and agenda items run with that zone activated, and the change lists
format each row's times with its forum's zone. Validation lives in the models'
``clean()`` and in ``sessions_app.forms``; nothing here changes data by itself.
Autocomplete fields use ``forum.admin.KeyCheckingAutocompleteMixin``'s widgets.

Generated PDF documents are read-only here: organizers see their status and errors,
download a ready one, and "regenerate" selected ones (``services.document_retry``).

Recommendations documents are read-only here too: organizers read the content and its
history, compare two versions ("Differences"), and publish submitted documents or return
them to their rapporteurs with a comment (``recommendation_services``).
"""

from contextlib import nullcontext
from datetime import date, datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from forum.admin import KeyCheckingAutocompleteMixin, ReadOnlyInline, SafeChangesMixin, ViewOnlyMixin
from forum.models import Forum
from sessions_app.document_views import pdf_attachment
from sessions_app.forms import (
    AgendaItemAdminForm,
    AgendaItemInlineFormSet,
    KeyQuestionInlineFormSet,
    ReferenceInlineFormSet,
    SessionOrganizerInlineFormSet,
    SpeakerRoleInlineFormSet,
)
from sessions_app.models import (
    AgendaItem,
    GeneratedDocument,
    KeyQuestion,
    Reference,
    Session,
    SessionOrganizer,
    SpeakerRole,
    Theme,
)
from sessions_app.recommendation_services import (
    RecommendationsError,
    is_organizer,
    publish,
    return_to_draft,
    version_diff,
)
from sessions_app.recommendations import Recommendation, RecommendationsDocument, RecommendationsVersion
from sessions_app.release_texts import forum_sessions, session_changes
from sessions_app.releases import ProgrammeRelease
from sessions_app.services import document_retry

TIME_FIELDS = ("start", "end")
CAPACITY_HELP = gettext_lazy(
    "Seats for participants of a parallel session; blank uses the room's capacity "
    "(no limit if there is no room or the room has no capacity)."
)


def _forum_by_pk(value: str | None) -> Forum | None:
    """The forum whose primary key is ``value`` (as posted), or None if there is none."""
    if not value or not str(value).isdigit():
        return None
    return Forum.objects.filter(pk=value).first()


def _forum_of_session(value: str | None) -> Forum | None:
    """The forum of the session whose primary key is ``value`` (as posted), or None."""
    if not value or not str(value).isdigit():
        return None
    return Forum.objects.filter(sessions__pk=value).first()


def _only_forum() -> Forum | None:
    """The forum if exactly one exists, else None."""
    forums = list(Forum.objects.all()[:2])
    return forums[0] if len(forums) == 1 else None


def time_zone_help(forum: Forum | None) -> str:
    """Help text naming the zone in which a form's times are shown and read."""
    if forum is None:
        return _("Times in the chosen forum's time zone.")
    return _("Times in %(zone)s (the forum's time zone).") % {"zone": forum.time_zone}


def local_day_and_times(start: datetime, end: datetime, forum: Forum) -> tuple[str, str]:
    """``start``–``end`` (aware) in ``forum``'s zone, as ("Wed 22 Jan 2020", "14:00–16:30")."""
    local_start, local_end = start.astimezone(forum.tzinfo), end.astimezone(forum.tzinfo)
    return date_format(local_start, "SHORT_WEEKDAY_DATE_FORMAT"), f"{local_start:%H:%M}–{local_end:%H:%M}"


def _label_time_fields(form_class, forum: Forum | None) -> None:
    """Put the forum's zone in the help text of ``form_class``'s start and end fields."""
    for name in TIME_FIELDS:
        if name in form_class.base_fields:
            form_class.base_fields[name].help_text = time_zone_help(forum)


class ForumTimeZoneMixin:
    """Shows and reads a change form's times in the forum's time zone.

    Subclasses implement ``forum_for(request, obj)`` and may override
    ``narrow_choices(form_class, forum)``. The response is rendered inside
    the activated zone, because a ``TemplateResponse`` formats its values only when it
    is rendered, after ``changeform_view`` returns.
    """

    def forum_for(self, request, obj) -> Forum | None:
        """The forum whose zone the form for ``obj`` (None when adding) uses, or None if unknown."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        forum = self.forum_for(request, obj)
        with timezone.override(forum.tzinfo) if forum else nullcontext():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        forum = self.forum_for(request, obj)
        _label_time_fields(form, forum)
        if forum is not None:
            self.narrow_choices(form, forum)
        return form

    def narrow_choices(self, form_class, forum: Forum) -> None:
        """Limit ``form_class``'s choices to ``forum``'s rows; by default, change nothing."""


def session_form_forum(request, session: Session | None) -> Forum | None:
    """The forum whose zone a session form uses: the one posted, else the session's,
    else ``?forum=`` in the URL, else the only forum; None if none of these is known."""
    if request.method == "POST" and "forum" in request.POST:
        return _forum_by_pk(request.POST["forum"])
    if session is not None:
        return session.forum
    return _forum_by_pk(request.GET.get("forum")) or _only_forum()


def agenda_item_form_forum(request, item: AgendaItem | None) -> Forum | None:
    """The forum whose zone an agenda item form uses: the posted session's, else the
    item's, else that of ``?session=`` in the URL, else the only forum; or None."""
    if request.method == "POST" and "session" in request.POST:
        return _forum_of_session(request.POST["session"])
    if item is not None:
        return item.session.forum
    return _forum_of_session(request.GET.get("session")) or _only_forum()


def _value_of(model, pk: str | None, field: str):
    """``field`` of ``model``'s row ``pk`` (as posted or in the URL), or None if there is no such row."""
    try:
        key = model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    return model.objects.filter(pk=key).values_list(field, flat=True).first() if key is not None else None


class ForumDayFilter(admin.SimpleListFilter):
    """Filter rows by the calendar day, in the forum's time zone, on which they start.

    Lists every day of the forums in view (of the forum chosen in the forum filter, if
    any). ``forum_path`` is the lookup path from the model to its forum.
    """

    title = gettext_lazy("day")
    parameter_name = "day"
    forum_path = "forum"

    def lookups(self, request, model_admin):
        forums = Forum.objects.only("start_date", "end_date")
        chosen = request.GET.get(f"{self.forum_path}__id__exact", "")
        if chosen.isdigit():
            forums = forums.filter(pk=chosen)
        days = set()
        for forum in forums:
            days.update(forum.days)
        return [(day.isoformat(), date_format(day, "SHORT_WEEKDAY_DATE_FORMAT")) for day in sorted(days)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            day = date.fromisoformat(self.value())
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        on_day = Q(pk__in=[])
        for forum in Forum.objects.filter(start_date__lte=day, end_date__gte=day):
            opens, closes = forum.day_bounds(day)
            on_day |= Q(**{self.forum_path: forum, "start__gte": opens, "start__lt": closes})
        return queryset.filter(on_day)


class AgendaDayFilter(ForumDayFilter):
    """The day filter for agenda items, whose forum is their session's."""

    forum_path = "session__forum"


@admin.register(Theme)
class ThemeAdmin(SafeChangesMixin, TranslationAdmin):
    """Themes under which a forum's parallel sessions are grouped."""

    list_display = ["title", "forum", "order"]
    list_filter = ["forum"]
    list_select_related = ["forum"]
    search_fields = ["title"]
    ordering = ["forum", "order"]


class KeyQuestionInline(TranslationTabularInline):
    """A session's key questions, in their numbered order."""

    model = KeyQuestion
    formset = KeyQuestionInlineFormSet
    fields = ["order", "text"]
    ordering = ["order"]
    extra = 0


class ReferenceInline(admin.TabularInline):
    """The numbered footnotes cited as ``[^N]`` in a session's context."""

    model = Reference
    formset = ReferenceInlineFormSet
    fields = ["number", "citation"]
    ordering = ["number"]
    extra = 0
    verbose_name = gettext_lazy("footnote")
    verbose_name_plural = gettext_lazy("footnotes")


class SessionOrganizerInline(KeyCheckingAutocompleteMixin, admin.TabularInline):
    """The organizations that organize or coordinate a session."""

    model = SessionOrganizer
    formset = SessionOrganizerInlineFormSet
    fields = ["order", "organization", "role"]
    ordering = ["order"]
    autocomplete_fields = ["organization"]
    extra = 0


class AgendaItemInline(TranslationTabularInline):
    """A session's agenda, checked as a whole; each row links to its speaker roles."""

    model = AgendaItem
    formset = AgendaItemInlineFormSet
    fields = ["order", "start", "end", "title"]
    ordering = ["order"]
    extra = 0
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        _label_time_fields(formset.form, session_form_forum(request, obj))
        return formset


@admin.register(Session)
class SessionAdmin(SafeChangesMixin, ForumTimeZoneMixin, TranslationAdmin):
    """Sessions with every section of their concept note and their agenda, in the forum's zone."""

    list_display = ["title", "forum", "kind", "theme", "day", "times", "room", "is_cancelled"]
    list_filter = ["forum", "kind", "theme", "is_cancelled", ForumDayFilter]
    list_select_related = ["forum", "theme", "room"]
    search_fields = ["title", "slug"]
    ordering = ["forum", "start", "title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SessionOrganizerInline, ReferenceInline, KeyQuestionInline, AgendaItemInline]
    fieldsets = [
        (None, {"fields": ["forum", "kind", "theme", "title", "is_cancelled"]}),
        (gettext_lazy("Time and place"), {"fields": ["start", "end", ("room", "capacity")]}),
        (gettext_lazy("Concept note"), {"fields": ["objective", "context", "methodology", "expected_result"]}),
        (gettext_lazy("Advanced"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]

    def forum_for(self, request, obj):
        return session_form_forum(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The capacity's help text says where the seats come from when it is left blank."""
        if db_field.name == "capacity":
            kwargs["help_text"] = str(CAPACITY_HELP)  # in the language of the request
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def lock_target(self, request, object_id):
        """The session's forum (the one posted, else its own).

        Rooms and people are checked against the forum's other sessions, so saves that
        touch one forum's programme run one after the other and each sees the last.
        """
        posted = request.POST.get("forum")
        if posted:
            return Forum, posted
        return Forum, _value_of(Session, object_id, "forum_id")

    def narrow_choices(self, form_class, forum):
        form_class.base_fields["theme"].queryset = forum.themes.all()
        form_class.base_fields["room"].queryset = forum.rooms.all()

    @admin.display(description=gettext_lazy("day (forum time)"), ordering="start")
    def day(self, session: Session) -> str:
        return local_day_and_times(session.start, session.end, session.forum)[0]

    @admin.display(description=gettext_lazy("time (forum time)"), ordering="start")
    def times(self, session: Session) -> str:
        return local_day_and_times(session.start, session.end, session.forum)[1]


class SpeakerRoleInline(KeyCheckingAutocompleteMixin, admin.TabularInline):
    """The people and named groups of an agenda item, in their printed order."""

    model = SpeakerRole
    formset = SpeakerRoleInlineFormSet
    fields = ["order", "role", "person", "group_name", "position", "affiliation", "organization"]
    ordering = ["order"]
    autocomplete_fields = ["person", "organization"]
    extra = 1


@admin.register(AgendaItem)
class AgendaItemAdmin(SafeChangesMixin, KeyCheckingAutocompleteMixin, ForumTimeZoneMixin, TranslationAdmin):
    """One agenda item with its speaker roles, in the forum's zone."""

    form = AgendaItemAdminForm
    list_display = ["title", "session", "order", "day", "times"]
    list_filter = ["session__forum", "session__kind", "session__theme", AgendaDayFilter]
    list_select_related = ["session__forum"]
    search_fields = ["title", "session__title"]
    ordering = ["session__start", "session", "order"]
    autocomplete_fields = ["session"]
    inlines = [SpeakerRoleInline]
    fields = ["session", "order", "start", "end", "title"]

    def forum_for(self, request, obj):
        return agenda_item_form_forum(request, obj)

    def lock_target(self, request, object_id):
        """The forum of the posted session, else of the item's own (see ``SessionAdmin.lock_target``)."""
        posted = request.POST.get("session")
        if posted:
            return Forum, _value_of(Session, posted, "forum_id")
        return Forum, _value_of(AgendaItem, object_id, "session__forum_id")

    @admin.display(description=gettext_lazy("day (forum time)"), ordering="start")
    def day(self, item: AgendaItem) -> str:
        return local_day_and_times(item.start, item.end, item.session.forum)[0]

    @admin.display(description=gettext_lazy("time (forum time)"), ordering="start")
    def times(self, item: AgendaItem) -> str:
        return local_day_and_times(item.start, item.end, item.session.forum)[1]


ERROR_EXCERPT_CHARACTERS = 80

# What "Regenerate selected documents" reports, for a number of documents (``count``).
QUEUED_AGAIN = ngettext_lazy(
    # Translators: the English keeps "document(s)" for any number; give your language's plural forms.
    "%(count)d document(s) queued for rendering again.",
    "%(count)d document(s) queued for rendering again.",
    "count",
)
LEFT_ALONE = ngettext_lazy(
    # Translators: the English keeps "document(s)" for any number; give your language's plural forms.
    "%(count)d document(s) being rendered right now were left alone.",
    "%(count)d document(s) being rendered right now were left alone.",
    "count",
)


def _timestamp(moment: datetime) -> str:
    """``moment`` (aware) in the current time zone, e.g. "Wed 22 Jan 2020 14:03:05"."""
    return date_format(timezone.localtime(moment), pgettext("document time, Django date format", "D j M Y H:i:s"))


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Generated PDFs, read-only: status, timings and errors, a download link, and "regenerate".

    Nothing can be added, edited or deleted here. The "regenerate" action needs the
    change permission on generated documents; the download needs the view permission.
    """

    list_display = [
        "__str__",
        "kind",
        "forum",
        "session",
        "status",
        "render_time",
        "created",
        "updated",
        "error_excerpt",
        "download",
    ]
    list_filter = ["kind", "status", "forum"]
    list_select_related = ["forum", "session"]
    ordering = ["-created_at"]
    actions = ["regenerate"]
    fields = [
        "kind",
        "forum",
        "session",
        "status",
        "content_hash",
        "file",
        "render_seconds",
        "render_started_at",
        "created_at",
        "updated_at",
        "error",
    ]

    def has_regenerate_permission(self, request) -> bool:
        """Whether ``request.user`` may regenerate documents: the change permission on them."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def get_urls(self):
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, object_id: str) -> FileResponse:
        """The PDF of READY document ``object_id`` as an attachment. 404 if it is not ready or its
        file is missing; 403 without the view permission."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = self.get_object(request, unquote(object_id))
        if document is None or not document.has_pdf():
            raise Http404(_("This document has no PDF to download."))
        return pdf_attachment(document)

    @admin.action(description=gettext_lazy("Regenerate selected documents"), permissions=["regenerate"])
    def regenerate(self, request, queryset) -> None:
        """Queue the selected documents for rendering again, READY ones included (their file is
        replaced); documents being rendered right now by a live worker are left alone."""
        queued = busy = 0
        with transaction.atomic():
            for document in queryset.select_related(None):
                if document_retry(document=document, force=True).status == GeneratedDocument.Status.QUEUED:
                    queued += 1
                else:
                    busy += 1
        self.message_user(request, QUEUED_AGAIN % {"count": queued}, messages.SUCCESS)
        if busy:
            self.message_user(request, LEFT_ALONE % {"count": busy}, messages.WARNING)

    @admin.display(description=gettext_lazy("render time"), ordering="render_seconds")
    def render_time(self, document: GeneratedDocument) -> str:
        return "—" if document.render_seconds is None else f"{document.render_seconds:.2f} s"

    @admin.display(description=gettext_lazy("created"), ordering="created_at")
    def created(self, document: GeneratedDocument) -> str:
        return _timestamp(document.created_at)

    @admin.display(description=gettext_lazy("updated"), ordering="updated_at")
    def updated(self, document: GeneratedDocument) -> str:
        return _timestamp(document.updated_at)

    @admin.display(description=gettext_lazy("error"))
    def error_excerpt(self, document: GeneratedDocument) -> str:
        return Truncator(document.error).chars(ERROR_EXCERPT_CHARACTERS)

    @admin.display(description=gettext_lazy("PDF"))
    def download(self, document: GeneratedDocument) -> str:
        if document.status != GeneratedDocument.Status.READY or not document.file:
            return "—"
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_download", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class RecommendationInline(ReadOnlyInline):
    """A document's recommendations in their order, read-only."""

    model = Recommendation
    fields = ["order", "key_question", "level", "text_en", "text_es", "actors_en", "actors_es"]
    readonly_fields = fields
    ordering = ["order"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("key_question")


class RecommendationsVersionInline(ReadOnlyInline):
    """A document's history, newest first: who changed it, when, how, and a link to the differences."""

    model = RecommendationsVersion
    verbose_name_plural = gettext_lazy("history")
    fields = ["number", "event", "created_by", "created_at", "comment", "differences"]
    readonly_fields = fields
    ordering = ["-number"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    @admin.display(description=gettext_lazy("differences"))
    def differences(self, version: RecommendationsVersion) -> str:
        """A link to the differences from the previous version (none for the first)."""
        if version.number == 1:
            return "—"
        opts = RecommendationsDocument._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_diff", args=[version.document_id])
        return format_html('<a href="{}?from={}&amp;to={}">{}</a>', url, version.number - 1, version.number, _("Show"))


# What the review actions report, for a number of documents (``count``).
# Translators: the English keeps "document(s)" for any number; give your language's plural forms.
PUBLISHED = ngettext_lazy("%(count)d document(s) published.", "%(count)d document(s) published.", "count")
RETURNED = ngettext_lazy(
    # Translators: the English keeps "document(s)" for any number; give your language's plural forms.
    "%(count)d document(s) returned to their rapporteurs.",
    "%(count)d document(s) returned to their rapporteurs.",
    "count",
)


@admin.register(RecommendationsDocument)
class RecommendationsDocumentAdmin(ViewOnlyMixin, ForumTimeZoneMixin, admin.ModelAdmin):
    """Sessions' recommendations documents, for review: read-only content and history,
    "Differences" between two versions, and the actions "Publish" and "Return to rapporteurs".

    Rapporteurs write the content (``recommendation_services.save_draft``), so nothing is
    edited, added or deleted here and no save can overwrite their text. The actions need
    the change permission on recommendations documents (``is_organizer``).
    """

    list_display = ["session", "forum", "status", "version", "updated"]
    list_filter = ["status", "session__forum"]
    list_select_related = ["session__forum"]
    search_fields = ["session__title"]
    ordering = ["session__start", "session__title"]
    actions = ["publish_selected", "return_selected"]
    fieldsets = [
        (None, {"fields": ["session", "status", "version", "return_comment"]}),
        (
            gettext_lazy("Content"),
            {"fields": ["introduction_en", "introduction_es", "conclusions_en", "conclusions_es", "contributors"]},
        ),
        (gettext_lazy("Changes"), {"fields": ["updated_at", "updated_by", "published_at"]}),
    ]
    readonly_fields = [
        "session",
        "status",
        "version",
        "return_comment",
        "introduction_en",
        "introduction_es",
        "conclusions_en",
        "conclusions_es",
        "contributors",
        "updated_at",
        "updated_by",
        "published_at",
    ]
    inlines = [RecommendationInline, RecommendationsVersionInline]

    def forum_for(self, request, obj):
        return obj.session.forum if obj else None

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session__forum", "updated_by")

    def has_review_permission(self, request) -> bool:
        """Whether ``request.user`` may publish and return documents (``is_organizer``)."""
        return is_organizer(request.user)

    def get_urls(self):
        diff = path(
            "<path:object_id>/diff/",
            self.admin_site.admin_view(self.diff_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_diff",
        )
        return [diff, *super().get_urls()]

    def diff_view(self, request, object_id: str) -> TemplateResponse:
        """The differences between versions ``?from=N`` and ``?to=M`` of document ``object_id``
        (default: the latest version and the one before it), as a unified diff in a ``<pre>``, times
        in the forum's zone.
        403 without the view permission; 404 for an unknown document or version number."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = self.get_object(request, unquote(object_id))
        if document is None:
            raise Http404(_("No such recommendations document."))
        newer_number = _version_number(request.GET.get("to"), default=document.version)
        older_number = _version_number(request.GET.get("from"), default=max(newer_number - 1, 1))
        versions = {version.number: version for version in document.versions.select_related("created_by")}
        if older_number not in versions or newer_number not in versions:
            raise Http404(_("This document has no such version."))
        lines = version_diff(versions[older_number], versions[newer_number])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Differences: %(title)s") % {"title": document.session.title},
            "opts": self.opts,
            "document": document,
            "older": versions[older_number],
            "newer": versions[newer_number],
            "versions": [versions[number] for number in sorted(versions)],
            "lines": [(_diff_class(line), line) for line in lines],
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/sessions_app/recommendationsdocument/diff.html", context)
        with timezone.override(document.session.forum.tzinfo):
            return response.render()

    @admin.action(description=gettext_lazy("Publish selected documents"), permissions=["review"])
    def publish_selected(self, request, queryset) -> None:
        """Publish each selected document that is submitted for review; say which were refused and why."""
        self._review(request, queryset, lambda document: publish(document=document, user=request.user), PUBLISHED)

    @admin.action(description=gettext_lazy("Return selected documents to their rapporteurs"), permissions=["review"])
    def return_selected(self, request, queryset):
        """Ask for a comment on an intermediate page, then return each selected document with it."""
        comment = request.POST.get("comment", "").strip()
        if request.POST.get("post") == "yes" and comment:
            self._review(
                request,
                queryset,
                lambda document: return_to_draft(document=document, user=request.user, comment=comment),
                RETURNED,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Return to the rapporteurs"),
            "opts": self.opts,
            "documents": list(queryset.select_related("session")),
            "comment": comment,
            "missing_comment": request.POST.get("post") == "yes",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sessions_app/recommendationsdocument/return_to_draft.html", context)

    def _review(self, request, queryset, step, done_message) -> None:
        """Apply ``step`` (a service call) to each document and report how many were done
        (``done_message``, a lazy plural message taking ``count``) and, per reason, which
        sessions' documents were refused.

        The whole action is one transaction: a document the service refuses
        (``RecommendationsError``) is left as it was, in its own savepoint, and the others
        are done; a write the database refuses undoes them all and reaches
        ``forum.middleware.AdminWriteRefusedMiddleware``."""
        done = 0
        refused: dict[str, list[str]] = {}
        with transaction.atomic():
            for document in queryset.select_related("session").order_by("session__start", "session__title"):
                try:
                    step(document)
                except RecommendationsError as error:
                    refused.setdefault(error.message, []).append(document.session.title)
                    continue
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for reason, titles in refused.items():
            self.message_user(
                request,
                _("%(reason)s Left unchanged: %(titles)s.") % {"reason": reason, "titles": ", ".join(titles)},
                messages.WARNING,
            )

    @admin.display(description=gettext_lazy("forum"), ordering="session__forum__start_date")
    def forum(self, document: RecommendationsDocument) -> str:
        return str(document.session.forum)

    @admin.display(description=gettext_lazy("updated (forum time)"), ordering="updated_at")
    def updated(self, document: RecommendationsDocument) -> str:
        return date_format(
            document.updated_at.astimezone(document.session.forum.tzinfo), "SHORT_WEEKDAY_DATETIME_FORMAT"
        )


def _version_number(value: str | None, *, default: int) -> int:
    """``value`` (a query parameter) as a version number, ``default`` if absent; 404 if it is not one."""
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise Http404(_("A version is given by its number."))
    return int(value)


def _diff_class(line: str) -> str:
    """The CSS class of a unified-diff line: "added", "removed" or "" (context and headers)."""
    if line.startswith(("+++", "---")):
        return ""
    return {"+": "added", "-": "removed"}.get(line[:1], "")


@admin.register(ProgrammeRelease)
class ProgrammeReleaseAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Released versions of the forums' programmes, read-only: who released which version
    when, its note and its changes in words (times in the forum's zone)."""

    list_display = ["forum", "number", "released", "released_by", "change_count"]
    list_filter = ["forum"]
    list_select_related = ["forum", "released_by"]
    ordering = ["forum", "-number"]
    fields = ["forum", "number", "released", "released_by", "note", "changes_in_words"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("snapshot")

    @admin.display(description=gettext_lazy("released (forum time)"), ordering="released_at")
    def released(self, release: ProgrammeRelease) -> str:
        return date_format(release.released_at.astimezone(release.forum.tzinfo), "SHORT_WEEKDAY_DATETIME_FORMAT")

    @admin.display(description=gettext_lazy("changes"))
    def change_count(self, release: ProgrammeRelease) -> int:
        return len(release.changes)

    @admin.display(description=gettext_lazy("changes in words"))
    def changes_in_words(self, release: ProgrammeRelease) -> str:
        """The release's changes by session, one line a change."""
        forum = release.forum
        groups = session_changes(release.changes, forum.tzinfo, forum_sessions(forum))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong><ul>{}</ul></li>",
                (
                    (group.title, format_html_join("", "<li>{}</li>", ((line,) for line in group.lines)))
                    for group in groups
                ),
            ),
        )
