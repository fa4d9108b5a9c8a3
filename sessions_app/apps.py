from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    """Sessions, themes, agendas, speaker roles and the PDF documents printed from them."""

    name = "sessions_app"
    verbose_name = "Sessions and agendas"
