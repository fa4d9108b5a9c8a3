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

    A worker killed in the middle of a render (that limit, the OOM killer, a lost machine)
    leaves the row RENDERING, and ``requeue_stuck_documents_task`` queues it again once
    stuck. The message is acknowledged late (``CELERY_TASK_ACKS_LATE``) but not rejected
    when the pool process dies (``task_reject_on_worker_lost`` stays False): redelivered
    at once, it would find the row RENDERING and not yet stuck and do nothing, and a
    document that kills its worker would kill the next one. A message left unacknowledged
    by a dead worker comes back after Redis's visibility timeout (1 h); by then the row is
    READY, so it renders nothing.
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
    worker died, whose message the broker lost, or whose message was never sent (the
    broker was down when it was requested: ``forum.tasking.publish``) is retried without
    anyone asking, at the first run after it has waited ``services.STALE_RENDER_SECONDS``.
    Takes no arguments; the count is logged by the service, the result is not stored.
    """
    return services.requeue_stuck_documents()
