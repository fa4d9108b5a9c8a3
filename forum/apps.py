from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    """The event core: forums (editions), organizations, people, rooms and user accounts."""

    name = "forum"
    verbose_name = _("Forum")
