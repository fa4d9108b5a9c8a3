from django.apps import AppConfig


class ForumConfig(AppConfig):
    """The event core: forums (editions), organizations, people, rooms and user accounts."""

    name = "forum"
    verbose_name = "Forum"
