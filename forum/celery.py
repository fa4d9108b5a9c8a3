"""The project's Celery application.

Configuration comes from Django settings prefixed ``CELERY_``; tasks are discovered in
each installed app's ``tasks.py``. Docs:
https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

app = Celery("forum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
