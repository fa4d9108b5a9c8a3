"""``manage.py import_frab_schedule PATH [--dry-run] [--update-existing]``: import a frab schedule.xml or
schedule.json."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sessions_app.frab.importer import ForumExistsError, FrabImportError, frab_schedule_import


class Command(BaseCommand):
    help = (
        "Import a frab or pretalx schedule.xml or schedule.json (told apart by content) into the forum named "
        "by its conference acronym: a new, unpublished forum the first time. An existing forum is changed only "
        "with --update-existing, which updates what changed and reports the rest as unchanged (events and "
        "persons are matched by guid). Everything is written in one transaction: on any error nothing is saved. "
        "Prints what was created, updated, skipped and ignored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="Path of the schedule.xml or schedule.json file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print the report, then roll everything back.",
        )
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="Import into the forum of the file's acronym when it exists (refused without this flag).",
        )

    def handle(self, *args, path: str, dry_run: bool, update_existing: bool, **options) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            message = _("Cannot read %(path)s: %(error)s.")
            raise CommandError(message % {"path": path, "error": error.strerror or error}) from error
        heading = _("The schedule was not imported; nothing was changed.")
        try:
            report = frab_schedule_import(data=data, dry_run=dry_run, update_existing=update_existing)
        except ForumExistsError as error:
            message = _(
                "A forum with this acronym already exists: “%(title)s”. To import into it, run the command again "
                "with --update-existing (with --dry-run first to see what would change)."
            )
            raise CommandError("\n".join([heading, message % {"title": error.forum.title}])) from error
        except FrabImportError as error:
            raise CommandError("\n".join([heading, *error.messages])) from error
        for line in report.lines():
            self.stdout.write(line)
        if report.needs_update_request:
            message = _(
                "A forum with this acronym already exists: “%(title)s”. This dry run shows what updating it would "
                "change; to import, run the command again with --update-existing."
            )
            self.stdout.write(self.style.WARNING(message % {"title": report.forum_title}))
        self.stdout.write(self.style.SUCCESS(_("Done in %(seconds).2f s.") % {"seconds": report.seconds}))
