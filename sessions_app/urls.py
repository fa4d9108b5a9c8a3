"""Public pages of the programme: programme by day and session pages."""

app_name = "sessions_app"
urlpatterns: list = []
