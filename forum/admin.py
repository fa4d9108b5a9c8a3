"""Admin for organizers: forums with their rooms, organizations and people.

Organizations and people are searchable, so every form that picks one (host
organizations, a person's organization, session organizers, speaker roles) uses an
autocomplete widget instead of a long select.
"""

import zoneinfo

from django import forms
from django.contrib import admin
from django.db import models

from forum.models import Forum, Organization, Person, Room

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class RoomInline(admin.TabularInline):
    """The rooms of a forum's venue."""

    model = Room
    fields = ["name", "capacity"]
    ordering = ["name"]
    extra = 0


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    """Forum editions, with their rooms; the time zone is picked from the IANA names."""

    list_display = ["title", "edition", "city", "country", "start_date", "end_date", "time_zone", "is_published"]
    list_filter = ["is_published", "country"]
    search_fields = ["title", "theme", "city"]
    ordering = ["-start_date"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["host_organizations"]
    inlines = [RoomInline]
    fieldsets = [
        (None, {"fields": ["edition", "title", "theme", "part_of", "is_published"]}),
        ("Where and when", {"fields": ["city", "country", "venue", "start_date", "end_date", "time_zone"]}),
        ("Introduction", {"fields": ["description", "host_organizations"]}),
        ("Advanced", {"classes": ["collapse"], "fields": ["slug"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            kwargs["widget"] = forms.Select(choices=TIME_ZONE_CHOICES)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organizations, searchable by name and acronym for every autocomplete that picks one."""

    list_display = ["name", "acronym", "kind", "country", "website"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "acronym"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "acronym", "kind", "country", "website"]}),
        ("Advanced", {"classes": ["collapse"], "fields": ["slug"]}),
    ]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """People, searchable by name, position and organization for every autocomplete that picks one."""

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
        (None, {"fields": ["name", "position", "organization", "country", "bio"]}),
        ("Advanced", {"classes": ["collapse"], "fields": ["slug", "user"]}),
    ]
