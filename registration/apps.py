from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    """Participant registration (built in a later issue)."""

    name = "registration"
    verbose_name = "Registration"
