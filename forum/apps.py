from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    """The event core: forums (editions), organizations, people, rooms and user accounts."""

    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        """Drop the cached public pages whenever a row they may show changes (``forum.caching``)."""
        from forum import caching  # imports the models: only once the registry is ready

        caching.connect_invalidation()
