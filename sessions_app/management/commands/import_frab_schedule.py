"""``manage.py import_frab_schedule PATH [--dry-run]``: import a frab schedule.xml or schedule.json."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sessions_app.frab.importer import FrabImportError, frab_schedule_import


class Command(BaseCommand):
    help = (
        "Import a frab or pretalx schedule.xml or schedule.json (told apart by content) into the forum named "
        "by its conference acronym: a new, unpublished forum the first time, the same forum again on a "
        "re-import, which updates what changed and reports the rest as unchanged (events and persons are "
        "matched by guid). Everything is written in one transaction: on any error nothing is saved. "
        "Prints what was created, updated, skipped and ignored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="Path of the schedule.xml or schedule.json file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print the report, then roll everything back.",
        )

    def handle(self, *args, path: str, dry_run: bool, **options) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            message = _("Cannot read %(path)s: %(error)s.")
            raise CommandError(message % {"path": path, "error": error.strerror or error}) from error
        try:
            report = frab_schedule_import(data=data, dry_run=dry_run)
        except FrabImportError as error:
            heading = _("The schedule was not imported; nothing was changed.")
            raise CommandError("\n".join([heading, *error.messages])) from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(_("Done in %(seconds).2f s.") % {"seconds": report.seconds}))
