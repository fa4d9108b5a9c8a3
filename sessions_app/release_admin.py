"""Admin for programme releases: the forums' "Release the programme" action (the read-only
list of releases is ``sessions_app.admin.ProgrammeReleaseAdmin``).

The action (added to ``forum.admin.ForumAdmin``) shows the pending changes of one forum's
programme in words, the participants who will be e-mailed and a note field; confirming
calls ``release_services.release_programme`` with the fingerprint of the changes shown,
so what is stored is what the organizer reviewed (if the programme changed meanwhile,
the page is shown again with the new changes). Times are in the forum's zone.

Releases are never edited or deleted here: their numbers are consecutive, and the
changelog and feed rely on it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sessions_app.release_services import (
    ReleaseError,
    changes_fingerprint,
    no_changes_error,
    notification_recipients,
    pending_release,
    release_programme,
)
from sessions_app.release_texts import forum_sessions, session_changes
from sessions_app.releases import ProgrammeRelease

NOTE_MAX_LENGTH = 2000


class ReleaseForm(forms.Form):
    """The organizer's note for the changelog."""

    note = forms.CharField(
        label=gettext_lazy("Note for the changelog"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=gettext_lazy("Optional: what this release is about, shown above its changes."),
    )


@admin.action(description=gettext_lazy("Release the programme"), permissions=["change"])
def release_programme_action(modeladmin, request, queryset):
    """Release the selected forum's programme after a confirmation page.

    Exactly one forum must be selected, and the user needs the permission to add
    programme releases besides changing forums. The confirmation page lists the pending
    changes by session, the next version number and how many participants will be
    e-mailed; "no changes" is a warning and stores nothing. On success, a message gives
    the version number with a link to the public changelog.
    """
    forums = list(queryset.order_by("pk")[:2])
    if len(forums) != 1:
        modeladmin.message_user(
            request, _("Select one forum: each programme is released on its own."), messages.WARNING
        )
        return None
    forum = forums[0]
    if not request.user.has_perm(f"{ProgrammeRelease._meta.app_label}.add_programmerelease"):
        modeladmin.message_user(request, _("You may not release programmes."), messages.ERROR)
        return None
    confirmed = request.POST.get("post") == "yes"
    form = ReleaseForm(request.POST if confirmed else None)
    stale = None
    if confirmed and form.is_valid():
        try:
            release = release_programme(
                forum=forum,
                user=request.user,
                note=form.cleaned_data["note"],
                expected_fingerprint=request.POST.get("fingerprint", ""),
            )
        except ReleaseError as error:
            if error.code != "stale":
                modeladmin.message_user(request, error.message, messages.WARNING)
                return None
            stale = error.message
        else:
            _report(modeladmin, request, release)
            return None
    previous, changes = pending_release(forum)
    if not changes:
        modeladmin.message_user(request, no_changes_error(previous).message, messages.WARNING)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Release the programme of %(forum)s") % {"forum": forum.title},
        "opts": modeladmin.opts,
        "forum": forum,
        "number": previous.number + 1 if previous else 1,
        "sessions": session_changes(changes, forum.tzinfo, forum_sessions(forum)),
        "change_count": len(changes),
        "recipient_count": len(notification_recipients(forum, changes)),
        "fingerprint": changes_fingerprint(changes),
        "form": form,
        "stale": stale,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/sessions_app/release_programme.html", context)


def _report(modeladmin, request, release: ProgrammeRelease) -> None:
    """Tell the organizer the version released, its changes and e-mails, with the changelog's link."""
    forum = release.forum
    changes = ngettext(
        "Version %(number)s of the programme of %(forum)s is released, with %(count)s change.",
        "Version %(number)s of the programme of %(forum)s is released, with %(count)s changes.",
        len(release.changes),
    ) % {"number": release.number, "forum": forum.title, "count": len(release.changes)}
    emails = release.notifications.count()
    sent = ngettext(
        "%(count)s e-mail to a participant is on its way.",
        "%(count)s e-mails to participants are on their way.",
        emails,
    ) % {"count": emails}
    hidden = "" if forum.is_published else _("The forum is not published, so its changelog is not public yet.")
    url = reverse("releases:changelog", kwargs={"forum_slug": forum.slug})
    modeladmin.message_user(
        request,
        format_html('{} {} {} <a href="{}">{}</a>', changes, sent, hidden, url, _("See the changelog")),
        messages.SUCCESS,
    )
