"""Project package and event core (forums, organizations, people, rooms)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
