from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    """The event core: forums (editions), organizations, people, rooms and user accounts."""

    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        """Drop the cached public pages whenever a row they may show changes, and after
        every ``migrate`` (data migrations send no model signals, and a deploy brings new
        templates: ``forum.caching``); register the deploy checks (``forum.checks``)."""
        from forum import caching, checks  # noqa: F401 (checks registers itself); imports the models

        caching.connect_invalidation()
        post_migrate.connect(caching.bump_after_migrate, sender=self, dispatch_uid="forum.caching:post_migrate")
