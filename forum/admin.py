"""Admin for organizers: forums with their rooms, organizations, people and user accounts.

Organizations and people are searchable, so every form that picks one (host
organizations, a person's organization, session organizers, speaker roles) uses an
autocomplete widget instead of a long select; ``KeyCheckingAutocompleteMixin`` makes
those widgets ignore a posted or ``?field=`` value that is not a valid key.
"""

from collections import defaultdict
from itertools import count

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminFileWidget, AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin

from forum import caching, photos
from forum.db_errors import is_write_refusal
from forum.formsets import LiveFormsInlineFormSet
from forum.invitations import InvitationError, invite_rapporteur
from forum.models import ROOM_NAME_TAKEN, Forum, Organization, Person, Room, User, place_time_zones
from sessions_app.frab.admin_views import frab_import_urls
from sessions_app.models import SpeakerRole
from sessions_app.recommendation_services import RAPPORTEUR_ROLES
from sessions_app.release_admin import release_programme_action

TIME_ZONE_CHOICES = [(name, name) for name in sorted(place_time_zones())]


class _ValidKeysOnly:
    """For autocomplete widgets: render only the values that are valid keys of the related model.

    Django's widget looks its selected values up in the database to print their labels,
    and a value such as "abc" for an integer key raises ``ValueError`` there (a 500).
    Values that the key field cannot convert, or that lie outside its range, are left
    out of the rendering; the form field still refuses them ("Select a valid choice").
    """

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        key_field = opts.get_field(getattr(remote, "field_name", opts.pk.attname))
        return super().optgroups(name, [item for item in value if _is_valid_key(key_field, item)], attr)


def _is_valid_key(key_field: models.Field, value) -> bool:
    """True when ``value`` converts to a value of ``key_field`` within its validators' range."""
    try:
        key_field.run_validators(key_field.to_python(value))
    except ValidationError:
        return False
    return True


class KeyCheckingAutocompleteSelect(_ValidKeysOnly, AutocompleteSelect):
    """An ``AutocompleteSelect`` that renders a value which is not a valid key as no choice."""


class KeyCheckingAutocompleteSelectMultiple(_ValidKeysOnly, AutocompleteSelectMultiple):
    """An ``AutocompleteSelectMultiple`` that leaves out values which are not valid keys."""


class KeyCheckingAutocompleteMixin:
    """For a ``ModelAdmin`` or an inline: its ``autocomplete_fields`` use the key-checking widgets."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckingAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckingAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


CONCURRENT_SAVE_MESSAGE = gettext_lazy(
    "Another save changed the same rows at the same moment (perhaps a second click on Save), "
    "so nothing was saved. This is the page as it is now: make your change again."
)


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows and offers no way to add, change or delete them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ViewOnlyMixin:
    """For a ``ModelAdmin`` of rows the application writes: they can be listed and viewed,
    never added, changed or deleted in the admin (actions and custom views may still act)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SafeChangesMixin:
    """For a ``ModelAdmin``: saves that cannot clash.

    A POST to an add or change page runs in one transaction that first locks the row
    whose lists it edits (``lock_target``: the object itself by default), so two saves of
    the same lists (a double click on Save, two tabs) run one after the other and the
    second is validated against what the first stored. If the database still refuses
    the save (an ``IntegrityError`` that ``forum.db_errors.is_write_refusal`` accepts: a
    unique, check or foreign-key constraint), nothing is saved and the page is shown again
    with ``CONCURRENT_SAVE_MESSAGE`` instead of a 500; any other error (a NOT NULL bug)
    is Django's 500.
    """

    def lock_target(self, request, object_id: str | None) -> tuple[type[models.Model], str] | None:
        """(model, primary key) of the row to lock before saving, or None; the object by default."""
        return (self.model, object_id) if object_id else None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                target = self.lock_target(request, unquote(object_id) if object_id else None)
                if target is not None:
                    _lock_row(*target)
                return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            if not is_write_refusal(error):
                raise
            messages.error(request, str(CONCURRENT_SAVE_MESSAGE))
            return HttpResponseRedirect(request.get_full_path())


def _lock_row(model: type[models.Model], pk: str) -> None:
    """Lock row ``pk`` of ``model`` until the transaction ends (``SELECT … FOR UPDATE``).

    A ``pk`` that is not a valid key locks nothing. On SQLite, which has no row locks,
    writes are serialized by the database (``transaction_mode`` IMMEDIATE in settings).
    """
    try:
        key = model._meta.pk.to_python(pk)
    except ValidationError:
        return
    list(model._default_manager.select_for_update().filter(pk=key).values_list("pk", flat=True))


class RoomInlineFormSet(LiveFormsInlineFormSet):
    """A forum's rooms, whose names are unique within the forum regardless of case.

    The database constraint compares lower-cased names, which Django's inline forms do
    not check (the forum is excluded from each form's validation), so this formset does:
    a name used by another row of the list, or by a room stored meanwhile (another tab,
    a second click on Save), is an error on that row's ``name`` (code ``unique``). Rows
    renamed or deleted are first given spare names ("(renaming 1)", …, none in use or
    posted), so names can be swapped in one save.
    """

    def clean(self) -> None:
        super().clean()
        live = self.live_forms()
        shown = {form.instance.pk for form in self.initial_forms}
        taken = {name.lower() for name in self.get_queryset().exclude(pk__in=shown).values_list("name", flat=True)}
        for form in live:
            name = form.cleaned_data["name"].lower()
            if name in taken:
                form.add_error("name", ValidationError(ROOM_NAME_TAKEN, code="unique"))
            taken.add(name)

    def save_existing_objects(self, commit: bool = True) -> list:
        if commit:
            renamed = [
                form.instance.pk
                for form in self.initial_forms
                if self._should_delete_form(form) or "name" in form.changed_data
            ]
            stored = self.model._default_manager.filter(forum=self.instance)
            in_use = {name.lower() for name in stored.values_list("name", flat=True)}
            in_use |= {form.cleaned_data["name"].lower() for form in self.forms if "name" in form.cleaned_data}
            spare = (name for name in (f"(renaming {n})" for n in count(1)) if name not in in_use)
            for pk, name in zip(renamed, spare, strict=False):
                stored.filter(pk=pk).update(name=name)
            caching.bump()  # QuerySet.update sends no model signals
        return super().save_existing_objects(commit)


class RoomInline(admin.TabularInline):
    """The rooms of a forum's venue."""

    model = Room
    formset = RoomInlineFormSet
    fields = ["name", "capacity"]
    ordering = ["name"]
    extra = 0


@admin.register(Forum)
class ForumAdmin(SafeChangesMixin, KeyCheckingAutocompleteMixin, TranslationAdmin):
    """Forum editions, with their rooms; the time zone is picked from the IANA names."""

    list_display = ["title", "edition", "city", "country", "start_date", "end_date", "time_zone", "is_published"]
    list_filter = ["is_published", "country"]
    search_fields = ["title", "theme", "city"]
    ordering = ["-start_date"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["host_organizations"]
    inlines = [RoomInline]
    actions = [release_programme_action]
    fieldsets = [
        (None, {"fields": ["edition", "title", "theme", "part_of", "is_published"]}),
        (
            gettext_lazy("Where and when"),
            {"fields": ["city", "country", "venue", "start_date", "end_date", "time_zone"]},
        ),
        (gettext_lazy("Introduction"), {"fields": ["description", "host_organizations"]}),
        (gettext_lazy("Advanced"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            kwargs["widget"] = forms.Select(choices=TIME_ZONE_CHOICES)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        """Add the frab schedule import page (``sessions_app.frab.admin_views``)."""
        return [*frab_import_urls(self), *super().get_urls()]


@admin.register(Organization)
class OrganizationAdmin(SafeChangesMixin, TranslationAdmin):
    """Organizations, searchable by name and acronym for every autocomplete that picks one."""

    list_display = ["name", "acronym", "kind", "country", "website"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "acronym"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "acronym", "kind", "country", "website"]}),
        (gettext_lazy("Advanced"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]


class RapporteurInvitationForm(forms.Form):
    """One e-mail address per person to invite as rapporteur (field ``email-<pk>``),
    prefilled with the address of the account the person is linked to, if any."""

    def __init__(self, people: list[Person], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people
        for person in people:
            self.fields[f"email-{person.pk}"] = forms.EmailField(
                label=person.name,
                max_length=User._meta.get_field("email").max_length,
                initial=person.user.email if person.user else "",
            )

    def invitations(self) -> list[tuple[Person, str]]:
        """``(person, e-mail address)`` for each person, from a valid form."""
        return [(person, self.cleaned_data[f"email-{person.pk}"]) for person in self.people]


class _StoredPhotoLink:
    """What ``PhotoInput`` shows as the current photo: its file name, linked to ``url``."""

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class PhotoInput(AdminFileWidget):
    """The file input of a person's photo: it offers only JPEG, PNG and WebP files, and its
    "Currently" link opens the stored photo through the admin (``PersonAdmin.photo_view``),
    since media files are not served at their storage URL."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/jpeg,image/png,image/webp", **(attrs or {})})

    def format_value(self, value):
        """A link to the admin's copy of a stored photo; nothing for no photo or a new upload."""
        if not self.is_initial(value):
            return None
        url = reverse("admin:forum_person_photo", args=[value.instance.pk])
        return _StoredPhotoLink(value.name.rsplit("/", 1)[-1], url)


PHOTO_PREVIEW_SIDE = 160
"""Largest side, in CSS pixels, of the photo preview on a person's admin page."""


@admin.register(Person)
class PersonAdmin(SafeChangesMixin, KeyCheckingAutocompleteMixin, admin.ModelAdmin):
    """People, searchable by name, position and organization for every autocomplete that picks one.

    A person's photo is uploaded here: the field takes any file and ``forum.photos.validate_photo``
    (the model field's validator) says why one is refused; an accepted photo is stored
    re-encoded by ``forum.photos.store_photo`` (``save_model``), and the page shows a preview.
    """

    list_display = ["name", "position", "organization", "country"]
    list_filter = [
        ("speaker_roles__agenda_item__session__forum", admin.RelatedOnlyFieldListFilter),
        "organization__kind",
    ]
    list_select_related = ["organization"]
    search_fields = ["name", "position", "organization__name", "organization__acronym"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organization"]
    raw_id_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["name", "position", "organization", "country", "bio", "photo", "photo_preview"]}),
        (gettext_lazy("Advanced"), {"classes": ["collapse"], "fields": ["slug", "user"]}),
    ]
    readonly_fields = ["photo_preview"]
    # A plain file field: Django's image field would refuse a file Pillow cannot read with its
    # own message before ``validate_photo`` could say why; the name's length does not matter,
    # as the photo is stored under a new one.
    formfield_overrides = {models.ImageField: {"form_class": forms.FileField, "max_length": None, "widget": PhotoInput}}
    actions = ["invite_as_rapporteur"]

    def save_model(self, request, obj, form, change) -> None:
        """Store a new or cleared photo with ``forum.photos.store_photo``, then save the person."""
        if "photo" in form.changed_data:
            photos.store_photo(obj, form.cleaned_data["photo"])
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("Preview"))
    def photo_preview(self, obj: Person) -> str:
        """The stored photo, at most ``PHOTO_PREVIEW_SIDE`` pixels on its longest side, or "-"."""
        if obj.pk is None or not obj.photo:
            return self.get_empty_value_display()
        url = reverse("admin:forum_person_photo", args=[obj.pk])
        size = photos.display_size(obj.photo, PHOTO_PREVIEW_SIDE)
        if size is None:
            return format_html('<img src="{}" alt="{}" width="{}">', url, obj.name, PHOTO_PREVIEW_SIDE)
        return format_html('<img src="{}" alt="{}" width="{}" height="{}">', url, obj.name, *size)

    def get_urls(self):
        """Add ``<id>/photo/``, the stored photo of a person (``photo_view``)."""
        photo = path(
            "<path:object_id>/photo/",
            self.admin_site.admin_view(self.photo_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_photo",
        )
        return [photo, *super().get_urls()]

    def photo_view(self, request, object_id: str) -> HttpResponse:
        """The stored photo of person ``object_id``, whether or not a public page shows it
        (``forum.photos.photo_response``). 403 without the view permission; 404 for an
        unknown person or one without a photo."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404
        return photos.photo_response(request, person.photo, person.slug)

    @admin.action(description=gettext_lazy("Invite as rapporteur"), permissions=["change"])
    def invite_as_rapporteur(self, request, queryset):
        """Ask for each person's e-mail address on an intermediate page, then invite each one.

        Each invitation (``forum.invitations.invite_rapporteur``) is its own transaction,
        so a refusal leaves the others done. The page is shown again, with the errors,
        while an address is missing or not valid.
        """
        people = list(queryset.select_related("user").order_by("name", "pk"))
        confirmed = request.POST.get("post") == "yes"
        form = RapporteurInvitationForm(people, request.POST if confirmed else None)
        if confirmed and form.is_valid():
            self._report_invitations(request, form.invitations())
            return None
        sessions = defaultdict(list)
        roles = SpeakerRole.objects.filter(person__in=people, role__in=RAPPORTEUR_ROLES).select_related(
            "agenda_item__session"
        )
        for role in roles.order_by("agenda_item__session__start", "agenda_item__session__title"):
            titles = sessions[role.person_id]
            if role.agenda_item.session.title not in titles:
                titles.append(role.agenda_item.session.title)
        context = {
            **self.admin_site.each_context(request),
            "title": ngettext(
                "Invite this person as rapporteur", "Invite these %(count)d people as rapporteurs", len(people)
            )
            % {"count": len(people)},
            "opts": self.opts,
            "form": form,
            "rows": [(person, form[f"email-{person.pk}"], sessions[person.pk]) for person in people],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/forum/person/invite_rapporteurs.html", context)

    def _report_invitations(self, request, invitations: list[tuple[Person, str]]) -> None:
        """Invite each ``(person, address)`` and tell the organizer who was invited and who was refused, and why."""
        invited = []
        for person, email in invitations:
            try:
                user = invite_rapporteur(person=person, email=email, request=request)
            except InvitationError as error:
                messages.warning(
                    request,
                    _("Not invited: %(person)s (%(email)s): %(reason)s")
                    % {"person": person.name, "email": email, "reason": error.message},
                )
                continue
            invited.append(f"{person.name} ({user.email})")
        if invited:
            messages.success(
                request,
                ngettext(
                    "Invited as rapporteur, with an e-mail to set a password: %(people)s.",
                    "Invited as rapporteurs, each with an e-mail to set a password: %(people)s.",
                    len(invited),
                )
                % {"people": "; ".join(invited)},
            )


class UserCreationForm(BaseUserCreationForm):
    """A new account: e-mail address and password twice (there are no usernames)."""

    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts of organizers and participants, by e-mail address.

    Organizers give colleagues staff status and permissions here (for example "Can
    export registrations"), or deactivate an account. Participants sign up on the site.
    """

    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (gettext_lazy("Name"), {"fields": ["first_name", "last_name"]}),
        (
            gettext_lazy("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (gettext_lazy("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
