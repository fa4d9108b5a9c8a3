from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    """Participant registration, parallel-session sign-up, capacity, waitlists and their e-mails."""

    name = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        """Connect the receivers that refill session seats after a capacity change or a room deletion."""
        from registration import signals  # imports the models: only once the registry is ready

        for model in ("sessions_app.Session", "forum.Room"):
            post_save.connect(
                signals.fill_seats_after_save,
                sender=self.apps.get_model(model),
                dispatch_uid=f"registration.fill_seats_after_save.{model}",
            )
        pre_delete.connect(
            signals.fill_seats_after_room_delete,
            sender=self.apps.get_model("forum.Room"),
            dispatch_uid="registration.fill_seats_after_room_delete",
        )
