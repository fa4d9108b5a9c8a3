"""``manage.py requeue_stuck_documents``: queue again the PDF renders whose worker died."""

from django.core.management.base import BaseCommand

from sessions_app.services import STALE_RENDER_SECONDS, requeue_stuck_documents


class Command(BaseCommand):
    help = (
        f"Queue again every generated document that has been rendering for more than "
        f"{STALE_RENDER_SECONDS} seconds (its worker died or was killed), and print how many. "
        "Run it from cron or Celery beat every few minutes."
    )

    def handle(self, *args, **options) -> None:
        count = requeue_stuck_documents()
        self.stdout.write(f"Re-queued {count} stuck document render{'' if count == 1 else 's'}.")
