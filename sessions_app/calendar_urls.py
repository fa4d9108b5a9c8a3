"""iCalendar feeds: the programme, one session, a participant's personal feed."""

app_name = "calendars"
urlpatterns: list = []
