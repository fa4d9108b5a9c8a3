"""Celery tasks of registration (placeholder until the e-mail task lands)."""

from celery import shared_task


@shared_task(name="registration.send_notification", ignore_result=True)
def send_notification(notification_id: int) -> None:
    """Send notification ``notification_id``."""
