"""The organizers' upload page for a frab schedule, reached from the forum list in the admin.

``frab_import_urls(model_admin)`` gives ``ForumAdmin.get_urls`` the page
``admin:forum_forum_import_frab``: staff with the permission to add forums upload a
``schedule.xml`` or ``schedule.json`` (at most ``MAX_UPLOAD_BYTES``), optionally as a dry
run; a forum that exists is changed only when "Update the existing forum" is ticked (a
dry run shows what an update would change without it). The page shows the import's
report, or the file's problems as form errors (and then nothing was saved). The import
itself is ``sessions_app.frab.importer``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.frab.importer import ForumExistsError, FrabImportError, ImportReport, frab_schedule_import

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""The largest schedule file accepted by the upload page (10 MB; camp2019's JSON is 0.2 MB)."""


class FrabImportForm(forms.Form):
    """A schedule file (checked for size only: the importer reads it), a dry-run flag and the
    request to update the forum of the file's acronym when it exists."""

    file = forms.FileField(
        label=gettext_lazy("Schedule file"),
        help_text=gettext_lazy("A schedule.xml or schedule.json as frab or pretalx publish it, at most 10 MB."),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file and show the report; save nothing"), required=False
    )
    update_existing = forms.BooleanField(
        label=gettext_lazy("Update the existing forum"),
        required=False,
        help_text=gettext_lazy(
            "Needed when a forum with the file's acronym exists: its title, dates, time zone and the sessions "
            "the file lists are then changed as the file says."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB."),
                code="too_large",
                params={"size": round(upload.size / 1024 / 1024, 1), "limit": MAX_UPLOAD_BYTES // 1024 // 1024},
            )
        return upload


def frab_import_view(request, model_admin: admin.ModelAdmin) -> TemplateResponse:
    """GET: the upload form. POST: import the file and show the report (``ImportReport``),
    or the form with the file's problems. Raises ``PermissionDenied`` without the
    permission to add forums."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    posted = request.method == "POST"
    form = FrabImportForm(request.POST, request.FILES) if posted else FrabImportForm()
    report: ImportReport | None = None
    if posted and form.is_valid():
        try:
            report = frab_schedule_import(
                data=form.cleaned_data["file"].read(),
                dry_run=form.cleaned_data["dry_run"],
                update_existing=form.cleaned_data["update_existing"],
            )
        except ForumExistsError as error:
            message = _(
                "A forum with this acronym already exists: “%(title)s”. To import into it, tick “Update the "
                "existing forum” (with “Only check the file” first to see what would change)."
            )
            form.add_error("update_existing", message % {"title": error.forum.title})
        except FrabImportError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            _log(request, model_admin, report)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Import a frab schedule"),
        "form": form,
        "report": report,
        "forum_pk": report.forum_pk if report else None,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/forum/forum/import_frab.html", context)


def _log(request, model_admin: admin.ModelAdmin, report: ImportReport) -> None:
    """Record a real import in the forum's admin history and say so in a message."""
    if report.dry_run:
        messages.info(request, _("Dry run: nothing was saved."))
        return
    forum = model_admin.model.objects.get(pk=report.forum_pk)
    message = _("Imported from a frab schedule.%(format)s, version %(version)s.") % {
        "format": report.format,
        "version": report.version,
    }
    if report.forum.created:
        model_admin.log_addition(request, forum, message)
    elif report.changed:
        model_admin.log_change(request, forum, message)
    messages.success(request, message)


def frab_import_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """The upload page's URL, ``import-frab/`` under the forum admin, named ``forum_forum_import_frab``."""
    view = model_admin.admin_site.admin_view(lambda request: frab_import_view(request, model_admin))
    return [path("import-frab/", view, name="forum_forum_import_frab")]
