from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class SessionsAppConfig(AppConfig):
    """Sessions, themes, agendas, speaker roles and the PDF documents printed from them."""

    name = "sessions_app"
    verbose_name = _("Sessions and agendas")

    def ready(self) -> None:
        """Connect the receiver that removes a deleted document's file from storage."""
        from sessions_app import signals  # imports the models: only once the registry is ready

        post_delete.connect(
            signals.delete_document_file,
            sender=self.get_model("GeneratedDocument"),
            dispatch_uid="sessions_app.delete_document_file",
        )
