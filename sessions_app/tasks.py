"""Celery tasks of the sessions app: thin wrappers that take ids and call services.

Task names are explicit so that renaming a function does not orphan messages already
in the queue.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from sessions_app import services
from sessions_app.models import GeneratedDocument

logger = logging.getLogger(__name__)


# Rendering runs here and not in the request: WeasyPrint takes about a second per
# document and the download page must answer at once (it polls the row's status).
@shared_task(
    name="sessions_app.document_render",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    soft_time_limit=services.RENDER_SOFT_TIME_LIMIT_SECONDS,
    time_limit=services.RENDER_TIME_LIMIT_SECONDS,
)
def document_render_task(document_id: int) -> None:
    """Render the PDF of ``GeneratedDocument`` ``document_id`` (see ``services.document_render``).

    Returns quietly if the row no longer exists (it was superseded or its subject
    deleted). A failed render is stored on the row, not raised; lost database
    connections are retried up to 3 times with exponential backoff.

    Time limits (in a worker; eager runs have none): after
    ``services.RENDER_SOFT_TIME_LIMIT_SECONDS`` (120 s) ``SoftTimeLimitExceeded`` interrupts
    the render, which stores the row FAILED with that limit in its error; after
    ``services.RENDER_TIME_LIMIT_SECONDS`` (150 s) the worker process is killed, and the
    row left RENDERING is queued again once stuck (``services.STALE_RENDER_SECONDS``).
    """
    try:
        services.document_render(document_id=document_id)
    except GeneratedDocument.DoesNotExist:
        logger.info("Document %s no longer exists; nothing to render.", document_id)


@shared_task(name="sessions_app.requeue_stuck_documents", ignore_result=True)
def requeue_stuck_documents_task() -> int:
    """Queue again every stuck PDF render (``services.requeue_stuck_documents``); return how many.

    Scheduled every 5 minutes by Celery beat (``CELERY_BEAT_SCHEDULE`` in ``forum.settings``,
    https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html), so a render whose
    worker died, or whose message the broker lost, is retried without anyone asking. Takes
    no arguments; the count is logged by the service, the result is not stored.
    """
    return services.requeue_stuck_documents()
